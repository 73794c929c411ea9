"""Loss conventions a learner may use on purpose: ½, a sum over the outputs, a sum over the batch; each found
from the one factor their loss and gradients share with the reference, named, and mapped onto torch and Keras."""

from __future__ import annotations

from dataclasses import dataclass

from compare.errors import LearnerError

PARTS = ("half", "outputs", "sum")


@dataclass(frozen=True)
class Convention:
    """The learner's loss = factor × the spec's (a mean over the batch, and over the outputs for mse and bce)."""

    half: bool = False  # ½ in front (mse only)
    outputs: bool = False  # summed over the outputs, not averaged (mse and bce)
    batch: bool = False  # summed over the batch, not averaged

    @property
    def name(self) -> str:
        return "+".join(p for p, on in zip(PARTS, (self.half, self.outputs, self.batch)) if on) or "mean"

    def factor(self, N: int, outputs_n: int) -> float:
        return (0.5 if self.half else 1.0) * (outputs_n if self.outputs else 1) * (N if self.batch else 1)

    def per_sample(self) -> Convention:
        """The same convention on one sample (a sum over a batch of one is its mean)."""
        return Convention(self.half, self.outputs, False)

    def factor_words(self, N: int, outputs_n: int) -> str:
        parts = ["0.5"] * self.half + [f"{outputs_n} outputs"] * self.outputs + [f"N = {N}"] * self.batch
        return " × ".join(parts) or "1"

    def words(self, loss: str) -> str:
        """The loss in words, e.g. ½‖ŷ − y‖² per sample, mean over the batch."""
        per_sample = {
            "mse": {
                (False, False): "the mean of (ŷ − y)² over the outputs",
                (True, False): "½ × the mean of (ŷ − y)² over the outputs",
                (False, True): "‖ŷ − y‖²",
                (True, True): "½‖ŷ − y‖²",
            },
            "bce": {
                (False, False): "the mean binary cross-entropy over the outputs",
                (False, True): "the binary cross-entropy summed over the outputs",
            },
            "ce": {(False, False): "the cross-entropy"},
        }[loss].get((self.half, self.outputs), "?")
        return f"{per_sample} per sample, {'summed' if self.batch else 'mean'} over the batch"

    def frameworks(self, loss: str, N: int, outputs_n: int) -> str:
        """How this convention maps onto torch's and Keras's losses (Keras averages over the outputs per sample)."""
        torch = {"mse": "MSELoss", "bce": "BCEWithLogitsLoss", "ce": "CrossEntropyLoss"}[loss]
        keras, args = {"mse": ("MeanSquaredError", []), "bce": ("BinaryCrossentropy", ["from_logits=True"])}.get(
            loss, ("SparseCategoricalCrossentropy", ["from_logits=True"])
        )
        c = self.factor(N, outputs_n)
        scale = f"{c:g} × " if c != 1 else ""
        summed_all = self.batch and not self.half and (self.outputs or outputs_n == 1)
        torch_words = f"torch's {torch}(reduction='sum')" if summed_all else f"{scale}torch's {torch}(reduction='mean')"
        if self.batch and not self.half and not (self.outputs and outputs_n > 1):
            keras_words = f"Keras's {keras}({', '.join([*args, 'reduction=' + repr('sum')])})"
        else:
            keras_words = f"{scale}Keras's {keras}({', '.join(args)})"
        return f"{torch_words}, {keras_words}"

    def message(self, loss: str, N: int, outputs_n: int) -> str:
        c = self.factor(N, outputs_n)
        if c == 1:
            return f"your loss is {self.words(loss)}: torch's and Keras's defaults."
        size = f"{c:g}× larger" if c > 1 else f"{1 / c:g}× smaller"
        return (
            f"your loss is {self.words(loss)} = {self.factor_words(N, outputs_n)} × the spec's: {self.frameworks(loss, N, outputs_n)}. "
            f"With the same learning rate your steps are {size} than torch's and Keras's with their default "
            f"reduction; to match them use lr × {c:g} there (or lr / {c:g} here)."
        )


def reports_mean(declared: Convention | None, loss: float | None, ref_loss: float, N: int, outputs_n: int, tol: float) -> bool:
    """--convention with a sum over the batch, and the loss reported as the mean: gradients that descend N × the loss
    the learner prints (how several tutorials train on purpose)."""
    if declared is None or not declared.batch or loss is None:
        return False
    mean = ref_loss * declared.factor(N, outputs_n) / N
    return abs(loss - mean) <= tol * abs(mean)


def parse(name: str) -> Convention:
    """--convention NAME: mean, or parts joined by +: half, outputs, sum (e.g. half+outputs, Nielsen's ½‖ŷ − y‖²)."""
    parts = [] if name == "mean" else name.split("+")
    if not parts and name != "mean" or any(p not in PARTS for p in parts) or len(set(parts)) != len(parts):
        raise LearnerError(f"--convention {name}: expected mean, or {', '.join(PARTS)} joined by + (e.g. half+outputs)")
    return Convention("half" in parts, "outputs" in parts, "sum" in parts)


def known(loss: str, outputs_n: int) -> list[Convention]:
    """The conventions a loss allows, fewest parts first (with one output, summing over the outputs changes nothing)."""
    halves = (False, True) if loss == "mse" else (False,)
    outputs = (False, True) if loss != "ce" and outputs_n > 1 else (False,)
    found = [Convention(h, o, b) for b in (False, True) for o in outputs for h in halves]
    return sorted(found, key=lambda c: c.half + c.outputs + c.batch)


def find(c: float, loss: str, N: int, outputs_n: int, tol: float) -> Convention | None:
    """The known convention whose factor is c (to 10 × tol), other than the spec's own."""
    for conv in known(loss, outputs_n)[1:]:
        value = conv.factor(N, outputs_n)
        if abs(c - value) <= 10 * tol * value:
            return conv
    return None
