"""The MLP in PyTorch: nn.Linear layers, torch's losses, autograd, torch.optim."""

from __future__ import annotations

import numpy as np
import torch

from torch_impl import losses, optimizers
from torch_impl.activations import activate


class MLP:
    """Fully connected network; weights cross in the canonical (fan_in, fan_out) layout."""

    def __init__(self, spec, params: list[tuple[np.ndarray, np.ndarray]]):
        self.spec = spec
        self.dtype = getattr(torch, spec.dtype)
        torch.set_num_threads(spec.threads)
        torch.manual_seed(spec.seed)  # nothing here draws from torch's generator; seeded so nothing could differ
        sizes = list(zip(spec.layers[:-1], spec.layers[1:]))
        modules: list[torch.nn.Module] = []
        for (n_in, n_out), act in zip(sizes[:-1], spec.activations):
            modules += [torch.nn.Linear(n_in, n_out, dtype=self.dtype), activate(act)]
        modules.append(torch.nn.Linear(*sizes[-1], dtype=self.dtype))
        self.model = torch.nn.Sequential(*modules)
        self.linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        self.set_weights(params)
        self.loss_fn = losses.loss_fn(spec.loss, spec.output)
        self.optimizer = optimizers.make(spec, self.model.parameters())

    def set_weights(self, params) -> None:
        """Load canonical weights: torch stores weight as (fan_out, fan_in), so W is transposed here."""
        with torch.no_grad():
            for lin, (W, b) in zip(self.linears, params):
                lin.weight.copy_(torch.from_numpy(np.asarray(W).T))
                lin.bias.copy_(torch.from_numpy(np.asarray(b)))

    def get_weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The current weights in canonical layout (weight transposed back), as copies."""
        return [(lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy().copy()) for lin in self.linears]

    def _tensors(self, X: np.ndarray, y: np.ndarray):
        return torch.from_numpy(X), torch.from_numpy(y)

    def gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """(mean mini-batch loss, [(dW, db), ...]) at the current weights, canonical layout."""
        X_t, y_t = self._tensors(X, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(X_t), y_t)
        loss.backward()
        grads = [(lin.weight.grad.numpy().T.copy(), lin.bias.grad.numpy().copy()) for lin in self.linears]
        self.optimizer.zero_grad(set_to_none=True)
        return loss.item(), grads

    def train_step(self, X: np.ndarray, y: np.ndarray) -> float:
        """One update on a mini-batch; returns the mini-batch loss before the update."""
        X_t, y_t = self._tensors(X, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(X_t), y_t)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean loss at the current weights."""
        with torch.no_grad():
            return self.loss_fn(self.model(torch.from_numpy(X)), torch.from_numpy(y)).item()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network outputs: identity or sigmoid values, or softmax probabilities."""
        with torch.no_grad():
            return losses.output_probs(self.spec.output, self.model(torch.from_numpy(X))).numpy()
