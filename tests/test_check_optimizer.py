"""check-optimizer: right optimizers in the three shapes named with their convention, one mutant per slip named
with its first departing step, no false alarm on random hyperparameters, bad input in one line, the MLP run."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import compare
from compare.cli import main
from compare.optimizer_check import diagnose, shapes, stepping
from compare.optimizer_check.check import DEFAULT_LR, check_optimizer, find
from compare.shared.spec import Spec


def load(path, name):
    """A learner's update rule by name, as the command finds it."""
    return find(path, "sgd", name)


LEARNERS = Path(__file__).parent / "learners" / "optimizers"
NUMPY = ("numpy",)
BOTH = {"torch", "keras"}

# (file, function or class, optimizer, the conventions it must match to round-off)
RIGHT = [
    ("cs231n.py", "sgd", "sgd", BOTH),
    ("cs231n.py", "sgd_momentum", "momentum", BOTH),
    ("cs231n.py", "nesterov", "nesterov", BOTH),
    ("cs231n.py", "rmsprop", "rmsprop", {"torch"}),
    ("cs231n.py", "rmsprop_eps_inside", "rmsprop", {"keras"}),
    ("cs231n.py", "adam", "adam", {"torch"}),
    ("cs231n.py", "adam_eps_hat", "adam", {"keras"}),
    ("deeplearning_ai.py", "update_parameters_with_gd", "sgd", BOTH),
    ("deeplearning_ai.py", "update_parameters_with_momentum", "momentum", {"ema"}),
    ("deeplearning_ai.py", "update_parameters_with_nesterov", "nesterov", BOTH),
    ("deeplearning_ai.py", "update_parameters_with_rmsprop", "rmsprop", {"torch"}),
    ("deeplearning_ai.py", "update_parameters_with_adam", "adam", {"torch"}),
    ("nnfs.py", "Optimizer_SGD", "sgd", BOTH),
    ("nnfs.py", "Optimizer_SGD", "momentum", BOTH),
    ("nnfs.py", "Optimizer_SGD", "nesterov", BOTH),
    ("nnfs.py", "Optimizer_RMSprop", "rmsprop", {"torch"}),
    ("nnfs.py", "Optimizer_Adam", "adam", {"torch"}),
    ("classes.py", "SGD", "sgd", BOTH),
    ("classes.py", "Momentum", "momentum", BOTH),
    ("classes.py", "Momentum", "nesterov", BOTH),
    ("classes.py", "Adam", "adam", {"torch"}),
    ("classes.py", "RMSprop", "rmsprop", {"keras"}),
]


def mutants():
    """tests/learners/optimizers/mutants.py as a module of its own name (not on sys.path)."""
    spec = importlib.util.spec_from_file_location("optimizer_mutants", LEARNERS / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("file,name,optimizer,matched", RIGHT, ids=[f"{f[:-3]}.{n}-{o}" for f, n, o, _ in RIGHT])
def test_a_right_optimizer_passes_with_its_convention_named(file, name, optimizer, matched):
    report = check_optimizer(load(LEARNERS / file, name), Spec(optimizer=optimizer, lr=DEFAULT_LR[optimizer], frameworks=NUMPY), steps=3)
    assert report.ok and report.finding.kind == "convention"
    assert set(report.finding.matched) == matched
    assert report.table[[diagnose.RUN[c] for c in matched]].to_numpy().max() <= 1e-12
    same = report.runs.set_index("run").loc[[diagnose.RUN[c] for c in matched]]  # the MLP, in their layout and back
    assert same["pass"].all() and same["max_rel_weights"].max() <= 1e-12


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam", "rmsprop"])
def test_torch_and_keras_step_as_the_reference_in_their_own_convention(optimizer):
    hyper = {"lr": 0.05, "momentum": 0.8, "beta1": 0.85, "beta2": 0.995, "eps": 1e-8, "rho": 0.95}
    start, grads = stepping.random_problem(6)
    refs = diagnose.conventions(optimizer, hyper, start, grads)
    runs = stepping.frameworks(optimizer, hyper, start, grads)
    assert stepping.departures(runs["torch"], refs["torch"], start).max() <= 1e-13
    assert stepping.departures(runs["tensorflow"], refs["keras"], start).max() <= 1e-13
    conventions_apart = stepping.departures(refs["keras"], refs["torch"], start).max()
    assert conventions_apart > 1e-3 if optimizer in ("adam", "rmsprop") else conventions_apart <= 1e-12


# The slip leaves step 1 right where it needs state from an earlier step: a dropped or sign-flipped momentum
# buffer starts from zero either way, t = 1 at the first step, and m̂ = g, v̂ = g² at step 1 whatever the betas.
SECOND = {"state_dropped", "sign_momentum", "t_not_incremented", "betas_swapped"}
MUTANTS = mutants().MUTANTS


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_each_mutant_is_flagged_with_its_slip_and_first_departing_step(mutant):
    optimizer, slip = MUTANTS[mutant]
    report = check_optimizer(
        load(LEARNERS / "mutants.py", mutant), Spec(optimizer=optimizer, lr=DEFAULT_LR[optimizer], frameworks=NUMPY), steps=0
    )
    assert not report.ok and report.finding.kind == "slip"
    assert report.finding.slip == slip
    assert report.finding.first_step == (2 if slip in SECOND else 1)
    assert report.table[["numpy", "numpy-keras"]].to_numpy().min(axis=1)[report.finding.first_step - 1] > 1e-6


def random_hyper(rng) -> dict:
    return {
        "lr": float(10 ** rng.uniform(-4, -0.3)),
        "momentum": float(rng.uniform(0.0, 0.99)),
        "beta1": float(rng.uniform(0.5, 0.99)),
        "beta2": float(rng.uniform(0.9, 0.9999)),
        "eps": float(10 ** rng.uniform(-10, -6)),
        "rho": float(rng.uniform(0.5, 0.999)),
    }


# optimizer -> [(file, name, the convention it is written in)]
BY_CONVENTION = {
    "sgd": [("cs231n.py", "sgd", "torch")],
    "momentum": [("classes.py", "Momentum", "torch"), ("cs231n.py", "sgd_momentum", "keras")],
    "nesterov": [("classes.py", "Momentum", "torch"), ("nnfs.py", "Optimizer_SGD", "keras")],
    "adam": [("cs231n.py", "adam", "torch"), ("cs231n.py", "adam_eps_hat", "keras")],
    "rmsprop": [("cs231n.py", "rmsprop", "torch"), ("cs231n.py", "rmsprop_eps_inside", "keras")],
}


@pytest.mark.parametrize("optimizer", list(BY_CONVENTION))
def test_no_false_alarm_on_50_random_hyperparameter_sets_in_both_conventions(optimizer):
    rng = np.random.default_rng(13)
    learners = [(load(LEARNERS / f, n), c) for f, n, c in BY_CONVENTION[optimizer]]
    for i in range(50):
        spec = Spec(optimizer=optimizer, frameworks=NUMPY, **random_hyper(rng))
        for fn, convention in learners:
            report = check_optimizer(fn, spec, steps=0, seed=i)
            assert report.ok and convention in report.finding.matched, (i, spec, report.finding.message)


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "rmsprop"])
def test_random_hyperparameters_against_torch_and_keras_themselves(optimizer):
    rng = np.random.default_rng(7)
    for i in range(2):
        hyper = random_hyper(rng)
        for (file, name, _), run in zip(BY_CONVENTION[optimizer], ("torch", "tensorflow")):
            adapter = shapes.recognise(load(LEARNERS / file, name), optimizer, hyper)
            start, grads = stepping.random_problem(8, seed=i)
            start, grads = adapter.layout(start), [adapter.layout(g) for g in grads]  # a scalar and (n, 1) biases for torch and Keras too
            yours = stepping.learner_run(adapter, start, grads, ["W1", "b1", "W2", "b2", "W3", "b3"])
            theirs = stepping.frameworks(optimizer, hyper, start, grads, [run])[run]
            assert stepping.departures(yours, theirs, start).max() <= stepping.TOL, (i, hyper)


def run_cli(capsys, *args) -> tuple[int, str, list[str]]:
    code = main(["check-optimizer", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err.strip().splitlines()


def test_cli_names_torch_adam_and_trains_beside_torch_and_keras(capsys):
    code, out, err = run_cli(capsys, LEARNERS / "cs231n.py", "--optimizer", "adam", "--lr", "0.01", "--steps", "20")
    assert code == 0 and err == []
    flat = " ".join(out.split())
    assert "adam as adam: per tensor (CS231n); hyperparameters passed as learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-08." in flat
    assert (
        "Right. Your adam follows torch.optim.Adam" in flat
        and "keras.optimizers.Adam (ε̂" in flat
        and "is another convention, not a mistake" in flat
    )
    rows = dict(re.findall(r"│ (numpy|numpy-keras|torch|tensorflow) +│ +([\d.e+-]+) │", out))
    assert float(rows["torch"]) <= 1e-13 and float(rows["numpy"]) <= 1e-13 and float(rows["tensorflow"]) > 1e-6  # the random steps, step 1
    runs = re.findall(
        r"│ (numpy|numpy-keras|torch|tensorflow) +│ +([\d.e+-]+) │ +([\d.e+-]+) │ +(\d+|-) +│.*│ (yes|no) +│ (pass|FAIL|-) +│", out
    )
    assert [(r[0], r[3], r[4], r[5]) for r in runs] == [
        ("numpy", "-", "yes", "pass"),
        ("numpy-keras", "1", "no", "-"),
        ("torch", "-", "yes", "pass"),
        ("tensorflow", "1", "no", "-"),
    ]


def test_cli_names_the_slip_and_exits_1(capsys):
    code, out, _ = run_cli(
        capsys,
        LEARNERS / "mutants.py",
        "--optimizer",
        "adam",
        "--function",
        "no_bias_correction_m",
        "--frameworks",
        "numpy",
        "--steps",
        "5",
    )
    flat = " ".join(out.split())
    assert code == 1 and "Wrong. Bias correction missing on the first moment m" in flat and "Fix: m̂ = m / (1 - β1ᵗ)." in flat
    runs = re.findall(r"│ (numpy|numpy-keras) +│ +([\d.e+-]+) │ +([\d.e+-]+) │ +(\d+|-) +│.*│ (yes|no) +│ (pass|FAIL|-) +│", out)
    assert [(r[0], r[3]) for r in runs] == [("numpy", "1"), ("numpy-keras", "1")]


def test_the_function_is_found_by_the_optimizers_usual_names(capsys):
    code, out, _ = run_cli(
        capsys, LEARNERS / "deeplearning_ai.py", "--optimizer", "momentum", "--momentum", "0.9", "--frameworks", "numpy", "--steps", "0"
    )
    flat = " ".join(out.split())
    assert (
        code == 0
        and "update_parameters_with_momentum as momentum: whole network (deeplearning.ai); hyperparameters passed as learning_rate=0.05, beta=0.9."
        in flat
    )
    assert "the EMA form deeplearning.ai teaches" in flat


def test_nnfs_decay_is_left_at_their_default_and_listed(capsys):
    code, out, _ = run_cli(capsys, LEARNERS / "nnfs.py", "--optimizer", "adam", "--eps", "1e-7", "--frameworks", "numpy", "--steps", "0")
    assert code == 0 and "Left at your defaults (this check does not know them): decay." in out


BAD = [
    ("returns_none", "sgd", "returns_none(W1) at step 1 returned None; expected (next_w, config)"),
    ("changes_shape", "sgd", "b1 after changes_shape at step 1 has shape (3, 3); an update keeps each tensor's shape, (3, 1)"),
    ("nan_at_step_3", "sgd", "your update put NaN in W1 at step 3; expected finite numbers"),
    (
        "drops_keys",
        "momentum",
        "drops_keys(W1) at step 1 returned a config without 'learning_rate', 'momentum', which it was given; keep the keys you are given",
    ),
    ("NoStep", "sgd", "NoStep: a class without step(params, grads) or update_params(layer); expected a function f(w, dw, config=None)"),
    (
        "adam",
        "adam",
        "adam(w, dw) is not a shape this check knows; expected a function f(w, dw, config=None) -> (next_w, config) (CS231n), ",
    ),
]


@pytest.mark.parametrize("name,optimizer,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_and_exit_2(capsys, name, optimizer, message):
    code, out, err = run_cli(
        capsys, LEARNERS / "bad.py", "--optimizer", optimizer, "--function", name, "--frameworks", "numpy", "--steps", "0"
    )
    assert code == 2 and out == "" and len(err) == 1
    assert err[0].startswith(f"mlp-compare check-optimizer: error: {message}")


def test_a_missing_optimizer_or_function_is_one_line(capsys):
    assert run_cli(capsys, LEARNERS / "bad.py", "--frameworks", "numpy")[2] == [
        "mlp-compare check-optimizer: error: --optimizer is required; expected one of sgd, momentum, nesterov, adam, rmsprop"
    ]
    code, _, err = run_cli(capsys, LEARNERS / "bad.py", "--optimizer", "rmsprop")
    assert code == 2 and err == [
        f"mlp-compare check-optimizer: error: {LEARNERS / 'bad.py'}: none of rmsprop, update_parameters_with_rmsprop, Optimizer_RMSprop, RMSprop "
        "for --optimizer rmsprop; it defines NoStep, adam, changes_shape, drops_keys, nan_at_step_3, returns_none (choose one with --function)"
    ]


def test_python_api_with_html_in_a_notebook():
    right = compare.check_optimizer(load(LEARNERS / "classes.py", "RMSprop"), "rmsprop", lr=0.01, eps=1e-7, steps=5, frameworks=NUMPY)
    assert right.ok and right.finding.matched == ["keras"]
    page = right._repr_html_()
    assert page.count("<table") == 2 and "Right. Your rmsprop follows keras.optimizers.RMSprop" in page
    wrong = compare.check_optimizer(load(LEARNERS / "mutants.py", "state_dropped"), "momentum", steps=5, frameworks=NUMPY)
    assert not wrong.ok and wrong.runs["first_divergent_step"].tolist() == [
        2,
        2,
        1,
    ]  # numpy, numpy-keras; the EMA form's first step is (1 - μ) lr g
    assert "Wrong. The state is not kept between calls" in wrong._repr_html_()


def test_check_trains_with_the_learners_backprop_and_their_optimizer_together(tmp_path, capsys):
    examples = Path(__file__).parent.parent / "examples"
    mine = tmp_path / "mine.py"
    banner = 'print("mine.py imported")\n'  # the file runs once: their backprop and their update rule from one module
    mine.write_text((examples / "beginner_mlp.py").read_text() + (LEARNERS / "mutants.py").read_text() + banner)
    beginner = ["--layers", "2,3,1", "--activation", "sigmoid", "--output", "sigmoid", "--loss", "mse", "--frameworks", "numpy"]
    assert main(["check", str(mine), *beginner, "--optimizer", "momentum", "--optimizer-function", "state_dropped", "--steps", "6"]) == 1
    out = capsys.readouterr().out
    assert "Right. The loss and every gradient match the reference." in out and out.count("mine.py imported") == 1
    flat = " ".join(out.split())
    assert "with your momentum and your gradients" in out and "Wrong. The state is not kept between calls" in flat
    assert "Fix: store the updated buffers back (config['velocity'] = v, self.m[i] = m, ...)." in flat  # printed as written, not as markup
    runs = re.findall(r"│ (numpy|numpy-keras|numpy-ema) +│ +([\d.e+-]+) │ +([\d.e+-]+) │ +(\d+|-) +│", out)
    assert [(r[0], r[3]) for r in runs] == [("numpy", "2"), ("numpy-keras", "2"), ("numpy-ema", "1")]


def test_no_known_slip_is_said_plainly_with_the_first_departing_step_and_tensor(capsys):
    code, out, _ = run_cli(
        capsys, LEARNERS / "mutants.py", "--optimizer", "adam", "--function", "two_slips", "--frameworks", "numpy", "--steps", "0"
    )
    flat = " ".join(out.split())
    assert code == 1 and "Wrong. No known slip fits. Your steps first part from the nearest rule" in flat
    # without the root, a tensor whose gradients are of scale 1e-3 steps by lr · g / g² ~ 1e3 lr instead of lr at once
    found = re.search(r"at step 1, in (W\d|b\d): max relative difference ([\d.e+]+) there", flat)
    assert found and float(found[2]) > 100


def test_config_keys_follow_the_learners_source(capsys):
    code, out, _ = run_cli(
        capsys, LEARNERS / "mutants.py", "--optimizer", "sgd", "--function", "lr_config_key", "--frameworks", "numpy", "--steps", "0"
    )
    assert code == 0 and "hyperparameters passed as lr=0.1." in out


def test_float32_and_negative_steps_are_refused_in_one_line(capsys):
    args = [LEARNERS / "cs231n.py", "--optimizer", "sgd", "--frameworks", "numpy"]
    assert run_cli(capsys, *args, "--dtype", "float32")[2] == [
        "mlp-compare check-optimizer: error: --dtype float32: the optimizer check runs in float64, where round-off cannot hide a slip"
    ]
    assert run_cli(capsys, *args, "--steps", "-1")[2] == ["mlp-compare check-optimizer: error: --steps -1: expected a whole number >= 0"]


def test_an_optimizer_object_is_copied_for_each_run():
    optimizer = load(LEARNERS / "classes.py", "Adam")(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    report = compare.check_optimizer(optimizer, "adam", lr=0.01, steps=4, frameworks=NUMPY)
    assert report.ok and report.passed == {} and optimizer.t == 0  # theirs untouched: the random run and the MLP run each had a copy
