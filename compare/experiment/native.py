"""Each framework's own defaults, read live from the installed version: hyperparameters, initial
weights, and `run --defaults native` (what a learner sees without aligning anything)."""

from __future__ import annotations

import inspect

import numpy as np

from compare.experiment import harness, implementations
from compare.experiment.spec import Spec

# spec optimizer -> (torch.optim class, keras.optimizers class)
CLASSES = {
    "sgd": ("SGD", "SGD"),
    "momentum": ("SGD", "SGD"),
    "nesterov": ("SGD", "SGD"),
    "adam": ("Adam", "Adam"),
    "rmsprop": ("RMSprop", "RMSprop"),
}
# spec field -> (torch argument, keras argument)
ARGS = {
    "lr": ("lr", "learning_rate"),
    "eps": ("eps", "epsilon"),
    "rho": ("alpha", "rho"),
    "beta1": ("betas", "beta_1"),
    "beta2": ("betas", "beta_2"),
}


def load_keras():
    """keras, imported after torch (the safe order) and through tf_impl (which silences TensorFlow's banner)."""
    import torch  # noqa: F401

    # isort: split
    import tf_impl  # noqa: F401  (imports TensorFlow without its start-up banner)

    # isort: split
    import keras

    return keras


def signature_defaults(cls) -> dict:
    """The keyword defaults of a class's constructor, as installed."""
    return {k: v.default for k, v in inspect.signature(cls.__init__).parameters.items() if v.default is not inspect.Parameter.empty}


def optimizer_class(framework: str, name: str):
    """torch.optim.X or keras.optimizers.X for a spec optimizer name (or a class name such as 'AdamW')."""
    cls = CLASSES.get(name, (name, name))[0 if framework == "torch" else 1]
    if framework == "torch":
        import torch

        return getattr(torch.optim, cls)
    return getattr(load_keras().optimizers, cls)


def hyper(framework: str, optimizer: str) -> dict[str, float]:
    """Spec fields {lr, eps, rho, beta1, beta2} as the framework's constructor defaults them."""
    d = signature_defaults(optimizer_class(framework, optimizer))
    out = {}
    for field, (t, k) in ARGS.items():
        key = t if framework == "torch" else k
        if key not in d:
            continue
        value = d[key]
        if key == "betas":
            value = value[0] if field == "beta1" else value[1]
        out[field] = float(value)
    return out


def native_spec(framework: str, spec: Spec) -> Spec:
    """The spec with the framework's default hyperparameters; the momentum coefficient stays the
    spec's (both default it to 0, which would turn momentum off)."""
    return spec.replace(**hyper(framework, spec.optimizer))


def init(framework: str, spec: Spec) -> list[tuple[np.ndarray, np.ndarray]]:
    """The framework's own initial weights for the spec's layers, seeded by spec.seed, canonical layout.

    torch: nn.Linear's kaiming_uniform(a=sqrt(5)) weight and U(+-1/sqrt(fan_in)) bias after torch.manual_seed;
    Keras: Dense's glorot_uniform kernel and zero bias after keras.utils.set_random_seed."""
    sizes = list(zip(spec.layers[:-1], spec.layers[1:]))
    if framework == "torch":
        import torch

        torch.manual_seed(spec.seed)
        layers = [torch.nn.Linear(i, o, dtype=getattr(torch, spec.dtype)) for i, o in sizes]
        return [(lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy().copy()) for lin in layers]
    keras = load_keras()
    keras.utils.set_random_seed(spec.seed)
    out = []
    for i, o in sizes:
        layer = keras.layers.Dense(o, dtype=spec.dtype)
        layer.build((None, i))
        out.append((layer.kernel.numpy().copy(), layer.bias.numpy().copy()))
    return out


def keras_optimizer(spec: Spec):
    """The spec's Keras optimizer as a learner writes it: Python floats, the rate in floatx."""
    keras = load_keras()

    o = spec.optimizer
    if o in ("sgd", "momentum", "nesterov"):
        mu = spec.momentum if o != "sgd" else 0.0
        return keras.optimizers.SGD(learning_rate=spec.lr, momentum=mu, nesterov=o == "nesterov")
    if o == "adam":
        return keras.optimizers.Adam(learning_rate=spec.lr, beta_1=spec.beta1, beta_2=spec.beta2, epsilon=spec.eps)
    return keras.optimizers.RMSprop(learning_rate=spec.lr, rho=spec.rho, epsilon=spec.eps)


def build(name: str, spec: Spec, params, *, python_floats: bool = False, probabilities: bool = False):
    """An implementation of the project (implementations.build) with learner-style changes before its first step.

    python_floats: Keras gets its optimizer with Python-float hyperparameters (rounded to float32 inside Keras).
    probabilities: bce/ce computed on probabilities (torch BCELoss / nll(log softmax); Keras from_logits=False)."""
    model = implementations.build(name, spec, params)
    if python_floats and name == "tensorflow":
        model.optimizer = keras_optimizer(spec)
        model.optimizer.build(model.variables)
    if probabilities and spec.loss in ("bce", "ce") and name in ("torch", "tensorflow"):
        model.loss_fn = _probability_loss(name, spec)
    return model


def _probability_loss(name: str, spec: Spec):
    if name == "torch":
        import torch

        if spec.loss == "bce":
            bce = torch.nn.BCELoss()
            return lambda logits, y: bce(torch.sigmoid(logits), y)
        return lambda logits, y: torch.nn.functional.nll_loss(torch.log(torch.softmax(logits, dim=1)), y)
    keras = load_keras()
    import tensorflow as tf

    # tf.identity in between: inside a tf.function Keras finds a Sigmoid/Softmax op feeding the loss and
    # silently switches to the logits formula; then no clipping would happen.
    if spec.loss == "bce":
        bce = keras.losses.BinaryCrossentropy(dtype=spec.dtype)
        return lambda logits, y: bce(y, tf.identity(tf.sigmoid(logits)))
    cce = keras.losses.SparseCategoricalCrossentropy(dtype=spec.dtype)
    return lambda logits, y: cce(y, tf.identity(tf.nn.softmax(logits, axis=1)))


def run(spec: Spec, on_epoch=None, fd_entries: int | None = -1):
    """compare.run with torch and tensorflow on their own defaults: each framework's initial weights (seeded by
    spec.seed) and default hyperparameters, Keras given Python floats. The NumPy runs keep the spec, so the
    explainer can name the gap. environment["defaults"] records "native" and what each framework used."""
    from compare.experiment import environment
    from compare.experiment.pipeline import Result, finite_differences, first_batch, prepare

    data, ref_init, order = prepare(spec)
    result = Result(spec, data, ref_init, order)
    X, y = first_batch(spec, data, order)
    specs, models, used = {}, {}, {}
    for name in implementations.runs_for(spec):
        if not implementations.installed(name):
            result.missing.append(name)
            continue
        specs[name], params = spec, ref_init
        if name in ("torch", "tensorflow"):
            specs[name], params = native_spec(name, spec), init(name, spec)
            used[name] = hyper(name, spec.optimizer)
        models[name] = build(name, specs[name], params, python_floats=True)
        result.grads[name] = models[name].gradients(X, y)
    if "numpy" in spec.frameworks:
        result.fd = finite_differences(spec, ref_init, X, y, fd_entries)
    result.environment = {**environment.record(spec, result.names), "defaults": "native", "native_hyperparameters": used}
    for name, model in models.items():
        callback = (lambda epoch, name=name: on_epoch(name, epoch)) if on_epoch else None
        result.histories[name] = harness.train(name, model, specs[name], data, order, callback)
    return result
