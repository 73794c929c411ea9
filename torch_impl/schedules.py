"""The spec's learning-rate schedule as a torch.optim.lr_scheduler, stepped per batch or per epoch by the MLP."""

import torch


def scheduler(spec, optimizer):
    """torch's own scheduler for the spec (None for a constant rate); the inverse-time decay, which torch lacks,
    is a LambdaLR. CosineAnnealingLR rises again after T_max (Keras's CosineDecay stays at 0)."""
    lr_scheduler, gamma = torch.optim.lr_scheduler, spec.decay_rate
    if spec.schedule == "step":
        return lr_scheduler.StepLR(optimizer, step_size=spec.decay_steps, gamma=gamma)
    if spec.schedule == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=gamma)
    if spec.schedule == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=spec.decay_steps, eta_min=0.0)
    if spec.schedule == "inverse_time":
        return lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + gamma * t))
    return None
