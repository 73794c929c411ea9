"""The one frozen spec shared by the three implementations, the harness and the CLI."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from compare.errors import SpecError
from compare.shared.losses import LOSSES, LossKind
from compare.shared.toml_file import read_toml

ACTIVATIONS = ("sigmoid", "relu", "tanh", "leaky_relu", "gelu", "gelu_tanh")  # gelu: exact (erf); gelu_tanh: the tanh form
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop")
DTYPES = ("float64", "float32")
SCHEDULES = {
    "constant": (),
    "step": ("decay_rate", "decay_steps"),
    "exponential": ("decay_rate",),
    "cosine": ("decay_steps",),
    "inverse_time": ("decay_rate",),
}
SCHEDULE_EVERY = ("batch", "epoch")
WEIGHT_REDUCTIONS = ("sum_weights", "batch")
INITS = ("small_uniform", "small_normal", "glorot_uniform", "torch_default", "he_uniform")
FRAMEWORKS = ("numpy", "torch", "tensorflow")
CLASSIFICATION = ("xor", "moons", "circles", "blobs", "spirals", "digits", "iris", "breast_cancer")
REGRESSION = ("sine",)
DATASETS = CLASSIFICATION + REGRESSION  # built in (compare/shared/data.py); any other dataset is a CSV path


@dataclass(frozen=True)
class Spec:
    """Everything that defines one comparison run; every hyperparameter explicit."""

    layers: tuple[int, ...] = (2, 4, 1)  # sizes from input to output; >= 1 hidden layer
    activation: str | tuple[str, ...] = "sigmoid"  # hidden activation: one name, or one per hidden layer
    bias: bool = True  # each layer computes A W + b; False: A W alone, no b (as Rashid's wih/who, Trask's syn0/syn1)
    loss: str = "mse"  # mse | bce (sigmoid output, from logits) | ce (softmax output, from logits)
    output: str | None = None  # output activation: mse takes identity|sigmoid (None: sigmoid)
    optimizer: str = "sgd"  # sgd | momentum | nesterov | adam | rmsprop
    lr: float = 0.5  # learning rate, > 0
    momentum: float = 0.9  # momentum / nesterov coefficient, in [0, 1)
    beta1: float = 0.9  # Adam first-moment decay, in [0, 1)
    beta2: float = 0.999  # Adam second-moment decay, in [0, 1)
    eps: float = 1e-8  # Adam / RMSprop epsilon, >= 0 (placement differs: see conventions)
    rho: float = 0.99  # RMSprop decay (torch's alpha, Keras's rho), in [0, 1)
    batch_size: int = 16  # mini-batch size; the last batch of an epoch may be smaller
    epochs: int = 100  # passes over the training set
    seed: int = 0  # seeds weights, data split and the per-epoch sample order
    dtype: str = "float64"  # float64 | float32, for weights, data and arithmetic
    init: str = "small_uniform"  # initial weight scheme (see compare/shared/weights.py)
    init_scale: float = 0.5  # bound of small_uniform, std of small_normal
    dataset: str = "moons"  # built-in name (see compare/shared/data.py) or a path to a .csv
    target: str | None = None  # CSV only: target column (None: the last column)
    n_samples: int = 200  # generated data sets only: number of samples
    noise: float = 0.2  # generated data sets only: noise level
    test_fraction: float = 0.25  # held-out share of the data, in (0, 1)
    threads: int = 1  # intra-op threads for torch and TensorFlow (recorded; changes round-off)
    frameworks: tuple[str, ...] = FRAMEWORKS  # which implementations to run
    l2: float = 0.0  # L2 penalty lam/2 sum W^2 added to the loss (gradient lam W), >= 0: Keras l2(lam/2), torch weight_decay=lam
    weight_decay: float = 0.0  # decoupled weight decay (AdamW: p -= lr wd p before the update), >= 0; optimizer adam only
    decay_biases: bool = False  # the L2 penalty and the weight decay on the biases too (default: kernels only)
    batch_norm: bool = False  # batch norm after every hidden activation; needs batches >= 2
    bn_affine: bool = False  # batch norm's learned scale and shift, B = gamma Y + beta (torch's affine, Keras's scale and center)
    bn_momentum: float = 0.1  # running statistics r = (1 - m) r + m batch, torch's m (Keras's momentum is 1 - m), in (0, 1)
    bn_eps: float = 1e-5  # added to the variance, > 0 (torch 1e-5, Keras 1e-3)
    dropout: float = 0.0  # inverted-dropout rate p after every hidden activation, in [0, 1); masks drawn by the harness
    clip_norm: float = 0.0  # clip the gradients to this global norm, 0: off (torch clip_grad_norm_, Keras global_clipnorm)
    clip_value: float = 0.0  # clip every gradient entry to [-clip_value, clip_value], 0: off (clip_grad_value_, clipvalue)
    schedule: str = "constant"  # learning-rate schedule: constant | step | exponential | cosine | inverse_time
    schedule_every: str = "batch"  # what the schedule's t counts: batch (Keras's schedules) | epoch (torch's usual loop)
    decay_rate: float | None = None  # step, exponential: the factor gamma in (0, 1]; inverse_time: d > 0 in lr / (1 + d t)
    decay_steps: int | None = None  # step: multiply by gamma every decay_steps t; cosine: T, where the rate reaches 0
    class_weights: tuple[float, ...] | None = None  # bce, ce: loss weight of each class (bce: [w0, w1]), > 0; None: unweighted
    weight_reduction: str = (
        "sum_weights"  # weighted mean over sum_weights (torch's CrossEntropyLoss(weight)) | batch: over N (Keras's class_weight)
    )
    leaky_slope: float = 0.01  # leaky_relu's slope for z < 0, >= 0 (torch 0.01, keras.layers.LeakyReLU 0.3, keras.activations 0.2)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "layers", tuple(int(n) for n in self.layers))
        set_(self, "frameworks", tuple(self.frameworks))
        if isinstance(self.class_weights, (list, tuple)):
            set_(
                self,
                "class_weights",
                tuple(float(w) if isinstance(w, (int, float)) and not isinstance(w, bool) else w for w in self.class_weights),
            )
        if isinstance(self.activation, (list, tuple)):
            set_(self, "activation", tuple(self.activation))
        if self.output is None and self.loss in LOSSES:
            set_(self, "output", LOSSES[self.loss].default_output)
        for name in (
            "lr",
            "momentum",
            "beta1",
            "beta2",
            "eps",
            "rho",
            "init_scale",
            "noise",
            "test_fraction",
            "leaky_slope",
            "l2",
            "weight_decay",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SpecError(f"spec.{name}: got {value!r}; expected a number")
            set_(self, name, float(value))
        validate(self)

    @property
    def activations(self) -> tuple[str, ...]:
        """One activation name per hidden layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * (len(self.layers) - 2)
        return self.activation

    @property
    def loss_kind(self) -> LossKind:
        """What the loss takes and how its outputs are scored (compare/shared/losses.py)."""
        return LOSSES[self.loss]

    @property
    def target_dtype(self) -> str:
        """int64 for class labels (ce), else the spec's dtype."""
        return self.loss_kind.target_dtype(self.dtype)

    @property
    def adaptive(self) -> bool:
        """True for the optimizers whose torch and Keras update rules differ (Adam, RMSprop)."""
        return self.optimizer in ("adam", "rmsprop")

    def replace(self, **changes) -> Spec:
        """A copy with some fields changed; a new loss brings its own default output unless one is given."""
        if "loss" in changes and "output" not in changes and self.output == self.loss_kind.default_output:
            changes["output"] = None
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["layers"] = list(self.layers)
        d["frameworks"] = list(self.frameworks)
        if isinstance(self.activation, tuple):
            d["activation"] = list(self.activation)
        if self.class_weights is not None:
            d["class_weights"] = list(self.class_weights)
        return d

    def short(self) -> str:
        """A one-line summary such as '2-4-1 sigmoid mse+sigmoid sgd lr=0.5 f64 moons' ('2-4-1 nobias ...' without biases)."""
        acts = self.activation if isinstance(self.activation, str) else "/".join(self.activation)
        out = f"+{self.output}" if len(self.loss_kind.outputs) > 1 else ""
        data = Path(self.dataset).stem if self.dataset.endswith(".csv") else self.dataset
        dt = "f64" if self.dtype == "float64" else "f32"
        layers = "-".join(map(str, self.layers)) + ("" if self.bias else " nobias")
        return f"{layers} {acts} {self.loss}{out} {self.optimizer} lr={self.lr:g} {dt} {data}"


def _fail(name: str, value, expected: str) -> None:
    raise SpecError(f"spec.{name}: got {value!r}; expected {expected}")


def _choice(name: str, value, allowed) -> None:
    if value not in allowed:
        _fail(name, value, "one of " + ", ".join(allowed))


def validate(s: Spec) -> None:
    """Raise SpecError naming the first field whose value is not allowed."""
    if len(s.layers) < 3 or any(n < 1 for n in s.layers):
        _fail("layers", list(s.layers), "at least 3 positive sizes (input, >= 1 hidden, output)")
    acts = s.activations
    if len(acts) != len(s.layers) - 2:
        _fail("activation", s.activation, f"one name or a list of {len(s.layers) - 2} (one per hidden layer)")
    for a in acts:
        _choice("activation", a, ACTIVATIONS)
    _choice("loss", s.loss, tuple(LOSSES))
    _choice("output", s.output, s.loss_kind.outputs)
    if s.layers[-1] < s.loss_kind.min_outputs:
        _fail("layers", list(s.layers), f"an output size >= {s.loss_kind.min_outputs} for {s.loss} (one logit per class)")
    _choice("optimizer", s.optimizer, OPTIMIZERS)
    if not s.lr > 0:
        _fail("lr", s.lr, "a learning rate > 0")
    for name in ("momentum", "beta1", "beta2", "rho"):
        if not 0 <= getattr(s, name) < 1:
            _fail(name, getattr(s, name), "a value in [0, 1)")
    if not s.eps >= 0:
        _fail("eps", s.eps, "a value >= 0")
    for name in ("batch_size", "epochs", "n_samples", "threads"):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            _fail(name, value, "a whole number >= 1")
    if isinstance(s.seed, bool) or not isinstance(s.seed, int) or s.seed < 0:
        _fail("seed", s.seed, "a whole number >= 0")
    _choice("dtype", s.dtype, DTYPES)
    _choice("init", s.init, INITS)
    if not s.init_scale > 0:
        _fail("init_scale", s.init_scale, "a value > 0")
    if not s.noise >= 0:
        _fail("noise", s.noise, "a value >= 0")
    if not 0 < s.test_fraction < 1:
        _fail("test_fraction", s.test_fraction, "a value in (0, 1)")
    if not isinstance(s.dataset, str) or not (s.dataset in DATASETS or s.dataset.endswith(".csv")):
        _fail("dataset", s.dataset, "a .csv path or one of " + ", ".join(DATASETS))
    for name in ("batch_norm", "bn_affine"):
        if not isinstance(getattr(s, name), bool):
            _fail(name, getattr(s, name), "true or false")
    if s.batch_norm and s.batch_size < 2:
        _fail("batch_size", s.batch_size, "a batch of >= 2 samples with batch_norm (one sample has no variance)")
    if s.bn_affine and not s.batch_norm:
        _fail("bn_affine", s.bn_affine, "false unless batch_norm is true (a learned scale and shift belong to batch norm)")
    if not 0 < s.bn_momentum < 1:
        _fail("bn_momentum", s.bn_momentum, "a value in (0, 1)")
    if not s.bn_eps > 0:
        _fail("bn_eps", s.bn_eps, "a value > 0")
    if not 0 <= s.dropout < 1:
        _fail("dropout", s.dropout, "a rate in [0, 1)")
    for name in ("l2", "weight_decay", "clip_norm", "clip_value"):
        if not getattr(s, name) >= 0:
            _fail(name, getattr(s, name), "a value >= 0")
    if s.weight_decay > 0 and s.optimizer != "adam":
        _fail("weight_decay", s.weight_decay, "0 unless optimizer is adam (decoupled weight decay is AdamW; L2 is spec.l2)")
    if s.clip_norm > 0 and s.clip_value > 0:
        _fail("clip_value", s.clip_value, "0 when clip_norm is set (one clipping at a time, as Keras allows)")
    if not isinstance(s.decay_biases, bool):
        _fail("decay_biases", s.decay_biases, "true or false")
    if not isinstance(s.bias, bool):
        _fail("bias", s.bias, "true or false")
    if s.decay_biases and not s.bias:
        _fail("decay_biases", s.decay_biases, "false when bias is false (a network without biases has none to decay)")
    _validate_schedule(s)
    _choice("weight_reduction", s.weight_reduction, WEIGHT_REDUCTIONS)
    if s.class_weights is not None:
        classes = 2 if s.loss == "bce" else s.layers[-1]
        if s.loss == "mse" or (s.loss == "bce" and s.layers[-1] != 1):
            _fail("class_weights", list(s.class_weights), "None unless the loss is ce, or bce with one output")
        if len(s.class_weights) != classes or not all(isinstance(w, float) and w > 0 for w in s.class_weights):
            _fail("class_weights", list(s.class_weights), f"{classes} weights > 0, one per class")
    if not s.leaky_slope >= 0:
        _fail("leaky_slope", s.leaky_slope, "a slope >= 0")
    if not s.frameworks:
        _fail("frameworks", [], "at least one of " + ", ".join(FRAMEWORKS))
    for f in s.frameworks:
        _choice("frameworks", f, FRAMEWORKS)
    if len(set(s.frameworks)) != len(s.frameworks):
        _fail("frameworks", list(s.frameworks), "each framework once")


def require_biases(bias: bool, what: str) -> None:
    """Refuse a network without biases where `what` (the learner checks) takes networks with biases only."""
    if not bias:
        _fail("bias", bias, f"true: {what} takes networks with biases only")


def _validate_schedule(s: Spec) -> None:
    _choice("schedule", s.schedule, tuple(SCHEDULES))
    _choice("schedule_every", s.schedule_every, SCHEDULE_EVERY)
    needs = SCHEDULES[s.schedule]
    for name in ("decay_rate", "decay_steps"):
        value = getattr(s, name)
        if name in needs and value is None:
            _fail(name, None, f"a value: the {s.schedule} schedule needs {' and '.join(needs)}")
        if name not in needs and value is not None:
            _fail(name, value, f"None: the {s.schedule} schedule takes " + (" and ".join(needs) or "no parameters"))
    if s.decay_steps is not None and (isinstance(s.decay_steps, bool) or not isinstance(s.decay_steps, int) or s.decay_steps < 1):
        _fail("decay_steps", s.decay_steps, "a whole number >= 1")
    if s.decay_rate is not None:
        if isinstance(s.decay_rate, bool) or not isinstance(s.decay_rate, (int, float)):
            _fail("decay_rate", s.decay_rate, "a number")
        if s.schedule == "inverse_time" and not s.decay_rate > 0:
            _fail("decay_rate", s.decay_rate, "a decay > 0")
        if s.schedule != "inverse_time" and not 0 < s.decay_rate <= 1:
            _fail("decay_rate", s.decay_rate, "a factor in (0, 1]")


FIELDS = tuple(f.name for f in dataclasses.fields(Spec))


def from_dict(d: dict) -> Spec:
    """Build a Spec from plain values (TOML, JSON, CLI); unknown keys are refused by name."""
    for key in d:
        if key not in FIELDS:
            raise SpecError(f"spec.{key}: unknown field; expected one of " + ", ".join(FIELDS))
    return Spec(**d)


def load_toml(path: str | Path) -> dict:
    """Read a TOML config into a dict of spec fields (keys may use - or _)."""
    data = read_toml(path, "config", "a TOML file of spec fields", SpecError)
    return {k.replace("-", "_"): v for k, v in data.items()}
