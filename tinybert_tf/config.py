"""`BertConfig`: the architecture of a BERT encoder, read from and written to HF `config.json`."""

import dataclasses
import json
import os
from typing import Any, Dict, List, Optional

# HF `hidden_act` names -> Keras activations. "gelu" in HF is the exact erf form.
_ACTIVATIONS = {
    "gelu": "gelu",
    "gelu_new": "gelu_approximate",
    "gelu_pytorch_tanh": "gelu_approximate",
    "gelu_fast": "gelu_approximate",
    "relu": "relu",
    "tanh": "tanh",
    "silu": "swish",
    "swish": "swish",
}


@dataclasses.dataclass
class BertConfig:
    """Architecture of a BERT encoder, field names as in Hugging Face's `BertConfig`.

    Args:
        vocab_size: number of WordPiece ids (rows of the word-embedding matrix).
        hidden_size: width of every layer.
        num_hidden_layers: number of transformer layers.
        num_attention_heads: heads per layer; must divide `hidden_size`.
        intermediate_size: width of the feed-forward layer.
        hidden_act: feed-forward activation, an HF name (`gelu`, `gelu_new`, `relu`, ...).
        hidden_dropout_prob: dropout on embeddings and sub-layer outputs.
        attention_probs_dropout_prob: dropout on attention probabilities.
        max_position_embeddings: longest sequence the model accepts.
        type_vocab_size: number of segment (token type) ids.
        layer_norm_eps: epsilon of every LayerNorm.
        initializer_range: stddev of the truncated-normal initializer.
        pad_token_id: id of `[PAD]`.
        pruned_heads: {layer: [head, ...]} removed by structured pruning, as HF records
            them (HF's `BertModel` re-applies them on load); the head size stays
            `hidden_size / num_attention_heads`.
        extra: any other keys of `config.json` (`id2label`, `architectures`, ...), kept
            so that a round trip writes them back.

    Example:
    ```python
    config = BertConfig.from_json_file("teacher/config.json")
    config.num_hidden_layers = 4
    config.to_json_file("student/config.json")
    ```
    """

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    initializer_range: float = 0.02
    pad_token_id: int = 0
    pruned_heads: Dict[int, List[int]] = dataclasses.field(default_factory=dict)
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.validate()

    def validate(self):
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings", "type_vocab_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"BertConfig.{name} must be a positive integer, got {value!r}.")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BertConfig.hidden_size ({self.hidden_size}) is not divisible by "
                f"num_attention_heads ({self.num_attention_heads}); choose a head count that divides it."
            )
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"BertConfig.hidden_act {self.hidden_act!r} is not supported; use one of {sorted(_ACTIVATIONS)}."
            )
        # JSON object keys are strings; HF converts them to layer indices the same way.
        self.pruned_heads = {int(k): sorted(int(h) for h in v) for k, v in (self.pruned_heads or {}).items() if v}
        for layer, heads in self.pruned_heads.items():
            if not 0 <= layer < self.num_hidden_layers:
                raise ValueError(f"BertConfig.pruned_heads names layer {layer}; the model has "
                                 f"{self.num_hidden_layers} layers (0-based).")
            if len(set(heads)) >= self.num_attention_heads or min(heads) < 0 or max(heads) >= self.num_attention_heads:
                raise ValueError(f"BertConfig.pruned_heads[{layer}] = {heads}: heads are 0..."
                                 f"{self.num_attention_heads - 1} and each layer keeps at least one.")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"BertConfig.{name} must be in [0, 1), got {getattr(self, name)!r}.")

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def heads_in_layer(self, layer: int) -> int:
        """Attention heads layer `layer` has after structured pruning."""
        return self.num_attention_heads - len(self.pruned_heads.get(layer, ()))

    @property
    def keras_activation(self) -> str:
        return _ACTIVATIONS[self.hidden_act]

    # --- Keras-style serialization -------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "BertConfig":
        return cls(**config)

    # --- Hugging Face `config.json` ------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """The HF `config.json` dict: known fields plus the extra keys kept on load."""
        out = dict(self.extra)
        out.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"})
        out["pruned_heads"] = {str(k): v for k, v in self.pruned_heads.items()}
        out.setdefault("model_type", "bert")
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "BertConfig":
        model_type = data.get("model_type", "bert")
        if model_type != "bert":
            raise ValueError(
                f"config.json has model_type={model_type!r}; tinybert_tf loads BERT checkpoints "
                "(model_type 'bert') only."
            )
        if data.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(
                f"position_embedding_type={data['position_embedding_type']!r} is not supported; "
                "only 'absolute' position embeddings are implemented."
            )
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names}
        return cls(**known, extra=extra)

    @classmethod
    def from_json_file(cls, path: str) -> "BertConfig":
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No config file at {path!r}: a checkpoint directory needs a config.json.")
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"{path} is not valid UTF-8 JSON ({e}); re-create it or copy it again.") from e
        return cls.from_dict(data)

    def to_json_file(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2, sort_keys=True)
            f.write("\n")

    # --- labels, as HF keeps them in config.json ------------------------------------
    @property
    def id2label(self) -> Optional[Dict[int, str]]:
        raw = self.extra.get("id2label")
        return {int(k): v for k, v in raw.items()} if raw else None

    def with_labels(self, labels) -> "BertConfig":
        """A copy whose config.json carries `id2label`/`label2id` for `labels`."""
        extra = dict(self.extra)
        extra["id2label"] = {str(i): str(l) for i, l in enumerate(labels)}
        extra["label2id"] = {str(l): i for i, l in enumerate(labels)}
        return dataclasses.replace(self, extra=extra)
