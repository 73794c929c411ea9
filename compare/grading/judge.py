"""One submission graded on a worker: its notebook made a script, every network of the assignment checked as
mlp-compare check does (a child process per check), and what each check said or why it could not say it."""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from compare.errors import LearnerError, UsageError
from compare.grading import notebooks
from compare.grading.assignment import Assignment, Network
from compare.grading.submissions import Submission
from compare.grading.worker import Child, unpacked
from compare.learner.layouts import Form
from compare.learner.side import Options

TIMEOUT_WORDS = "your code did not finish within"
CRASH_WORDS = ("ended the process", "crashed the process", "called sys.exit", "ran out of the memory")


@dataclass
class Checked:
    """What the check said for one network: a status, a one-line cause where it could not judge (or where a right
    convention is refused), their traceback where their code raised, and the reports."""

    network: Network
    status: str  # right, wrong, refused, timeout, crashed
    cause: str = ""
    trace: str = ""
    report: object = None  # compare.learner.report.Report
    optimizer: object = None  # compare.optimizer_check.report.Report
    convention: str = ""  # the loss convention the check found (mean: the spec's own)
    wall_s: float = 0.0


CLI_WORDS = {  # the check's hints name its flags; a grade is given under the assignment's fields
    "give it longer with --timeout SECONDS": "the assignment's timeout = SECONDS gives it longer",
    "; --memory GB": "; the assignment's memory = GB",
}


def classify(error: Exception) -> tuple[str, str, str]:
    """(status, cause, their traceback) for a check that stopped: out of time, their process ended or their code
    raised (crashed), or input the check refuses."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    for flag, words in CLI_WORDS.items():
        message = message.replace(flag, words)
    if isinstance(error, LearnerError):
        trace = error.trace or ""
        if message.startswith(TIMEOUT_WORDS):
            return "timeout", message, trace
        if any(w in message for w in CRASH_WORDS) or trace:
            return "crashed", _raised(message, trace), trace
        return "refused", message, trace
    if isinstance(error, UsageError):
        return "refused", message, ""
    return "refused", f"the check itself failed on this submission ({type(error).__name__}: {message}); please report it", ""


def _raised(message: str, trace: str) -> str:
    """'x.py raised E while loading (traceback above)' as 'x.py raised E while loading (x.py:2): what E says'."""
    lines = trace.strip().splitlines()
    if not lines or "(traceback above)" not in message:
        return message
    places = re.findall(r'File "([^"]+)", line (\d+)', trace)
    where = f" ({Path(places[-1][0]).name}:{places[-1][1]})" if places else ""
    said = lines[-1].split(": ", 1)[1] if ": " in lines[-1] else lines[-1]
    return message.replace(" (traceback above)", where) + f": {said}"


def _options(a: Assignment) -> Options:
    form = Form(a.layout or "rows", a.params or "pairs", a.per_sample, a.targets)
    return Options(a.function, form, a.form_given, a.init_args, a.weights, a.loss_function)


def _check(path: Path, net: Network, a: Assignment, convention: str | None):
    """mlp-compare check on one network, as its command line runs it (and the optimizer check with it)."""
    from compare.learner.grade import check

    options = _options(a)
    learner = Child(str(path), options, a.timeout, a.memory, path.parent)
    try:
        report = check(
            str(path),
            net.spec,
            steps=a.steps,
            convention=convention,
            trace=not a.no_trace,
            options=options,
            learner=learner,
            sizes_given=net.sizes_given,
            lr=net.lr,
            dataset_given=net.dataset_given,
        )
        optimizer = _optimizer(learner, report.spec, a) if a.optimizer_function else None
    finally:
        learner.close()
    return report, optimizer


def _optimizer(learner, spec, a: Assignment):
    """Their update rule with their backprop, as check --optimizer-function does."""
    from compare.learner.calling import Batch
    from compare.optimizer_check.check import HYPER, check_optimizer

    hyper = {k: getattr(spec, k) for k in HYPER}
    adapter = lambda: learner.adapter(spec.optimizer, a.optimizer_function, hyper)  # noqa: E731

    def gradients(p, X, y):
        got = learner.call(Batch(p, X, y, None, spec.layers[-1]))
        return got.loss, got.grads

    return check_optimizer(None, spec, steps=a.steps or 10, gradients=gradients, adapter=adapter)


def check_network(path: Path, net: Network, a: Assignment) -> Checked:
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            report, optimizer = _check(path, net, a, a.convention)
            d = report.diagnosis
            sums = [c for c in a.accept or () if "sum" in c.split("+")] if a.convention is None else []
            if not d.ok and d.mistakes == ("batch",) and sums:  # the forgotten 1/N is how they train, and it is accepted
                report, optimizer = _check(path, net, a, sums[0])
    except Exception as e:  # their code or the check: recorded, and the class goes on
        status, cause, trace = classify(e)
        return Checked(net, status, cause, trace, wall_s=time.perf_counter() - started)
    d = report.diagnosis
    convention = d.convention.name if d.convention is not None else (a.convention or "mean")
    status, cause = ("right" if report.ok and (optimizer is None or optimizer.ok) else "wrong"), ""
    if d.ok and not a.accepted(convention):
        status = "wrong"
        allowed = ", ".join(a.accept) if a.accept is not None else f"any but {', '.join(a.refuse)}"
        cause = f"right under your convention {convention}, which this assignment does not accept (it accepts {allowed})"
    return Checked(net, status, cause, "", report, optimizer, convention, time.perf_counter() - started)


def grade_one(sub: Submission, a: Assignment) -> dict:
    """On a worker: every network checked for one submission; its grades.csv row and its feedback (markdown, HTML)."""
    started = time.perf_counter()
    if sub.problem:
        return _finish(sub, a, [Checked(n, "refused", sub.problem) for n in a.networks], str, started)
    with unpacked(sub.files) as folder:
        path, where = folder / sub.main, None
        if sub.notebook:
            try:
                script, where = notebooks.to_script(path.read_text(errors="replace"))
            except ValueError as e:
                return _finish(sub, a, [Checked(n, "refused", f"{sub.main}: {e}") for n in a.networks], str, started)
            path = path.with_name(notebooks.script_name(path.name))
            path.write_text(script)
        checked = [check_network(path, net, a) for net in a.networks]
        return _finish(sub, a, checked, _fixer(folder, sub.main, where), started, path)


def _finish(sub: Submission, a: Assignment, checked: list[Checked], fix, started: float, path: Path | None = None) -> dict:
    from compare.grading import feedback, outcome

    code = outcome.code_digest(path.read_text(errors="replace")) if path is not None else ""
    row = outcome.row(sub, a, checked, fix, time.perf_counter() - started, code)
    return {"row": row, "md": feedback.markdown(sub, row, checked, fix), "html": feedback.html(sub, row, checked, fix)}


def _fixer(folder: Path, main: str, where):
    """Text from the check as the student reads it: the worker's folder left out of every path, a notebook's script
    lines said as its cells and lines."""
    roots = [str(folder) + os.sep]
    with contextlib.suppress(ValueError):
        roots.append(str(folder.relative_to(Path.cwd())) + os.sep)

    def fix(text: str) -> str:
        for root in roots:
            text = text.replace(root, "")
        return notebooks.point_back(text, main, where) if where is not None else text

    return fix
