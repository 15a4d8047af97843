"""Learning-rate schedules Keras lacks."""

from tinybert_tf.backend import keras, tf


@keras.saving.register_keras_serializable(package="tinybert_tf")
class WarmUpLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """BERT's schedule: linear warm-up from 0 to `peak_learning_rate` over `warmup_steps`,
    then linear decay to 0 at `total_steps`. (Keras has linear decay, `PolynomialDecay`,
    and warm-up only for `CosineDecay`; this is the two combined as BERT/TinyBERT use.)

    Example:
    ```python
    schedule = WarmUpLinearDecay(5e-5, total_steps=1000, warmup_steps=100)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule)
    ```
    """

    def __init__(self, peak_learning_rate, total_steps, warmup_steps=0):
        if total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
            raise ValueError(f"Need 0 <= warmup_steps ({warmup_steps}) <= total_steps ({total_steps}), total > 0.")
        self.peak_learning_rate = float(peak_learning_rate)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        peak = tf.constant(self.peak_learning_rate, tf.float32)
        warmup = peak * step / max(self.warmup_steps, 1)
        decay = peak * tf.maximum(0.0, (self.total_steps - step) / max(self.total_steps - self.warmup_steps, 1))
        return tf.where(step < self.warmup_steps, warmup, decay)

    def get_config(self):
        return {"peak_learning_rate": self.peak_learning_rate, "total_steps": self.total_steps,
                "warmup_steps": self.warmup_steps}
