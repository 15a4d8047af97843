"""Switching a model between its inference and distillation outputs."""


class DistillationOutputsMixin:
    """`as_inference_model()` / `as_distillation_model()` for a model whose two variants
    have the same layers: the other variant is built by `_build_variant(flag)` and gets
    an exact copy of the weights."""

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # get_config returns exactly the constructor's arguments.
        return cls(**config)

    @property
    def has_distillation_outputs(self) -> bool:
        raise NotImplementedError

    def _build_variant(self, distillation_outputs: bool):
        raise NotImplementedError

    def _variant(self, distillation_outputs: bool):
        if distillation_outputs == self.has_distillation_outputs:
            return self
        other = self._build_variant(distillation_outputs)
        other.set_weights(self.get_weights())
        return other

    def as_inference_model(self):
        """This model without the distillation outputs (weights copied exactly)."""
        return self._variant(False)

    def as_distillation_model(self):
        """This model also outputting every hidden state and pre-softmax attention score."""
        return self._variant(True)
