"""The explainer names the convention behind each disagreement, and says 'not explained' for a real bug."""

import json

import numpy as np
import pandas as pd
import pytest

import scratch
from compare.agree.differences import curve_diff
from compare.cli import main, parser
from compare.experiment import pipeline
from compare.experiment.pipeline import prepare
from compare.explain import search
from compare.shared import harness, implementations, native, weights
from compare.shared.spec import Spec

BASE = Spec(layers=(2, 8, 1), activation="tanh", loss="mse", output="identity", lr=0.05, epochs=3, batch_size=16)


def train(spec, models: dict):
    """{name: per-step losses} and {name: first-batch gradients} for models built by name -> f(spec, init)."""
    data, init, order = prepare(spec)
    first = order[0, : spec.batch_size]
    curves, grads = {}, {}
    for name, build in models.items():
        model = build(spec, init)
        grads[name] = model.gradients(data.X_train[first], data.y_train[first])[1]
        curves[name] = harness.train(name, model, spec, data, order).losses
    return (spec, data, init, order), curves, grads


def aligned(name):
    return lambda spec, init: implementations.build(name, spec, init)


def switch_names(finding) -> set:
    return {s.name for s in finding.best.switches}


@pytest.mark.parametrize("optimizer,words", [("adam", "Adam adds eps to sqrt(v_hat) in torch"), ("rmsprop", "by sqrt(v + eps) in Keras")])
def test_adam_and_rmsprop_torch_vs_tensorflow_are_explained_by_eps_placement(optimizer, words):
    spec = BASE.replace(optimizer=optimizer, lr=0.01, eps=1e-6)
    run, curves, grads = train(spec, {n: aligned(n) for n in ("numpy", "torch", "tensorflow")})
    _, rel = curve_diff(curves["torch"], curves["tensorflow"])
    assert rel.max() > 1e-8  # the gap is real, far above float64 round-off
    result = search.explain(*run, curves, grads)
    torch_f, tf_f = result.findings["torch"], result.findings["tensorflow"]
    assert torch_f.as_is and torch_f.best.max_rel < 1e-13
    assert switch_names(tf_f) == {"keras_rules"} and tf_f.best.max_rel < 1e-13 and tf_f.best.grad_rel < 1e-13
    assert f"{optimizer.replace('rmsprop', 'RMSprop').replace('adam', 'Adam')} eps placement" in tf_f.best.label
    (pair,) = result.pairs
    assert pair.startswith("torch and tensorflow differ because") and words in pair
    again = search.explain(*run, {**curves, "again": curves["tensorflow"]}, {**grads, "again": grads["tensorflow"]})
    (pair,) = again.pairs  # runs grouped by what explains them: the difference said once
    assert pair.startswith("torch differs from tensorflow and again because") and words in pair


def test_python_float_momentum_in_keras_is_explained_by_float32_rounding():
    spec = BASE.replace(optimizer="momentum", momentum=0.9)
    run, curves, grads = train(spec, {"torch": aligned("torch"),
                                      "tensorflow": lambda s, i: implementations.build("tensorflow", s, i, python_floats=True)})  # fmt: skip
    result = search.explain(*run, curves, grads)
    assert result.findings["torch"].as_is
    tf_f = result.findings["tensorflow"]
    assert tf_f.explained and switch_names(tf_f) == {"float32_hyper"} and tf_f.best.max_rel < 1e-13
    assert "rounds Python-float hyperparameters" in result.pairs[0]


def test_keras_loss_on_probabilities_is_explained_by_its_clipping():
    spec = BASE.replace(loss="bce", output="sigmoid", dataset="blobs", noise=0.0, init_scale=3.0, optimizer="momentum", lr=1.0)
    run, curves, grads = train(spec, {"torch": aligned("torch"),
                                      "tensorflow": lambda s, i: implementations.build("tensorflow", s, i, from_logits=False)})  # fmt: skip
    _, rel = curve_diff(curves["torch"], curves["tensorflow"])
    assert rel.max() > 1e-6
    result = search.explain(*run, curves, grads)
    assert result.findings["torch"].as_is
    tf_f = result.findings["tensorflow"]
    assert switch_names(tf_f) == {"keras_probs"}, tf_f.sentence()
    assert "clips them to [1e-7, 1 - 1e-7]" in result.pairs[0]


class ScaledFirstGradient(scratch.MLP):
    """A deliberately broken NumPy MLP: dW1 is 1.5 times too large."""

    def backward(self, dZ, cache, grads=None):
        grads = super().backward(dZ, cache, grads)
        grads[0][0][...] *= 1.5
        return grads


def test_a_broken_implementation_is_not_explained():
    run, curves, grads = train(BASE, {"torch": aligned("torch"), "broken": lambda s, i: ScaledFirstGradient(s, i, scratch.pieces_for(s))})
    result = search.explain(*run, curves, grads)
    broken = result.findings["broken"]
    assert not broken.explained and broken.tried > 10
    assert "broken: not explained" in result.text() and "torch: matches the NumPy reference as is" in result.text()
    assert result.table.set_index("framework").loc["broken", "explained_by"] == "not explained"


def test_native_defaults_gap_is_accounted_for():
    spec = BASE.replace(optimizer="adam", lr=0.01)
    result = pipeline.run(spec, defaults="native")
    e = search.explain_result(result)
    text = e.text()
    assert switch_names(e.findings["torch"]) == {"torch_defaults"}
    assert switch_names(e.findings["tensorflow"]) == {"keras_defaults", "float32_hyper", "keras_rules"}
    assert all(f.best.max_rel < 1e-13 for f in e.findings.values())
    assert "not explained" not in text and "torch's default initialisation" in text


def test_native_hyperparameters_are_read_from_the_installed_signatures():
    assert native.hyper("torch", "rmsprop") == {"lr": 0.01, "eps": 1e-8, "rho": 0.99}
    assert native.hyper("tensorflow", "rmsprop") == {"lr": 0.001, "eps": 1e-7, "rho": 0.9}
    assert native.hyper("tensorflow", "adam")["eps"] == 1e-7 and native.hyper("torch", "sgd") == {"lr": 0.001}
    W, b = native.init("tensorflow", BASE)[0]
    assert not b.any() and np.abs(W).max() <= np.sqrt(6 / 10)


def test_run_explains_only_when_asked_and_refuses_an_unknown_defaults_mode(capsys):
    args = parser().parse_args(["run"])
    assert args.defaults == "aligned" and not args.explain
    with pytest.raises(SystemExit) as e:
        parser().parse_args(["run", "--defaults", "nope"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1 and "--defaults: invalid choice: 'nope'" in err


def write_bundle(folder, spec, data, init, order, curves, grads):
    """The files of a run bundle that explain reads (issue 3's names)."""
    folder.mkdir()
    (folder / "spec.json").write_text(json.dumps(spec.to_dict()))
    np.savez(folder / "data.npz", X_train=data.X_train, y_train=data.y_train, X_test=data.X_test, y_test=data.y_test)
    weights.save(folder / "init.npz", init)
    np.save(folder / "schedule.npy", order)
    frames = [pd.DataFrame({"framework": n, "epoch": 1, "step": np.arange(1, len(c) + 1), "loss": c}) for n, c in curves.items()]
    pd.concat(frames).to_csv(folder / "curves.csv", index=False, float_format="%.17g")
    (folder / "losses").mkdir()
    for name, c in curves.items():
        np.save(folder / "losses" / f"{name}.npy", np.asarray(c, "<f8"))  # what explain reads: the exact losses
    (folder / "grads").mkdir()
    for name, g in grads.items():
        weights.save(folder / "grads" / f"{name}.npz", g, prefix="d")


def test_explain_command_reads_a_bundle(tmp_path, capsys):
    spec = BASE.replace(optimizer="rmsprop", lr=0.01, eps=1e-6, frameworks=("numpy", "tensorflow"))
    run, curves, grads = train(spec, {n: aligned(n) for n in ("numpy", "tensorflow")})
    write_bundle(tmp_path / "run", *run, curves, grads)
    assert main(["explain", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "tensorflow: explained by RMSprop eps placement, Keras form" in out


def test_explain_command_exits_1_when_something_is_not_explained(tmp_path, capsys):
    run, curves, grads = train(BASE, {"numpy": aligned("numpy"), "broken": lambda s, i: ScaledFirstGradient(s, i, scratch.pieces_for(s))})
    write_bundle(tmp_path / "run", *run, curves, grads)
    assert main(["explain", str(tmp_path / "run")]) == 1
    assert "broken: not explained" in capsys.readouterr().out


@pytest.mark.parametrize("make", ["missing", "empty", "bad-spec"])
def test_explain_command_bad_input_is_one_line_exit_2(tmp_path, capsys, make):
    folder = tmp_path / "run"
    if make != "missing":
        folder.mkdir()
    if make == "bad-spec":
        for name in ("data.npz", "init.npz", "schedule.npy", "curves.csv"):
            (folder / name).write_text("")
        (folder / "spec.json").write_text(json.dumps({"layers": [2, 4, 1], "optimizer": "adagrad"}))
    assert main(["explain", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mlp-compare explain: error:")


class SummedLoss(scratch.MLP):
    """A NumPy MLP that sums its loss over the mini-batch instead of averaging it."""

    def backward(self, dZ, cache, grads=None):
        return super().backward(dZ * len(dZ), cache, grads)

    def train_step(self, X, y):
        return super().train_step(X, y) * len(X)


def test_loss_reduction_and_float32_arithmetic_are_named():
    spec = BASE.replace(lr=0.005)

    class Float32:
        """torch in float32 behind a float64 interface: inputs cast down, as a float32 run would see them."""

        def __init__(self, s, init):
            self.model = implementations.build(
                "torch", s.replace(dtype="float32"), [(W.astype("float32"), b.astype("float32")) for W, b in init]
            )

        def __getattr__(self, name):
            method = getattr(self.model, name)
            cast = lambda a: a.astype("float32") if a.dtype.kind == "f" else a
            return lambda *arrays: method(*map(cast, arrays))

    run, curves, _ = train(spec, {"summed": lambda s, i: SummedLoss(s, i, scratch.pieces_for(s)), "torch32": Float32})
    result = search.explain(*run, curves)
    assert switch_names(result.findings["summed"]) == {"sum_loss"} and result.findings["summed"].best.max_rel < 1e-13
    torch32_f = result.findings["torch32"]
    assert switch_names(torch32_f) == {"float32"} and 1e-9 < torch32_f.best.max_rel < 1e-4


def test_a_blow_up_is_matched_only_by_a_blow_up_at_the_same_step():
    spec = BASE.replace(lr=1e160, epochs=2)  # one SGD step makes the output weights ~1e160: the next loss overflows
    run, curves, grads = train(spec, {"torch": aligned("torch"), "scaled": lambda s, i: ScaledFirstGradient(s, i, scratch.pieces_for(s))})
    failed = int(np.argmin(np.isfinite(curves["torch"]))) + 1
    assert 1 < failed < len(curves["torch"])
    result = search.explain(*run, curves, grads)
    torch_f = result.findings["torch"]
    assert torch_f.as_is and torch_f.best.total == failed
    assert not result.findings["scaled"].explained  # the same blow-up, but its first-batch gradient is wrong


def test_run_defaults_native_explains_every_gap_and_exits_0(tmp_path, capsys):
    argv = ["run", "--defaults", "native", "--optimizer", "momentum", "--lr", "0.1", "--epochs", "2", "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "torch: explained by torch's default initialisation and hyperparameters" in out
    assert "tensorflow: explained by hyperparameters rounded to float32 + Keras's default initialisation" in out
    assert main(["explain", str(tmp_path / "run")]) == 0  # the bundle of a native run is explained the same way
    # no pair with a framework on its own defaults is expected to agree, and every table and sentence says so
    assert "FAIL" not in out and "Some pairs that should agree do not" not in out and "All pairs that should agree do" in out
    agreement = pd.read_csv(tmp_path / "run" / "agreement.csv")
    exact = agreement["pair"].str.endswith(" vs exact")  # the NumPy runs against the exact reference: they should agree
    assert set(agreement[exact]["pair"]) == {"numpy vs exact"} and agreement[exact]["pass"].all()  # torch's momentum rules
    agreement = agreement[~exact]
    assert not agreement["should_agree"].any() and agreement["pass"].isna().all()
    assert agreement["reason"].str.contains("own default initial weights and hyperparameters").all()
    gradients = pd.read_csv(tmp_path / "run" / "gradients.csv")
    native_rows = gradients[gradients["pair"].str.contains("torch|tensorflow")]
    assert len(native_rows) and native_rows["pass"].isna().all() and (native_rows["status"] == "own defaults: not expected to agree").all()
    summary = (tmp_path / "run" / "summary.md").read_text()
    assert "All pairs that should agree do" in summary and "differ by design" in summary
