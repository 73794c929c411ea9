"""The fault battery, learner side: whatever a learner's file does (end or crash the process, loop, eat memory, leave
NumPy's state changed, change its inputs, print megabytes, reseed, chdir) ends in one line saying what it did (exit 2)
or in a verdict on its numbers, never in a verdict the check did not reach nor in a changed reference."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from compare.cli import main

LEARNERS = Path(__file__).parent / "learners"
HEAD = "import os\nimport sys\n\nimport numpy as np\n\nimport correct\n\nright = correct.make()\n"  # 8 lines
QUICK = ["--frameworks", "numpy"]


def learner(tmp_path, body: str, name: str = "mine.py") -> str:
    """A learner's file beside a copy of the right one (their own module, imported as `python mine.py` would)."""
    shutil.copy(LEARNERS / "correct.py", tmp_path / "correct.py")
    (tmp_path / name).write_text(HEAD + body)
    return str(tmp_path / name)


def outcome(capsys, argv) -> tuple[int, str, list[str]]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, " ".join(out.split()), err.strip().splitlines()


GRADS = "def loss_and_grads(params, X, y):\n"
ENDS = [
    ("os._exit(0)\nloss_and_grads = right\n", [], "your code ended the process with os._exit(0) at mine.py:9 while loading your file; the check cannot judge code that does"),
    (GRADS + "    os._exit(3)\n", [], "your code ended the process with os._exit(3) at mine.py:10 while computing gradients; the check cannot judge code that does"),
    ("sys.exit(0)\n", [], "{path} raised SystemExit while loading (traceback above)"),
    (GRADS + "    sys.exit(0)\n", [], "loss_and_grads raised SystemExit: 0"),
    ("import ctypes\n\n\n" + GRADS + "    ctypes.string_at(0)\n", [], "your code crashed the process (a segmentation fault) while computing gradients"),
    (GRADS + "    while True:\n        pass\n", ["--timeout", "2"],
     "your code did not finish within 2 s while computing gradients (an endless loop?); give it longer with --timeout SECONDS"),
    (GRADS + "    return [bytearray(10**8) for _ in range(100)]\n", ["--memory", "1"],
     "loss_and_grads raised MemoryError (it ran out of the memory the check allows)"),
    (GRADS + "    L, g = right(params, X, y)\n    g[0][0][0, 0] = np.nan\n    return L, g\n", [], "dW1 has 1 NaN entry; expected finite numbers"),
    (GRADS + "    L, g = right(params, X, y)\n    g[1][1][0] = -np.inf\n    return L, g\n", [], "db2 has 1 inf entry; expected finite numbers"),
]  # fmt: skip


@pytest.mark.parametrize("body, flags, said", ENDS, ids=["os-exit-import", "os-exit-call", "sys-exit-import", "sys-exit-call", "segfault", "endless-loop", "memory", "nan", "inf"])  # fmt: skip
def test_code_that_ends_crashes_or_hangs_the_process_is_said_in_one_line_exit_2(tmp_path, capsys, body, flags, said):
    path = learner(tmp_path, body)
    code, out, err = outcome(capsys, ["check", path, *QUICK, *flags])
    assert (code, err[-1]) == (2, f"mlp-compare check: error: {said.format(path=path)}")
    assert "Right" not in out and "Wrong" not in out  # no verdict the check did not reach


def test_an_optimizer_step_that_ends_the_process_is_said_in_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "step.py"
    path.write_text("import os\n\n\ndef sgd(w, dw, config=None):\n    os._exit(0)\n")
    code, out, err = outcome(capsys, ["check-optimizer", str(path), "--optimizer", "sgd", *QUICK, "--steps", "3"])
    assert (code, out, err) == (
        2, "", ["mlp-compare check-optimizer: error: your code ended the process with os._exit(0) at step.py:5 while taking an optimizer step; the check cannot judge code that does"]
    )  # fmt: skip


RIGHT = [
    ("np.seterr(all='raise')\nloss_and_grads = right\n", ""),  # NumPy's error state stays in their process
    ("np.random.seed(123)\n" + GRADS + "    np.random.seed(7)\n    np.random.rand(5)\n    return right(params, X, y)\n", ""),
    (GRADS + "    print('x' * 2_000_000)\n    return right(params, X, y)\n", ""),
    (GRADS + "    L, g = right(params, X, y)\n    return L, [(dW.tolist(), db.tolist()) for dW, db in g]\n", ""),
    (GRADS + "    L, g = right(params, X, y)\n    return L, [(dW.astype(np.float16), db.astype(np.float16)) for dW, db in g]\n",
     "Your code computes in float16; judged at float16 tolerance (2e-2), finite differences graded at float16 precision."),
    (GRADS + "    L, g = right(params, X, y)\n    X /= 255\n    return L, g\n",
     "Your code changed its inputs in place: X (all entries, divided by 255) (the check hands it copies)."),
    (GRADS + "    L, g = right(params, X, y)\n    for (W, b), (dW, db) in zip(params, g):\n        W -= 0.5 * dW\n    return L, g\n",
     "Your code changed its inputs in place: W1, W2 (your copies of the weights) (the check hands it copies)."),
    (GRADS + "    import helpers  # a module of their folder, imported inside the call\n\n    return helpers.loss_and_grads(params, X, y)\n", ""),
]  # fmt: skip


@pytest.mark.parametrize("body, note", RIGHT, ids=["seterr-raise", "reseeds", "prints-2mb", "lists-of-lists", "float16", "divides-X", "steps-W", "imports-helper"])  # fmt: skip
def test_right_code_that_does_odd_things_is_judged_right_and_what_it_did_is_said(tmp_path, capsys, body, note):
    (tmp_path / "helpers.py").write_text("import correct\n\nloss_and_grads = correct.make()\n")
    code, out, err = outcome(capsys, ["check", learner(tmp_path, body), *QUICK])
    assert (code, err) == (0, []) and out.endswith("Right. The loss and every gradient match the reference.")
    assert note in out and ("changed its inputs" in out) == ("changed its inputs" in note) and ("float16" in out) == bool("float16" in note)


def test_a_file_that_chdirs_at_import_reads_the_csv_named_on_the_command_line(tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    X = np.random.default_rng(0).normal(size=(40, 2))
    (work / "mine.csv").write_text("a,b,y\n" + "".join(f"{a},{b},{int(a > 0)}\n" for a, b in X))
    (tmp_path / "mine.csv").write_text("not,the,one\n")  # where the learner's chdir leads
    monkeypatch.chdir(work)
    flags = ["--dataset", "mine.csv", "--target", "y", *QUICK]
    here = outcome(capsys, ["check", learner(work, "loss_and_grads = right\n", "plain.py"), *flags])
    away = outcome(capsys, ["check", learner(work, "os.chdir('..')\nloss_and_grads = right\n"), *flags])
    assert here[0] == away[0] == 0 and here[2] == away[2] == [] and away[1].replace("mine.py", "plain.py") == here[1]


def test_numpy_functions_patched_by_the_learner_change_their_numbers_never_the_references(tmp_path, capsys):
    code, out, err = outcome(
        capsys, ["check", learner(tmp_path, "np.mean = lambda a, *args, **kwargs: 0.0\nloss_and_grads = right\n"), *QUICK]
    )
    assert (code, err) == (1, []) and "correct.py:50 L = np.mean((P - y) ** 2) ← L departs here" in out
    right = outcome(capsys, ["check", learner(tmp_path, "loss_and_grads = right\n", "plain.py"), *QUICK])
    assert right[0] == 0 and np.mean([1.0, 3.0]) == 2.0  # the tool's own NumPy untouched, before and after


def test_ctrl_c_while_the_learners_code_loops_ends_its_process_and_exits_130(tmp_path):
    """The learner's file says it is looping through a FIFO the test reads (an event, not a wait)."""
    fifo = tmp_path / "looping"
    os.mkfifo(fifo)
    body = GRADS + f"    with open({str(fifo)!r}, 'w') as f:\n        f.write(f'{{os.getpid()}}\\n')\n    while True:\n        pass\n"
    proc = subprocess.Popen([sys.executable, "-m", "compare", "check", learner(tmp_path, body), *QUICK], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)  # fmt: skip
    with open(fifo) as f:
        child = int(f.readline())
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130 and proc.stderr.read().strip() == "mlp-compare check: interrupted; nothing written"
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # the learner's process is ended too
