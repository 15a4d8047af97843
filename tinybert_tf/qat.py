"""Quantization-aware training (tfmot) so that full-integer TFLite keeps the student's accuracy.

Full-int8 conversion calibrates every activation range after training. QAT inserts tfmot's
fake quantization around each Dense layer of the encoder and fine-tunes briefly, so the
weights adapt to int8 and the converter takes the learned ranges. Measured on the
fine_foods student (docs/compression.md, "Export and benchmark"): full int8 80.0% without QAT (with the
int8-friendly attention mask, `QUANTIZATION_MASK_ADDER`), 81.6% after one epoch (Keras
float 81.5%).

Only the encoder's `Dense` layers are annotated: tfmot's default scheme has no
configuration for the custom attention, position-embedding and [CLS] layers, and
`quantize_model` on the whole encoder fails quantizing its int32 token-id inputs.

Example:
```python
qat_model = qat.quantization_aware_model(student)       # logits, fake-quantized Dense layers
qat.fine_tune(qat_model, train_features, train_labels, epochs=1)
flatbuffer = export.to_tflite(qat_model, "full_int8", representative=calibration_features)
```
"""

from typing import Dict

import numpy as np

from tinybert_tf.backend import keras
from tinybert_tf.layers.bert_self_attention import QUANTIZATION_MASK_ADDER, mask_adder


def quantization_aware_model(classifier):
    """A new Keras model (same weights) computing `classifier`'s logits with tfmot
    fake-quantization around every encoder Dense layer (the classifier dropout is left
    out). Train and trace it under `mask_adder(QUANTIZATION_MASK_ADDER)`, as `fine_tune`
    and `export.to_tflite(..., "full_int8")` do, so it computes what the int8 model will."""
    import tensorflow_model_optimization as tfmot

    if getattr(classifier, "encoder", None) is None:
        raise ValueError("quantization_aware_model takes a BertClassifier (an encoder with a classifier head).")
    quantize = tfmot.quantization.keras

    def annotate(layer):
        return quantize.quantize_annotate_layer(layer) if type(layer) is keras.layers.Dense else layer

    with quantize.quantize_scope():
        annotated = keras.models.clone_model(classifier.encoder, clone_function=annotate)
        annotated.set_weights(classifier.encoder.get_weights())
        encoder = quantize.quantize_apply(annotated)
    head = classifier.get_layer("classifier")
    inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in classifier.encoder.input_names}
    new_head = keras.layers.Dense(head.units, name="classifier")
    model = keras.Model(inputs, new_head(encoder(inputs)["pooled_output"]), name="qat_classifier")
    new_head.set_weights(head.get_weights())
    return model


def fine_tune(model, features: Dict[str, np.ndarray], labels: np.ndarray, epochs: int = 1,
              learning_rate: float = 1e-5, batch_size: int = 32, regression: bool = False, verbose: int = 2):
    """Brief fine-tuning on labelled data (the task's train split) with the fake-quantized
    model; traced with the int8 mask adder so training sees what the int8 model computes."""
    loss = (keras.losses.MeanSquaredError() if regression
            else keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    with mask_adder(QUANTIZATION_MASK_ADDER):
        return model.fit(features, labels, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose)
