"""The MLP in PyTorch: nn.Linear layers, torch's losses, autograd, torch.optim."""

from __future__ import annotations

import numpy as np
import torch

from torch_impl.activations import activation
from torch_impl.losses import loss_fn, output_fn, penalty_fn
from torch_impl.optimizers import optimizer
from torch_impl.schedules import scheduler


def torch_layout(W: np.ndarray) -> np.ndarray:
    """Canonical (fan_in, fan_out) <-> torch's weight layout (fan_out, fan_in): the one place the layout
    changes, both ways (a transpose is its own inverse)."""
    return W.T


def _pair(weight: torch.Tensor, bias: torch.Tensor | None) -> tuple[np.ndarray, np.ndarray | None]:
    """A layer's (W, b) as NumPy copies in canonical layout; b None for a layer built without bias."""
    return torch_layout(weight.detach().numpy()).copy(), None if bias is None else bias.detach().numpy().copy()


class MaskedDropout(torch.nn.Module):
    """Inverted dropout with the mask handed in (drawn by NumPy, 1 / (1 - p) included), so that torch drops the
    units the other two drop: x * mask in training mode, x in eval mode (as nn.Dropout)."""

    def __init__(self):
        super().__init__()
        self.mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask if self.training and self.mask is not None else x


class MLP:
    """Fully connected network; weights cross in the canonical (fan_in, fan_out) layout."""

    def __init__(self, spec, params: list[tuple[np.ndarray, np.ndarray | None]], from_logits: bool = True):
        self.spec = spec
        self.dtype = getattr(torch, spec.dtype)
        torch.set_num_threads(spec.threads)
        torch.manual_seed(spec.seed)  # nothing here draws from torch's generator; seeded so nothing could differ
        sizes = list(zip(spec.layers[:-1], spec.layers[1:]))
        modules: list[torch.nn.Module] = []
        for (n_in, n_out), act in zip(sizes[:-1], spec.activations):
            modules += [torch.nn.Linear(n_in, n_out, bias=spec.bias, dtype=self.dtype), activation(act, spec.leaky_slope)]
            if spec.batch_norm:  # a learned scale and shift with bn_affine only; torch's momentum is the batch's weight
                norm = torch.nn.BatchNorm1d(n_out, eps=spec.bn_eps, momentum=spec.bn_momentum, affine=spec.bn_affine, dtype=self.dtype)
                modules.append(norm)
            modules += [MaskedDropout()] if spec.dropout > 0 else []
        modules.append(torch.nn.Linear(*sizes[-1], bias=spec.bias, dtype=self.dtype))
        self.model = torch.nn.Sequential(*modules).eval()  # train mode only inside train_step and gradients
        self.dropouts = [m for m in self.model if isinstance(m, MaskedDropout)]
        self.linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        self.norms = [m for m in self.model if isinstance(m, torch.nn.BatchNorm1d)]
        self.set_params(params)
        data_loss, penalty = loss_fn(spec, from_logits), penalty_fn(spec, self.linears)
        self.loss_fn = data_loss if penalty is None else (lambda logits, y: data_loss(logits, y) + penalty())
        self.output_fn = output_fn(spec)
        self.optimizer = optimizer(spec, self.model.parameters())
        self.scheduler = scheduler(spec, self.optimizer)

    def set_params(self, params) -> None:
        """Load canonical weights (copied); b is None without biases; then batch norm's (gamma, beta) with bn_affine."""
        with torch.no_grad():
            for lin, (W, b) in zip(self.linears, params):
                lin.weight.copy_(torch.from_numpy(torch_layout(np.asarray(W))))
                if self.spec.bias:
                    lin.bias.copy_(torch.from_numpy(np.asarray(b)))
            for norm, (gamma, beta) in zip(self.norms, params[len(self.linears) :]):
                norm.weight.copy_(torch.from_numpy(np.asarray(gamma)))
                norm.bias.copy_(torch.from_numpy(np.asarray(beta)))

    def get_params(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """The current weights in canonical layout, as copies; b is None without biases; then batch norm's (gamma, beta)."""
        return [_pair(lin.weight, lin.bias) for lin in self.linears] + self._scale_shift(lambda t: t)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (N, O)."""
        with torch.no_grad():
            return self.model(torch.from_numpy(X)).numpy()

    def training_loss(self, X: np.ndarray, y: np.ndarray, masks) -> torch.Tensor:
        """The loss in training mode, with the step's dropout masks if any; the model is back in eval mode after."""
        for dropout, mask in zip(self.dropouts, masks or [None] * len(self.dropouts)):
            dropout.mask = None if mask is None else torch.from_numpy(mask)
        self.model.train()
        try:
            return self.loss_fn(self.model(torch.from_numpy(X)), torch.from_numpy(y))
        finally:
            self.model.eval()
            for dropout in self.dropouts:
                dropout.mask = None

    def gradients(self, X: np.ndarray, y: np.ndarray, masks=None) -> tuple[float, list[tuple[np.ndarray, np.ndarray | None]]]:
        """(mean mini-batch loss, [(dW, db), ...]) at the current weights, canonical layout (db None without biases); with dropout `masks`
        (one (N, width) array per hidden layer) if given."""
        self.optimizer.zero_grad(set_to_none=True)
        running = [norm.state_dict() for norm in self.norms]  # training mode updates them: gradients must not
        running = [{k: v.clone() for k, v in state.items()} for state in running]
        loss = self.training_loss(X, y, masks)
        loss.backward()
        for norm, state in zip(self.norms, running):
            norm.load_state_dict(state)
        grads = [_pair(lin.weight.grad, lin.bias.grad if self.spec.bias else None) for lin in self.linears]
        grads += self._scale_shift(lambda t: t.grad)
        self.optimizer.zero_grad(set_to_none=True)
        return loss.item(), grads

    def _scale_shift(self, of) -> list[tuple[np.ndarray, np.ndarray]]:
        """Batch norm's (gamma, beta) pairs as NumPy copies, `of` each tensor (itself or its .grad); [] without bn_affine."""
        if not self.spec.bn_affine:
            return []
        return [(of(norm.weight).detach().numpy().copy(), of(norm.bias).detach().numpy().copy()) for norm in self.norms]

    def train_step(self, X: np.ndarray, y: np.ndarray, masks=None) -> float:
        """One update on a mini-batch, with the step's dropout masks if any; returns the mini-batch loss before the update."""
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.training_loss(X, y, masks)
        loss.backward()
        if self.spec.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=self.spec.clip_norm)
        elif self.spec.clip_value > 0:
            torch.nn.utils.clip_grad_value_(self.model.parameters(), clip_value=self.spec.clip_value)
        self.optimizer.step()
        if self.scheduler is not None and self.spec.schedule_every == "batch":
            self.scheduler.step()
        return loss.item()

    def end_epoch(self) -> None:
        """Called by the training loop after an epoch's last step: a per-epoch schedule steps."""
        if self.scheduler is not None and self.spec.schedule_every == "epoch":
            self.scheduler.step()

    def loss(self, X: np.ndarray, y: np.ndarray, masks=None, training: bool = False) -> float:
        """Mean loss (plus the L2 penalty) at the current weights; training=True: dropout with `masks` and batch norm
        on the batch's statistics, the running ones left as they were."""
        with torch.no_grad():
            if not training:
                return self.loss_fn(self.model(torch.from_numpy(X)), torch.from_numpy(y)).item()
            running = [{k: v.clone() for k, v in norm.state_dict().items()} for norm in self.norms]
            value = self.training_loss(X, y, masks).item()
            for norm, state in zip(self.norms, running):
                norm.load_state_dict(state)
            return value

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network outputs: identity or sigmoid values, or softmax probabilities."""
        with torch.no_grad():
            return self.output_fn(self.model(torch.from_numpy(X))).numpy()

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, network outputs) from one forward pass: what scoring a data set needs."""
        with torch.no_grad():
            logits = self.model(torch.from_numpy(X))
            return self.loss_fn(logits, torch.from_numpy(y)).item(), self.output_fn(logits).numpy()


def make(spec, params: list[tuple[np.ndarray, np.ndarray | None]], *, from_logits: bool = True) -> MLP:
    """The spec's network from canonical weights; from_logits=False computes bce and ce on probabilities."""
    return MLP(spec, params, from_logits)
