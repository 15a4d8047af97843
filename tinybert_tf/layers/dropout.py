"""Dropout whose random stream can be checkpointed, so a resumed run draws the same masks."""

from tinybert_tf.backend import keras


def stateful_dropout(rate, name=None):
    """`keras.layers.Dropout` backed by a `tf.random.Generator` (`rng_type="stateful"`).

    The default (legacy) dropout uses TF1 stateful ops whose position in the random stream
    lives in the op kernel and restarts from zero in a new process: a run resumed from a
    checkpoint would draw the masks of its first steps again. A generator's position is a
    variable; the `Distiller` checkpoints it (`dropout_rng_states`), so an interrupted and
    resumed distillation ends where an uninterrupted one does."""
    return keras.layers.Dropout(rate, name=name, rng_type="stateful")


def dropout_rng_states(model):
    """The generator state variables of every dropout inside `model` (nested layers too).
    Keras keeps them out of `weights` and checkpoints on purpose; callers that must resume
    exactly track them themselves."""
    states = []
    for layer in model.submodules:
        generator = getattr(getattr(layer, "_random_generator", None), "_generator", None)
        if generator is not None:
            states.append(generator.state)
    return states
