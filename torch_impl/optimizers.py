"""The spec's optimizer as a torch.optim optimizer, every hyperparameter passed explicitly."""

import torch


def optimizer(spec, params):
    """torch.optim optimizer for the spec over these parameters (torch's own update rules: see scratch/optimizers.py)."""
    o = spec.optimizer
    if o == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=0.0)
    if o in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, nesterov=o == "nesterov")
    if o == "adam":
        return torch.optim.Adam(params, lr=spec.lr, betas=(spec.beta1, spec.beta2), eps=spec.eps)
    return torch.optim.RMSprop(params, lr=spec.lr, alpha=spec.rho, eps=spec.eps, momentum=0.0, centered=False)
