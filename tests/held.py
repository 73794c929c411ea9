"""mlp-compare held at a point until a signal ends it, after saying 'held ...' on stderr: signal tests wait on that line
(an event the command makes), never on time. Run as: python tests/held.py run|sweep ...

run: the first training run waits until stdin closes, after 'held STAGING_FOLDER'.
sweep: a combination that starts once two bundles are complete waits for good, after 'held NAME' (from the worker,
whose stderr is the sweep's), so that exactly two are complete when the signal comes."""

import sys
import threading
from pathlib import Path

from compare.cli import entry
from compare.shared import harness
from compare.sweeps import results, runner

train, run_one = harness.train, runner.run_one
waiting = True


def held_train(name, model, spec, data, order, on_epoch=None, losses=None):
    global waiting
    if waiting:
        waiting = False
        print(f"held {losses.path.parent.parent}", file=sys.stderr, flush=True)  # losses/<name>.npy in the staging folder
        sys.stdin.read()
    return train(name, model, spec, data, order, on_epoch, losses)


def held_run_one(name, spec_fields, out):  # sent to the worker by value (defined in __main__)
    if sum(not p.name.startswith(".") for p in (Path(out) / results.RUNS).iterdir()) >= 2:
        print(f"held {name}", file=sys.stderr, flush=True)
        threading.Event().wait()
    return run_one(name, spec_fields, out)


if __name__ == "__main__":  # not in the sweep's worker processes, which start from this file
    harness.train, runner.run_one = held_train, held_run_one
    entry()
