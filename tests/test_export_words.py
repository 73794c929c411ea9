"""Every framework default an exported comment names is the installed version's own, read from its signature; a
comment appears exactly where an argument overrides one."""

import importlib
import inspect

import pytest

from compare.export.overrides import DEFAULTS, float32, note
from compare.shared.native import load_keras


def installed(what: str) -> dict:
    """{argument: default} of a class's constructor or a function, as installed."""
    load_keras()  # torch first, then TensorFlow quietly
    module, _, name = what.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError:  # a method: keras.Model.compile
        owner, _, cls = module.rpartition(".")
        obj = getattr(getattr(importlib.import_module(owner), cls), name)
    params = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj).parameters
    return {k: v.default for k, v in params.items() if v.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("what", DEFAULTS)
def test_every_default_a_comment_names_is_the_installed_one(what):
    live = installed(what)
    for arg, value in DEFAULTS[what].items():
        assert arg in live, (what, arg)
        assert live[arg] == value or (isinstance(value, tuple) and tuple(live[arg]) == value), (what, arg, live[arg], value)


def test_a_comment_appears_only_where_an_argument_overrides_a_default():
    assert note("torch.optim.Adam", "eps", 1e-08) == ""
    assert note("keras.optimizers.Adam", "epsilon", 1e-08).startswith("Keras's default 1e-07")
    assert note("torch.optim.SGD", "lr", 0.5) == "torch's default 0.001: steps 500x smaller"
    assert note("torch.optim.SGD", "momentum", 0.0) == "" and note("torch.optim.SGD", "nesterov", True) != ""
    assert float32(0.9) == "0.8999999762" and float32(0.5) == "0.5"
