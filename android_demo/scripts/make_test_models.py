"""Writes the JVM tests' model files (android_demo/core/src/test/resources/): a tiny BERT
classifier as `plain_model.tflite` and, with TFLite metadata and vocab/labels packed in
(`tinybert_tf.tflite_metadata`, what `export --format mediapipe` writes),
`metadata_model.tflite`. Random weights, 40-piece vocabulary: only the file layout matters.
tests/test_android_demo.py checks the committed files still read as Python writes them.

    .venv/bin/python android_demo/scripts/make_test_models.py
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "..", "core", "src", "test", "resources")
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(35)]
LABELS = ["other", "great"]


def build():
    sys.path.insert(0, os.path.join(HERE, "..", ".."))
    from tinybert_tf import BertClassifier, BertConfig, BertEncoder, export, tflite_metadata
    from tinybert_tf.backend import keras

    keras.utils.set_random_seed(0)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16)
    plain = export.to_tflite(BertClassifier(BertEncoder(config), num_labels=2), "float32", 8, "task_library",
                             output="probabilities")
    return plain, tflite_metadata.add_metadata(plain, VOCAB, LABELS, name="test classifier")


def main():
    plain, with_metadata = build()
    for name, data in (("plain_model.tflite", plain), ("metadata_model.tflite", with_metadata)):
        with open(os.path.join(RESOURCES, name), "wb") as f:
            f.write(data)
        print(name, len(data), "bytes")


if __name__ == "__main__":
    main()
