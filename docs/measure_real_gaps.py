"""The explainer on gaps as a new user meets them (docs/exact.md): `mlp-compare run --explain` on aligned runs whose
frameworks follow different published conventions, and `--defaults native` runs, each framework on its own defaults.
Run `.venv/bin/python docs/measure_real_gaps.py`; it prints each run's findings and, per framework, whether the
switches named are the expected ones. The expected causes are written here, by hand, from the frameworks' documented
conventions (docs/defaults.md), not from the explainer."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compare.experiment import pipeline  # noqa: E402
from compare.explain import search  # noqa: E402
from compare.shared.spec import Spec  # noqa: E402
from tests import conftest  # noqa: E402, F401  (torch before TensorFlow)

TANH = dict(layers=(2, 8, 1), activation="tanh", epochs=4, batch_size=32)  # fmt: skip
ADAM = dict(optimizer="adam", lr=0.01, eps=1e-6)
KERAS = {"keras_defaults", "float32_hyper"}


def keras(switches: set) -> dict:
    """An aligned run's Keras side: TensorFlow and the NumPy reference in Keras's update rules follow the same conventions."""
    return {"tensorflow": switches, "numpy-keras": switches}  # Keras's own defaults, handed as the Python floats Keras rounds to float32


# (name, spec changes, defaults, {framework: the switches that must explain it}); "native" runs may also be explained by
# Keras fit's own sample order, which a native TensorFlow run trains on
CASES = [
    ("adam", ADAM, "aligned", {"torch": set(), **keras({"keras_rules"})}),
    ("rmsprop", {"optimizer": "rmsprop", "lr": 0.01, "eps": 1e-6}, "aligned", {"torch": set(), **keras({"keras_rules"})}),
    ("momentum", {"optimizer": "momentum"}, "aligned", {"torch": set(), "tensorflow": set()}),
    ("nesterov", {"optimizer": "nesterov"}, "aligned", {"torch": set(), "tensorflow": set()}),
    ("sgd clip", {"clip_norm": 0.05}, "aligned", {"torch": set(), **keras({"clip_eps"})}),
    ("momentum clip", {"optimizer": "momentum", "clip_norm": 0.05}, "aligned", {"torch": set(), **keras({"clip_eps"})}),
    ("adam clip", {**ADAM, "clip_norm": 0.05}, "aligned", {"torch": set(), **keras({"clip_eps", "keras_rules"})}),
    ("adam batch norm", {**ADAM, **TANH, "layers": (2, 8, 8, 1), "batch_norm": True}, "aligned",
     {"torch": set(), **keras({"keras_rules", "keras_running_var"})}),
    ("adamw", {**ADAM, "weight_decay": 0.05}, "aligned", {"torch": set(), **keras({"keras_rules"})}),
    ("sgd l2", {"l2": 0.05}, "aligned", {"torch": set(), "tensorflow": set()}),
    ("sgd", {}, "native", {"torch": {"torch_defaults"}, "tensorflow": KERAS}),
    ("momentum", {"optimizer": "momentum"}, "native", {"torch": {"torch_defaults"}, "tensorflow": KERAS}),
    ("adam", ADAM, "native", {"torch": {"torch_defaults"}, "tensorflow": KERAS | {"keras_rules"}, "numpy-keras": {"keras_rules"}}),
    ("rmsprop", {"optimizer": "rmsprop", "lr": 0.01}, "native",
     {"torch": {"torch_defaults"}, "tensorflow": KERAS | {"keras_rules"}, "numpy-keras": {"keras_rules"}}),
    ("tanh ce", {"layers": (2, 8, 3), "activation": "tanh", "loss": "ce", "dataset": "blobs"}, "native",
     {"torch": {"torch_defaults"}, "tensorflow": KERAS}),
]  # fmt: skip
ORDER = {"keras_shuffle"}  # Keras fit's sample order: a native TensorFlow run's own


def verdict(finding, expected: set | None, defaults: str) -> tuple[str, str]:
    if expected is None:
        return ", ".join(sorted(s.name for s in finding.best.switches)) or "as is", "?"
    if not finding.explained:
        return "-", "not explained"
    named = {s.name for s in finding.best.switches}
    extra = ORDER if defaults == "native" and finding.framework == "tensorflow" else set()
    return ", ".join(sorted(named)) or "as is", "right" if expected <= named <= expected | extra else "WRONG"


tally = {"right": 0, "WRONG": 0, "not explained": 0, "?": 0}
print("| run | defaults | framework | expected | named | verdict | time |\n|---|---|---|---|---|---|---|")
for name, changes, defaults, expected in CASES:
    start = time.perf_counter()
    spec = Spec(**{**TANH, **changes})
    explanation = search.explain_result(pipeline.run(spec, defaults=defaults, exact="off"))
    seconds = time.perf_counter() - start
    for fw, finding in explanation.findings.items():
        named, said = verdict(finding, expected.get(fw), defaults)
        tally[said] += 1
        want = "?" if fw not in expected else ", ".join(sorted(expected[fw])) or "as is"
        print(f"| {name} | {defaults} | {fw} | {want} | {named} | {said} | {seconds:.1f} s |", flush=True)
        if said not in ("right",):
            print(f"|   | | | {finding.sentence()} | | | |", flush=True)
print(f"{sum(tally.values())} framework runs: right {tally['right']}, wrong {tally['WRONG']}, not explained {tally['not explained']}")
