"""Learning-rate schedules in closed form, t counting batches or epochs from 0, in torch's and Keras's conventions."""

from __future__ import annotations

import math

import numpy as np


def learning_rate(spec, t: int, convention: str = "torch", num: type = float) -> float:
    """The rate of step (or epoch) t of the spec's schedule.

    step: lr gamma^floor(t / s).   exponential: lr gamma^t.   inverse_time: lr / (1 + d t).
    cosine: lr (1 + cos(pi t / T)) / 2; torch's CosineAnnealingLR rises again after T, Keras's CosineDecay stays at 0.
    num: the type the rate is worked out in (np.longdouble in the exact reference).
    """
    lr, gamma = num(spec.lr), None if spec.decay_rate is None else num(spec.decay_rate)
    if spec.schedule == "step":
        return lr * gamma ** (t // spec.decay_steps)
    if spec.schedule == "exponential":
        return lr * gamma**t
    if spec.schedule == "inverse_time":
        return lr / (1 + gamma * t)
    if spec.schedule == "cosine":
        T = spec.decay_steps
        t = t if convention == "torch" else min(t, T)
        if num is float:
            return lr * (0.5 * (1 + math.cos(math.pi * (t / T))))
        return lr * (num(0.5) * (1 + np.cos(np.arccos(num(-1)) * (num(t) / T))))  # arccos(-1): pi in the extended precision
    return lr


class Scheduler:
    """Sets the update rule's rate before each step, from the batches taken so far (every="batch") or from the
    epochs ended so far (every="epoch", end_epoch() counts them): what torch's scheduler.step() does."""

    def __init__(self, spec, rule, convention: str = "torch", num: type = float):
        self.spec, self.rule, self.convention, self.num = spec, rule, convention, num
        self.batches = self.epochs = 0

    def before_step(self) -> None:
        t = self.batches if self.spec.schedule_every == "batch" else self.epochs
        self.rule.lr = learning_rate(self.spec, t, self.convention, self.num)
        self.batches += 1

    def end_epoch(self) -> None:
        self.epochs += 1
