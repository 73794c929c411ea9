"""Each framework's own defaults, read live from the installed version: its optimizers' hyperparameters, its
layers' initial weights, Keras fit's and torch's DataLoader's sample orders (what `run --defaults native` trains on,
what the explainer and the defaults table name, and what an idiomatic export departs from the bundle by)."""

from __future__ import annotations

import inspect

import numpy as np

from compare.shared.spec import Spec

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


def tricks(framework: str, spec: Spec) -> dict:
    """Spec changes a learner gets from the framework's own idiom for the spec's training tricks, defaults read as
    installed. torch: weight_decay=λ on every parameter, CrossEntropyLoss(weight) over Σw, LeakyReLU's and
    BatchNorm1d's defaults. Keras: l2(λ) = λΣW² on the kernels, class_weight over N, keras.activations.leaky_relu's
    and BatchNormalization's defaults (its clipnorm, per tensor, is a make() option: see per_tensor_clipnorm)."""
    out = {}
    if framework == "torch":
        import torch

        if spec.l2 > 0 and spec.bias:  # a network without biases has none to decay
            out["decay_biases"] = True
        if spec.class_weights is not None and spec.loss == "ce":
            out["weight_reduction"] = "sum_weights"
        if "leaky_relu" in spec.activations:
            out["leaky_slope"] = float(signature_defaults(torch.nn.LeakyReLU)["negative_slope"])
        if spec.batch_norm:
            d = signature_defaults(torch.nn.BatchNorm1d)
            out.update(bn_momentum=float(d["momentum"]), bn_eps=float(d["eps"]))
        return out
    keras = load_keras()
    if spec.l2 > 0:
        out["l2"] = 2 * spec.l2
    if spec.l2 > 0 and spec.bias:  # the kernels only
        out["decay_biases"] = False
    if spec.class_weights is not None:
        out["weight_reduction"] = "batch"
    if "leaky_relu" in spec.activations:
        out["leaky_slope"] = float(inspect.signature(keras.activations.leaky_relu).parameters["negative_slope"].default)
    if spec.batch_norm:
        d = signature_defaults(keras.layers.BatchNormalization)
        out.update(bn_momentum=1 - float(d["momentum"]), bn_eps=float(d["epsilon"]))
    return out


def native_spec(framework: str, spec: Spec) -> Spec:
    """The spec with the framework's default hyperparameters and its idiom's defaults for the training tricks; the
    momentum coefficient stays the spec's (both default it to 0, which would turn momentum off)."""
    return spec.replace(**hyper(framework, spec.optimizer), **tricks(framework, spec))


def init(framework: str, spec: Spec) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """The framework's own initial weights for the spec's layers, seeded by spec.seed, canonical layout; the layers
    are built without bias where the spec has none (b None).

    torch: nn.Linear's kaiming_uniform(a=sqrt(5)) weight and U(+-1/sqrt(fan_in)) bias after torch.manual_seed;
    Keras: Dense's glorot_uniform kernel and zero bias after keras.utils.set_random_seed."""
    sizes = list(zip(spec.layers[:-1], spec.layers[1:]))
    if framework == "torch":
        import torch

        from torch_impl import torch_layout

        torch.manual_seed(spec.seed)
        layers = [torch.nn.Linear(i, o, bias=spec.bias, dtype=getattr(torch, spec.dtype)) for i, o in sizes]
        return [
            (torch_layout(lin.weight.detach().numpy()).copy(), lin.bias.detach().numpy().copy() if spec.bias else None) for lin in layers
        ]
    keras = load_keras()
    keras.utils.set_random_seed(spec.seed)
    out = []
    for i, o in sizes:
        layer = keras.layers.Dense(o, use_bias=spec.bias, dtype=spec.dtype)
        layer.build((None, i))
        out.append((layer.kernel.numpy().copy(), layer.bias.numpy().copy() if spec.bias else None))
    return out


def torch_loader_order(spec: Spec, n_train: int) -> np.ndarray:
    """The sample order of every epoch, int array (epochs, n_train), that DataLoader(shuffle=True) takes in a script
    that calls torch.manual_seed(spec.seed), builds the spec's nn.Linear layers (which draw their initial weights
    first) and then iterates the loader, drawing nothing else from torch's generator (no nn.Dropout): each epoch's
    iterator draws its seeds from that generator, so the order follows the weights' draws."""
    import torch

    torch.manual_seed(spec.seed)
    for i, o in zip(spec.layers[:-1], spec.layers[1:]):
        torch.nn.Linear(i, o, bias=spec.bias, dtype=getattr(torch, spec.dtype))  # the draws of the model's initial weights
    indices = torch.utils.data.TensorDataset(torch.arange(n_train))
    loader = torch.utils.data.DataLoader(indices, batch_size=spec.batch_size, shuffle=True)
    return np.stack([torch.cat([batch for (batch,) in loader]).numpy() for _ in range(spec.epochs)]).astype(np.int64)


def keras_fit_order(seed: int, n_train: int, epochs: int) -> np.ndarray:
    """The sample order of every epoch, int array (epochs, n_train), that Keras's Model.fit(shuffle=True) trains on
    after keras.utils.set_random_seed(seed), on the TensorFlow backend: drawn by the very epoch iterator fit builds
    (TFEpochIterator over an ArrayDataAdapter, whose tf.data pipeline permutes with tf.random.shuffle), fed the
    sample indices instead of the data. Under a fixed seed the pipeline is re-instantiated each epoch with the same
    op seeds, so every epoch repeats the first one's permutation (measured on Keras 3.15). shuffle=True permutes all
    the indices before batching, so the order does not depend on the batch size and is drawn one whole-epoch batch at
    a time, and once two epochs match the rest are tiled (tests/test_keras_fit_order.py checks it against real fits
    of 2 and 3 epochs at batches of 16 and 32)."""
    keras = load_keras()
    import tensorflow as tf
    from keras.src.backend.tensorflow.trainer import TFEpochIterator  # what fit() iterates; not public API

    keras.utils.set_random_seed(seed)
    iterator = TFEpochIterator(x=np.arange(n_train), batch_size=n_train, shuffle=True, distribute_strategy=tf.distribute.get_strategy())
    iterator.reset()  # as fit() does before its first epoch
    orders = []
    for epoch in range(epochs):
        if epoch == 2 and (orders[1] == orders[0]).all():  # the pipeline's state did not move: no epoch will differ
            return np.tile(orders[0], (epochs, 1)).astype(np.int64)
        with iterator.catch_stop_iteration():
            orders.append(np.concatenate([next(step).numpy() for _, _, step in iterator]))  # the epoch's one batch: its indices
    return np.stack(orders).astype(np.int64)
