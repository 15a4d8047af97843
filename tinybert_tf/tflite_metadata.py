"""TFLite metadata for a BERT text classifier, the form MediaPipe Tasks' `TextClassifier` loads.

`add_metadata` writes what the TFLite metadata schema (`metadata_schema.fbs`, the schema
MediaPipe and the Task Library read) asks of a BERT classifier: the three input tensors
`ids` / `mask` / `segment_ids` in the model's input order, a `BertTokenizerOptions` input
process unit pointing at `vocab.txt`, and the output scores with `labels.txt` as their axis
labels; `vocab.txt` and `labels.txt` are packed into the file as a zip appended after the
flatbuffer (the metadata's associated files).

Why not MediaPipe's own `metadata_writers`: in the PyPI `mediapipe` 1.2.2 wheel they import
a compiled module the wheel lacks (`_pywrap_metadata_version`); tflite-support, the other
writer, needs protobuf < 4 and cannot share this environment with TensorFlow 2.21. So the
metadata table is built with the schema's generated code from the `mediapipe` wheel
(`metadata_schema_py_generated`, the supported object API), embedded with the TFLite model
schema's generated code that ships with TensorFlow; only the minimum parser version (which
the missing module computes) is set here, from the features used.

    from tinybert_tf import tflite_metadata
    model = tflite_metadata.add_metadata(flatbuffer, vocab, labels, name="fine_foods student")
    tflite_metadata.read_metadata(model)  # {"name": ..., "inputs": [...], "files": [...]}
"""

import io
import zipfile
from typing import Dict, List, Sequence

METADATA_NAME = "TFLITE_METADATA"  # the model's metadata entry the readers look up
METADATA_IDENTIFIER = b"M001"
# BertTokenizerOptions appeared in metadata parser version 1.1.0; nothing newer is used.
MIN_PARSER_VERSION = "1.1.0"
BERT_INPUTS = ("ids", "mask", "segment_ids")  # the names MediaPipe's BERT preprocessor looks up
VOCAB_FILE, LABELS_FILE = "vocab.txt", "labels.txt"
INSTALL_HINT = ("TFLite metadata needs the schema code in PyPI `mediapipe`: pip install --no-deps mediapipe==1.2.2 "
                "opencv-contrib-python-headless (--no-deps: its absl-py~=2.3 pin conflicts with "
                "tensorflow-model-optimization's; `make setup` does this).")


def _schema():
    try:
        from mediapipe.tasks.metadata import metadata_schema_py_generated as schema
    except ImportError as e:
        from tinybert_tf.errors import ExportError
        raise ExportError(INSTALL_HINT) from e
    return schema


def _model_schema():
    from tensorflow.lite.python import schema_py_generated  # the TFLite model schema's generated code
    return schema_py_generated


def _input_names(flatbuffer: bytes) -> List[str]:
    fb = _model_schema()
    model = fb.Model.GetRootAsModel(flatbuffer, 0)
    graph = model.Subgraphs(0)
    return [graph.Tensors(graph.Inputs(i)).Name().decode() for i in range(graph.InputsLength())]


def add_metadata(flatbuffer: bytes, vocab: Sequence[str], labels: Sequence[str], name: str = "TextClassifier",
                 description: str = "Classifies text with a distilled BERT (tinybert_tf).",
                 version: str = "1", author: str = "tinybert_tf", license: str = "") -> bytes:
    """The model with metadata and its vocabulary and labels packed in (see the module doc).

    Args:
        flatbuffer: a `.tflite` with int32 inputs whose tensor names contain `ids`, `mask`,
            `segment_ids` (`to_tflite(input_names="task_library")`), one float output of
            per-label scores, and a fixed sequence length (MediaPipe pads to it).
        vocab: the WordPiece vocabulary in id order.
        labels: the label names in output order.
    """
    md = _schema()
    order = []
    for tensor_name in _input_names(flatbuffer):
        base = tensor_name.split(":")[0]  # e.g. serving_default_segment_ids:0 (a signature's input)
        base = base[len("serving_default_"):] if base.startswith("serving_default_") else base
        found = [n for n in BERT_INPUTS if base == n]
        if not found:
            from tinybert_tf.errors import ExportError
            raise ExportError(f"Input tensor {tensor_name!r} is none of {BERT_INPUTS}: export with "
                              "input_names='task_library' (the names MediaPipe's BERT preprocessor reads).")
        order.append(found[0])

    def feature_tensor(tensor_name, text):
        t = md.TensorMetadataT(name=tensor_name, description=text)
        t.content = md.ContentT(contentPropertiesType=md.ContentProperties.FeatureProperties,
                                contentProperties=md.FeaturePropertiesT())
        return t

    described = {"ids": "WordPiece ids: [CLS] text [SEP], padded with [PAD].",
                 "mask": "1 for real tokens, 0 for padding.",
                 "segment_ids": "0 for the first text, 1 for the second of a pair."}
    tokenizer = md.ProcessUnitT(optionsType=md.ProcessUnitOptions.BertTokenizerOptions,
                                options=md.BertTokenizerOptionsT(vocabFile=[md.AssociatedFileT(
                                    name=VOCAB_FILE, description="WordPiece vocabulary.",
                                    type=md.AssociatedFileType.VOCABULARY)]))
    scores = feature_tensor("probability", "Probabilities of the labels, in labels.txt order.")
    scores.associatedFiles = [md.AssociatedFileT(name=LABELS_FILE, description="Labels of the output axis.",
                                                 type=md.AssociatedFileType.TENSOR_AXIS_LABELS)]
    graph = md.SubGraphMetadataT(
        inputTensorMetadata=[feature_tensor(n, described[n]) for n in order],
        outputTensorMetadata=[scores], inputProcessUnits=[tokenizer])
    metadata = md.ModelMetadataT(name=name, description=description, version=version, author=author,
                                 license=license or None, subgraphMetadata=[graph],
                                 minParserVersion=MIN_PARSER_VERSION)
    import flatbuffers

    builder = flatbuffers.Builder(0)
    builder.Finish(metadata.Pack(builder), METADATA_IDENTIFIER)
    model = _with_metadata_buffer(flatbuffer, bytes(builder.Output()))
    # The associated files: a zip after the flatbuffer, stored (not deflated) so readers can map them.
    out = io.BytesIO(model)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(VOCAB_FILE, "".join(f"{token}\n" for token in vocab))
        zf.writestr(LABELS_FILE, "".join(f"{label}\n" for label in labels))
    return out.getvalue()


def _with_metadata_buffer(flatbuffer: bytes, metadata: bytes) -> bytes:
    """The model with `metadata` as its TFLITE_METADATA buffer (an existing one is replaced)."""
    import flatbuffers

    fb = _model_schema()
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(flatbuffer, 0))
    buffer = fb.BufferT()
    buffer.data = metadata
    model.buffers.append(buffer)
    entries = [m for m in (model.metadata or []) if m.name.decode() != METADATA_NAME]
    entry = fb.MetadataT()
    entry.name, entry.buffer = METADATA_NAME, len(model.buffers) - 1
    model.metadata = entries + [entry]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def read_metadata(model: bytes) -> Dict:
    """What `add_metadata` wrote, read back: name, version, min parser version, input tensor
    names, process unit, output labels file, and the packed files' names and contents."""
    md, fb = _schema(), _model_schema()
    root = fb.Model.GetRootAsModel(model, 0)
    found = None
    for i in range(root.MetadataLength()):
        if root.Metadata(i).Name().decode() == METADATA_NAME:
            found = root.Buffers(root.Metadata(i).Buffer()).DataAsNumpy().tobytes()
    if found is None:
        return {}
    if not md.ModelMetadata.ModelMetadataBufferHasIdentifier(found, 0):
        raise ValueError("The TFLITE_METADATA buffer lacks the metadata identifier M001.")
    meta = md.ModelMetadataT.InitFromObj(md.ModelMetadata.GetRootAsModelMetadata(found, 0))
    graph = meta.subgraphMetadata[0]
    with zipfile.ZipFile(io.BytesIO(model)) as zf:
        files = {n: zf.read(n).decode("utf-8") for n in zf.namelist()}
    return {"name": meta.name.decode(), "version": meta.version.decode(),
            "min_parser_version": meta.minParserVersion.decode(),
            "inputs": [t.name.decode() for t in graph.inputTensorMetadata],
            "process_units": [u.optionsType for u in graph.inputProcessUnits or []],
            "tokenizer_vocab": [f.name.decode() for u in graph.inputProcessUnits or [] for f in u.options.vocabFile],
            "output_labels": [f.name.decode() for t in graph.outputTensorMetadata for f in t.associatedFiles or []],
            "files": files}


def mediapipe_classifier(model_path: str):
    """MediaPipe Tasks' `TextClassifier` on a model with metadata (raises ImportError without it)."""
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.text import text_classifier

    options = text_classifier.TextClassifierOptions(base_options=BaseOptions(model_asset_path=model_path),
                                                    max_results=-1)
    return text_classifier.TextClassifier.create_from_options(options)


def mediapipe_scores(classifier, text: str, labels: Sequence[str]) -> List[float]:
    """Per-label scores in `labels` order, from one `classify` call."""
    result = classifier.classify(text).classifications[0]
    by_name = {c.category_name: c.score for c in result.categories}
    return [float(by_name[label]) for label in labels]
