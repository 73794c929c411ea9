"""The spec's learning-rate schedule as a keras.optimizers.schedules.LearningRateSchedule."""

import keras
import numpy as np


def schedule(spec, python_floats: bool = False):
    """Keras's own schedule for the spec (None for a constant rate), a function of the step or epoch t.

    Keras computes a schedule in the dtype of its initial rate and casts the other numbers to it, through float32
    for Python floats; float64 runs hand it NumPy float64 scalars."""
    hp = np.float64 if spec.dtype == "float64" and not python_floats else float
    lr, gamma, schedules = hp(spec.lr), hp(spec.decay_rate or 0.0), keras.optimizers.schedules
    if spec.schedule == "step":
        return schedules.ExponentialDecay(lr, decay_steps=spec.decay_steps, decay_rate=gamma, staircase=True)
    if spec.schedule == "exponential":
        return schedules.ExponentialDecay(lr, decay_steps=1, decay_rate=gamma)
    if spec.schedule == "cosine":
        return schedules.CosineDecay(lr, decay_steps=spec.decay_steps, alpha=0.0)
    if spec.schedule == "inverse_time":
        return schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=gamma)
    return None
