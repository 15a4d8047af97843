"""A saved classifier as a keras-hub (Keras 3) preset: `keras_hub.models.BertTextClassifier.
from_preset(dir)` loads it offline, with its WordPiece vocabulary and its classification head.

keras-hub is optional (`pip install keras-hub`); this module imports it only when called.

Weights map from the Hugging Face layout 1:1 (q/k/v `W.T.reshape(H, N, D)`, attention
output `W.T.reshape(N, D, H)`, post-LN, eps 1e-12). keras-hub hard-codes the tanh GELU;
HF's `hidden_act="gelu"` is the exact (erf) GELU, which differs by up to ~3e-3 per layer. A
student with `gelu` is therefore saved with `ExactGeluBertBackbone`, a `BertBackbone`
registered under `tinybert_tf>ExactGeluBertBackbone` whose FFN uses the exact GELU: import
`tinybert_tf.keras_hub_export` before `from_preset` so Keras can find it. Head-pruned
students cannot be expressed (keras-hub gives every layer `num_heads` heads of
hidden / num_heads); they are refused.

Example:
```python
from tinybert_tf.keras_hub_export import to_keras_hub
to_keras_hub("runs/demo/student", "runs/demo/keras_hub")

import keras_hub, tinybert_tf.keras_hub_export  # registers the exact-GELU backbone
classifier = keras_hub.models.BertTextClassifier.from_preset("runs/demo/keras_hub")
classifier.predict(["Great coffee"])
```
"""

import os
from typing import Optional

import numpy as np

from tinybert_tf.errors import ExportError

_BACKBONE = None


def exact_gelu_backbone():
    """The registered `BertBackbone` subclass with HF's exact GELU (created once)."""
    global _BACKBONE
    if _BACKBONE is None:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        from tinybert_tf import backend  # noqa: F401  (TensorFlow imported quietly first)

        try:
            import keras
            import keras_hub
        except ImportError as e:
            raise ExportError(f"The keras-hub export needs keras-hub ({e}); `pip install keras-hub`.") from None

        @keras.saving.register_keras_serializable(package="tinybert_tf")
        class ExactGeluBertBackbone(keras_hub.models.BertBackbone):
            """`BertBackbone` whose feed-forward uses the exact (erf) GELU, as HF BERT's `gelu`."""

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                for i in range(self.num_layers):
                    layer = self.get_layer(f"transformer_layer_{i}")
                    layer.activation = keras.activations.gelu  # approximate=False
                    layer._feedforward_intermediate_dense.activation = keras.activations.gelu

        # keras-hub finds a preset's task, preprocessor and tokenizer classes by their
        # `backbone_cls`: each gets a registered subclass pointing at this backbone.
        for base in (keras_hub.models.BertTextClassifier, keras_hub.models.BertTextClassifierPreprocessor,
                     keras_hub.models.BertTokenizer):
            name = "ExactGelu" + base.__name__
            keras.saving.register_keras_serializable(package="tinybert_tf")(
                type(name, (base,), {"backbone_cls": ExactGeluBertBackbone, "__module__": __name__}))
        _BACKBONE = ExactGeluBertBackbone
    return _BACKBONE


def _registered(base_name: str):
    """The exact-GELU subclass of a keras-hub class (see `exact_gelu_backbone`)."""
    import keras

    return keras.saving.get_registered_object(f"tinybert_tf>ExactGelu{base_name}")


def to_keras_hub(model_dir: str, output_dir: str, sequence_length: Optional[int] = None) -> str:
    """Write `model_dir` (a saved classifier) as a keras-hub `BertTextClassifier` preset
    in `output_dir`; returns it. `sequence_length`: the preprocessor's (default: the
    length the model was trained with, else 128)."""
    from safetensors.numpy import load_file

    from tinybert_tf.config import BertConfig

    config = BertConfig.from_json_file(os.path.join(model_dir, "config.json"))
    if config.pruned_heads:
        raise ExportError(f"{model_dir} has head-pruned layers ({config.pruned_heads}); keras-hub's BertBackbone gives "
                          "every layer the same heads of hidden/num_heads. Export it to TFLite, or prune whole heads "
                          "with --hidden-size so every layer keeps hidden/head_size heads.")
    if config.hidden_act not in ("gelu", "gelu_new", "gelu_pytorch_tanh"):
        raise ExportError(f"hidden_act={config.hidden_act!r}: keras-hub's BERT runs GELU only.")
    if not os.path.isfile(os.path.join(model_dir, "model.safetensors")):
        raise ExportError(f"{model_dir} has no model.safetensors (a saved tinybert_tf / HF classifier has one).")
    tensors = {k[len("bert."):] if k.startswith("bert.") else k: v
               for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
    if "classifier.weight" not in tensors:
        raise ExportError(f"{model_dir} has no classifier head; export a fine-tuned or distilled classifier.")

    backbone_cls = exact_gelu_backbone()
    import keras_hub

    exact = config.hidden_act == "gelu"
    if not exact:
        backbone_cls = keras_hub.models.BertBackbone  # the tanh GELU is what the model has

    def task_class(base):
        return _registered(base.__name__) if exact else base
    h, n = config.hidden_size, config.num_attention_heads
    d = h // n
    backbone = backbone_cls(vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers, num_heads=n,
                            hidden_dim=h, intermediate_dim=config.intermediate_size,
                            dropout=config.hidden_dropout_prob, max_sequence_length=config.max_position_embeddings,
                            num_segments=config.type_vocab_size)

    def t(name):
        return tensors[name]

    backbone.get_layer("token_embedding").set_weights([t("embeddings.word_embeddings.weight")])
    backbone.get_layer("position_embedding").set_weights([t("embeddings.position_embeddings.weight")])
    backbone.get_layer("segment_embedding").set_weights([t("embeddings.token_type_embeddings.weight")])
    backbone.get_layer("embeddings_layer_norm").set_weights([t("embeddings.LayerNorm.weight"),
                                                             t("embeddings.LayerNorm.bias")])
    for i in range(config.num_hidden_layers):
        p = f"encoder.layer.{i}."
        layer = backbone.get_layer(f"transformer_layer_{i}")
        attention = layer._self_attention_layer
        for part, dense in (("query", attention._query_dense), ("key", attention._key_dense),
                            ("value", attention._value_dense)):
            dense.set_weights([t(p + f"attention.self.{part}.weight").T.reshape(h, n, d),
                               t(p + f"attention.self.{part}.bias").reshape(n, d)])
        attention._output_dense.set_weights([t(p + "attention.output.dense.weight").T.reshape(n, d, h),
                                             t(p + "attention.output.dense.bias")])
        layer._self_attention_layer_norm.set_weights([t(p + "attention.output.LayerNorm.weight"),
                                                      t(p + "attention.output.LayerNorm.bias")])
        layer._feedforward_intermediate_dense.set_weights([t(p + "intermediate.dense.weight").T,
                                                           t(p + "intermediate.dense.bias")])
        layer._feedforward_output_dense.set_weights([t(p + "output.dense.weight").T, t(p + "output.dense.bias")])
        layer._feedforward_layer_norm.set_weights([t(p + "output.LayerNorm.weight"), t(p + "output.LayerNorm.bias")])
    backbone.get_layer("pooled_dense").set_weights([t("pooler.dense.weight").T, t("pooler.dense.bias")])

    with open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8") as f:
        vocabulary = [line.rstrip("\n") for line in f]
    from tinybert_tf.outputs import trained_max_length

    trained = trained_max_length(model_dir)
    tokenizer = task_class(keras_hub.models.BertTokenizer)(vocabulary=vocabulary, lowercase=True)
    preprocessor = task_class(keras_hub.models.BertTextClassifierPreprocessor)(
        tokenizer, sequence_length=sequence_length or trained or 128)
    num_labels = int(tensors["classifier.weight"].shape[0])
    classifier = task_class(keras_hub.models.BertTextClassifier)(
        backbone, num_classes=num_labels, preprocessor=preprocessor, dropout=config.hidden_dropout_prob)
    # from_preset(dir, num_classes=...) would leave a fresh head: this one holds the model's.
    classifier.get_layer("logits").set_weights([t("classifier.weight").T, t("classifier.bias")])
    classifier.save_to_preset(output_dir)
    return output_dir


# Importing this module registers the classes a preset written here names, so
# `keras_hub.models.BertTextClassifier.from_preset(dir)` finds them (when keras-hub is installed).
try:
    import keras_hub  # noqa: F401
except ImportError:
    pass
else:
    exact_gelu_backbone()
