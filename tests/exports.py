"""The exported scripts of the export tests, run once per test session: every case exported, then every torch script
in one fresh interpreter and every Keras script in another (TensorFlow's import paid once), both at a time; under
pytest-xdist the first worker runs them and the others read the folders it left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from compare.export.convention import Convention
from compare.export.folder import export
from compare.shared.spec import Spec
from tests.test_properties import random_spec

BASE = dict(layers=(2, 8, 1), epochs=3, batch_size=16, n_samples=80)  # 60 training samples: three batches of 16 and one of 12
BLOBS = dict(BASE, layers=(2, 8, 3), dataset="blobs", loss="ce")


@dataclass(frozen=True)
class Case:
    spec: Spec
    style: str = "faithful"
    to: str = "both"
    convention: Convention | None = None
    frameworks: tuple[str, ...] = ("torch", "keras")
    bundle: bool = False  # export from a real run bundle (mlp-compare run), through the command line


def _spec(**fields) -> Spec:
    return Spec(**{**BASE, **fields})


FAITHFUL = {
    "sgd-mse-sigmoid": _spec(),
    "momentum-relu-regression-step-batch": _spec(layers=(1, 8, 1), optimizer="momentum", lr=0.05, activation="relu", dataset="sine", output="identity",
                                                  schedule="step", decay_rate=0.5, decay_steps=3),
    "nesterov-tanh-bce-clip-value-exponential-epoch": _spec(optimizer="nesterov", lr=0.1, activation="tanh", loss="bce", clip_value=0.05,
                                                             schedule="exponential", decay_rate=0.7, schedule_every="epoch"),
    "adam-leaky-ce-l2-biases": Spec(**{**BLOBS, "optimizer": "adam", "lr": 0.01, "activation": "leaky_relu", "leaky_slope": 0.2,
                                       "l2": 0.01, "decay_biases": True}),
    "adam-gelu-bce-weight-decay-clip-norm": _spec(optimizer="adam", lr=0.01, activation="gelu", loss="bce", weight_decay=0.05,
                                                   clip_norm=0.1),
    "adam-gelu-tanh-weight-decay-biases-cosine-batch": _spec(optimizer="adam", lr=0.01, activation="gelu_tanh", weight_decay=0.05,
                                                              decay_biases=True, schedule="cosine", decay_steps=5),
    "rmsprop-relu-tanh-ce-class-weights-batch-inverse-time-epoch": Spec(**{**BLOBS, "layers": (2, 8, 6, 3), "optimizer": "rmsprop",
        "lr": 0.01, "activation": ("relu", "tanh"), "class_weights": (1.0, 3.0, 0.5), "weight_reduction": "batch",
        "schedule": "inverse_time", "decay_rate": 0.5, "schedule_every": "epoch"}),
    "rmsprop-eps0-bce-batch-norm-dropout-class-weights": _spec(layers=(2, 8, 8, 1), optimizer="rmsprop", lr=0.005, eps=0.0, loss="bce",
                                                               batch_norm=True, dropout=0.25, class_weights=(1.0, 2.5)),
    "sgd-dropout-l2-cosine-epoch": _spec(lr=0.3, dropout=0.3, l2=0.02, schedule="cosine", decay_steps=2, schedule_every="epoch"),
    "momentum-batch-norm-affine-ce-class-weights-inverse-time-batch": Spec(**{**BLOBS, "optimizer": "momentum", "lr": 0.05, "batch_norm": True,
        "bn_affine": True, "bn_momentum": 0.3, "bn_eps": 1e-3, "class_weights": (2.0, 1.0, 0.5), "schedule": "inverse_time", "decay_rate": 0.1}),
    "sgd-mse-one-hot": Spec(**{**BLOBS, "loss": "mse", "output": "identity", "activation": "tanh", "lr": 0.1}),
    "float32-adam-ce-dropout-batch-norm": Spec(**{**BLOBS, "dtype": "float32", "optimizer": "adam", "lr": 0.01, "activation": "relu",
                                                  "dropout": 0.2, "batch_norm": True}),
    "float32-rmsprop-bce-l2-clip-norm-step-epoch": _spec(dtype="float32", optimizer="rmsprop", lr=0.01, loss="bce", l2=0.01, clip_norm=0.5,
                                                         schedule="step", decay_rate=0.5, decay_steps=2, schedule_every="epoch"),
    "no-bias-adam-weight-decay-batch-norm-dropout-class-weights": Spec(**{**BLOBS, "bias": False, "optimizer": "adam", "lr": 0.01,
        "weight_decay": 0.05, "batch_norm": True, "dropout": 0.2, "class_weights": (1.0, 2.0, 0.5)}),
    "float32-no-bias-rmsprop-l2-leaky": _spec(dtype="float32", bias=False, optimizer="rmsprop", lr=0.01, l2=0.01, activation="leaky_relu"),
    **{f"random-{case}": random_spec(case).replace(n_samples=80) for case in (3, 7)},
}  # fmt: skip
IDIOMATIC = {  # the first three without dropout or L2: their difference from the bundle is init, order, rounding and logging
    "idiomatic-sgd": _spec(),
    "idiomatic-adam-relu-bce": _spec(optimizer="adam", lr=0.01, activation="relu", loss="bce"),
    "idiomatic-momentum-ce-batch-norm-class-weights-exponential-epoch": Spec(**{**BLOBS, "optimizer": "momentum", "lr": 0.05,
        "batch_norm": True, "class_weights": (1.0, 2.0, 0.5), "schedule": "exponential", "decay_rate": 0.7, "schedule_every": "epoch"}),
    "idiomatic-no-bias-momentum-tanh": _spec(bias=False, optimizer="momentum", lr=0.1, activation="tanh"),
    "idiomatic-dropout-l2-leaky-gelu": _spec(layers=(2, 8, 8, 1), activation=("leaky_relu", "gelu"), dropout=0.2, l2=0.01),
}  # fmt: skip
CONVENTIONS = {  # a learner's loss = factor × the spec's: the scripts train to their numbers
    "convention-half-mse": Case(_spec(lr=0.4), convention=Convention(loss_factor=0.5, words="your ½·MSE")),
    "convention-half-l2-sum-biases": Case(
        _spec(optimizer="momentum", lr=0.2, activation="tanh", l2=0.01),
        convention=Convention(loss_factor=0.5, l2_penalty_factor=2.0, decay_biases=True, words="your ½·MSE + λ·Σ(W² + b²)"),
    ),
}
NOTEBOOKS = {"notebook-adam-ce-dropout-l2-step-batch": Spec(**{**BLOBS, "optimizer": "adam", "lr": 0.01, "dropout": 0.2, "l2": 0.01,
                                                               "schedule": "step", "decay_rate": 0.5, "decay_steps": 4})}  # fmt: skip
BUNDLE = "bundle-tanh-bce-adam-l2-dropout-batch-norm-affine-clip-cosine-epoch-class-weights"
CASES = {name: Case(spec) for name, spec in FAITHFUL.items()}
CASES[BUNDLE] = Case(_spec(layers=(2, 8, 8, 1), activation="tanh", loss="bce", optimizer="adam", lr=0.01, l2=0.01, dropout=0.2,
                           batch_norm=True, bn_affine=True, clip_norm=1.0, schedule="cosine", decay_steps=2, schedule_every="epoch",
                           class_weights=(1.0, 3.0)), bundle=True)  # fmt: skip
CASES.update({name: Case(spec, to="notebook") for name, spec in NOTEBOOKS.items()})
CASES.update(CONVENTIONS)
CASES.update({name: Case(spec, style="idiomatic") for name, spec in IDIOMATIC.items()})


def start(jobs: dict[str, list[tuple[Path, str]]]) -> list[subprocess.Popen]:
    """Run each framework's (folder, script) jobs in one fresh interpreter of its own, the frameworks side by side (a
    job whose folder is not written yet waits for it); in each, a script that imports mlp-compare (or the other
    framework) fails the run."""
    runner = (
        "import os, runpy, sys, time\n"
        "banned = {'compare', 'scratch', 'torch_impl', 'tf_impl', sys.argv[1]}\n"
        "for job in sys.argv[2:]:\n"
        "    folder, script = job.rsplit(os.pathsep, 1)\n"
        "    for _ in range(1200):  # a folder still being exported appears whole, renamed into place\n"
        "        if os.path.isfile(os.path.join(folder, script)): break\n"
        "        time.sleep(0.1)\n"
        "    os.chdir(folder)\n"
        "    runpy.run_path(script, run_name='__main__')\n"
        "    found = banned & {name.split('.')[0] for name in sys.modules}\n"
        "    assert not found, f'{folder}/{script} imports {found}'\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    other = {"torch": "tensorflow", "keras": "torch"}
    return [
        subprocess.Popen(
            [sys.executable, "-c", runner, other[framework], *(f"{folder}{os.pathsep}{script}" for folder, script in todo)],
            cwd=Path(todo[0][0]).parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for framework, todo in jobs.items()
        if todo
    ]


def finish(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{proc.args[3:5]}...: exit {proc.returncode}\n{err[-4000:]}"


def export_and_run(root: Path, cases: dict[str, Case]) -> dict[str, Path]:
    """Export every case into root/<name> and run its scripts; {name: folder}. The cases from a real run bundle are
    trained and exported while the interpreters run the others."""
    folders, jobs = {name: root / name for name in cases}, {"torch": [], "keras": []}
    for name, case in cases.items():
        if not case.bundle:
            export(case.spec, to=case.to, style=case.style, out=folders[name], convention=case.convention)
        for framework in case.frameworks:
            script = f"{framework}_train.py"
            if case.to == "notebook":  # the notebook's code cells, in order, as one file
                cells = json.loads((folders[name] / f"{framework}_train.ipynb").read_text())["cells"]
                code = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
                script = f"{framework}_notebook.py"
                (folders[name] / script).write_text(code + "\n")
            jobs[framework].append((folders[name], script))
    for framework in jobs:  # the bundles' scripts last: the interpreters wait for them
        jobs[framework].sort(key=lambda job: cases[job[0].name].bundle)
    procs = start(jobs)
    try:
        for name, case in cases.items():
            if case.bundle:
                import compare
                from compare.cli import main

                compare.run(case.spec).save(root / f"{name}.run")
                assert main(["export", str(root / f"{name}.run"), "--out", str(folders[name])]) == 0
    finally:
        finish(procs)
    return folders


@pytest.fixture(scope="session")
def exported(tmp_path_factory, worker_id) -> dict[str, Path]:
    """{case name: its export folder, its scripts run} for every case of every export test module."""
    cases = CASES
    if worker_id == "master":
        return export_and_run(tmp_path_factory.mktemp("exports"), cases)
    root = tmp_path_factory.getbasetemp().parent / "exports"  # shared by this session's workers
    with FileLock(f"{root}.lock"):
        if not (root / "done").is_file():
            if root.exists():
                import shutil

                shutil.rmtree(root)
            root.mkdir()
            export_and_run(root, cases)
            (root / "done").write_text("")
    return {name: root / name for name in cases}
