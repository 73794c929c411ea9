"""A learner's loss convention, which an export trains the frameworks to: their loss as a multiple of the spec's."""

from __future__ import annotations

from dataclasses import dataclass

from compare.errors import SpecError


@dataclass(frozen=True)
class Convention:
    """The learner's loss = loss_factor × the spec's mean loss (+ their L2 penalty); the exported scripts then train
    and report the learner's numbers, with a comment naming the mapping (e.g. "your ½·MSE: MSELoss() × 0.5").

    l2_penalty_factor: the learner's L2 penalty as a multiple of the spec's λ/2·ΣW² (2.0 for λ·ΣW²); None: the
    spec's own. decay_biases: whether the learner's penalty covers the biases too; None: as the spec says."""

    loss_factor: float = 1.0
    l2_penalty_factor: float | None = None
    decay_biases: bool | None = None
    words: str = ""  # one line for the comments, e.g. "your ½·MSE"

    def __post_init__(self) -> None:
        for name in ("loss_factor", "l2_penalty_factor"):
            value = getattr(self, name)
            if value is None and name == "l2_penalty_factor":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise SpecError(f"convention.{name}: got {value!r}; expected a factor > 0")
            object.__setattr__(self, name, float(value))
        if self.decay_biases is not None and not isinstance(self.decay_biases, bool):
            raise SpecError(f"convention.decay_biases: got {self.decay_biases!r}; expected true, false or None")
        if "\n" in self.words:
            raise SpecError(f"convention.words: got {self.words!r}; expected one line")

    @property
    def plain(self) -> bool:
        """True when it changes nothing: the spec's own loss and penalty."""
        return self.loss_factor == 1 and self.l2_penalty_factor in (None, 1) and self.decay_biases is None

    def l2_factor(self, spec) -> float:
        """The coefficient c of the penalty c·ΣW² the scripts add: λ/2 times the learner's factor."""
        return spec.l2 / 2 * (1.0 if self.l2_penalty_factor is None else self.l2_penalty_factor)

    def biases_decayed(self, spec) -> bool:
        return spec.decay_biases if self.decay_biases is None else self.decay_biases

    def check(self, spec) -> None:
        """Refuse an L2 description for a spec without an L2 penalty: there is nothing to scale."""
        if spec.l2 == 0 and (self.l2_penalty_factor is not None or self.decay_biases is not None):
            raise SpecError("convention.l2_penalty_factor: the spec has no L2 penalty (spec.l2 = 0); expected None")
        if self.decay_biases and not spec.bias:
            raise SpecError("convention.decay_biases: the network has no biases (spec.bias = false); expected None or False")


PLAIN = Convention()
