"""The spec's optimizer as a torch.optim optimizer, every hyperparameter passed explicitly."""

import torch


def optimizer(spec, params):
    """torch.optim optimizer for the spec over these parameters (torch's own update rules: see scratch/optimizers.py).
    Decoupled weight decay is AdamW, on the weights only (a second group with weight_decay=0 holds the biases)
    unless spec.decay_biases."""
    o = spec.optimizer
    if spec.weight_decay > 0:
        params = list(params)
        groups = [{"params": [p for p in params if p.ndim > 1 or spec.decay_biases]}]
        groups += [{"params": [p for p in params if p.ndim == 1 and not spec.decay_biases], "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=spec.lr, betas=(spec.beta1, spec.beta2), eps=spec.eps, weight_decay=spec.weight_decay)
    if o == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=0.0)
    if o in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, nesterov=o == "nesterov")
    if o == "adam":
        return torch.optim.Adam(params, lr=spec.lr, betas=(spec.beta1, spec.beta2), eps=spec.eps)
    return torch.optim.RMSprop(params, lr=spec.lr, alpha=spec.rho, eps=spec.eps, momentum=0.0, centered=False)
