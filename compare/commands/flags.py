"""Spec flags shared by run, gradcheck and check: parse them, merge a TOML config, build the Spec."""

from __future__ import annotations

import argparse

from compare.shared import spec as spec_module
from compare.shared.spec import DATASETS, Spec, SpecError


def _layers(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"malformed --layers {text!r}; expected comma-separated sizes such as 2,16,16,1") from None
    if len(sizes) < 3 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--layers {text!r}: expected at least 3 positive sizes (input, hidden..., output)")
    return sizes


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"malformed --class-weights {text!r}; expected comma-separated numbers such as 1,2.5") from None


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def add_spec_flags(p: argparse.ArgumentParser) -> None:
    """The network, data and training flags; every default comes from the Spec dataclass."""
    g = p.add_argument_group("network and training (defaults: the beginner network 2-4-1, sigmoid, MSE, SGD on moons)")
    g.add_argument("--config", metavar="FILE.toml", help="TOML file of spec fields; flags given here override it")
    g.add_argument("--dataset", help=f"built-in data set ({', '.join(DATASETS)}) or a path to a CSV file")
    g.add_argument("--target", help="the CSV's target column (default: the last column)")
    g.add_argument("--layers", type=_layers, help="layer sizes from input to output, e.g. 2,16,16,1")
    g.add_argument(
        "--activation",
        type=_names,
        help="hidden activation: sigmoid, relu, tanh, leaky_relu, gelu (exact), gelu_tanh; or one per hidden layer, e.g. relu,tanh",
    )
    g.add_argument("--output", help="output activation for mse: identity or sigmoid (bce: sigmoid, ce: softmax)")
    g.add_argument("--loss", help="mse, bce (binary cross-entropy) or ce (softmax cross-entropy)")
    g.add_argument("--optimizer", help="sgd, momentum, nesterov, adam or rmsprop")
    for name, what in [
        ("lr", "learning rate"),
        ("momentum", "momentum coefficient"),
        ("beta1", "Adam beta1"),
        ("beta2", "Adam beta2"),
        ("eps", "Adam/RMSprop epsilon"),
        ("rho", "RMSprop decay (torch's alpha)"),
        ("init-scale", "bound (small_uniform) or std (small_normal) of the initial weights"),
        ("noise", "noise of generated data sets"),
        ("test-fraction", "held-out share of the data"),
        ("l2", "L2 penalty lam: lam/2 sum W^2 added to the loss (Keras l2(lam/2), torch weight_decay=lam)"),
        ("weight-decay", "decoupled weight decay (AdamW), optimizer adam only"),
        ("bn-momentum", "batch norm's running-statistics momentum, torch's m (Keras's momentum = 1 - m)"),
        ("bn-eps", "batch norm's eps (torch 1e-5, Keras 1e-3)"),
        ("dropout", "inverted-dropout rate p after every hidden activation, in [0, 1)"),
        ("clip-norm", "clip the gradients to this global norm (torch clip_grad_norm_, Keras global_clipnorm)"),
        ("clip-value", "clip every gradient entry to [-v, v] (clip_grad_value_, clipvalue)"),
        ("decay-rate", "schedule factor: gamma of step and exponential, d of inverse_time lr/(1+d t)"),
        ("leaky-slope", "leaky_relu's slope for z < 0 (torch 0.01, Keras layer 0.3, keras.activations 0.2)"),
    ]:
        g.add_argument(f"--{name}", type=float, help=what)
    for name, what in [
        ("epochs", "passes over the training data"),
        ("batch-size", "mini-batch size"),
        ("seed", "random seed"),
        ("n-samples", "size of generated data sets"),
        ("threads", "intra-op threads for torch and TensorFlow"),
        ("decay-steps", "schedule period: step's step size, cosine's T"),
    ]:
        g.add_argument(f"--{name}", type=int, help=what)
    g.add_argument("--schedule", help="learning-rate schedule: constant, step, exponential, cosine, inverse_time")
    g.add_argument("--schedule-every", help="what the schedule counts: batch (default) or epoch")
    g.add_argument("--class-weights", type=_floats, help="loss weight of each class, e.g. 1,3 (bce: w0,w1; ce: one per class)")
    g.add_argument("--weight-reduction", help="weighted mean over sum_weights (torch's CE weight, default) or batch (Keras's class_weight)")
    g.add_argument(
        "--no-bias",
        dest="bias",
        action="store_false",
        default=None,
        help="layers without biases: each computes A W, no + b (as Rashid's wih/who, Trask's syn0/syn1)",
    )
    g.add_argument("--batch-norm", action="store_true", default=None, help="batch norm after every hidden activation")
    g.add_argument(
        "--bn-affine",
        action="store_true",
        default=None,
        help="batch norm with a learned scale and shift, gamma Y + beta (the frameworks' default; needs --batch-norm)",
    )
    g.add_argument("--decay-biases", action="store_true", default=None, help="L2 and weight decay on the biases too")
    g.add_argument("--dtype", help="float64 (default) or float32")
    g.add_argument("--init", help=f"initial weights: {', '.join(spec_module.INITS)}")
    g.add_argument("--frameworks", type=_names, help="comma-separated: numpy,torch,tensorflow (default: all three)")


def add_cluster_flags(p: argparse.ArgumentParser) -> None:
    """Where a sweep or a grading runs: a local cluster of --workers, or a running scheduler (TLS files with it)."""
    p.add_argument("--workers", type=int, metavar="N", help="worker processes of the local cluster (default: the machine's cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="tcp://HOST:PORT or tls://HOST:PORT of a running 'dask scheduler' instead")
    p.add_argument("--tls-ca", metavar="FILE", help="CA certificate (PEM) for a tls:// scheduler")
    p.add_argument("--tls-cert", metavar="FILE", help="this client's certificate (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="this client's private key (PEM)")


def add_exact_flag(p: argparse.ArgumentParser, what: str) -> None:
    """--exact on|off|auto: the exact reference (quad precision) every run is measured against in ulps."""
    p.add_argument(
        "--exact",
        choices=("auto", "on", "off"),
        default="auto",
        help=f"the exact reference (quad precision) the runs are measured against in ulps: {what}",
    )


def spec_from_args(args: argparse.Namespace) -> Spec:
    """Defaults, then the TOML config, then the flags; validated, with errors naming the field."""
    values = spec_module.load_toml(args.config) if args.config else {}
    for field in spec_module.FIELDS:
        value = getattr(args, field, None)
        if value is not None:
            values[field] = value
    if "activation" in values and isinstance(values["activation"], (tuple, list)) and len(values["activation"]) == 1:
        values["activation"] = values["activation"][0]
    for key in ("layers", "frameworks"):
        if key in values and not isinstance(values[key], (list, tuple)):
            raise SpecError(f"spec.{key}: got {values[key]!r}; expected a list")
    return spec_module.from_dict(values)
