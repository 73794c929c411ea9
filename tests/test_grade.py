"""A class graded on a LocalCluster the test starts on 127.0.0.1 and closes: each mutant's mistake and line as the
check names it alone, hostile submissions recorded with their cause, the class report, resuming only what changed,
Ctrl-C, the folder-per-student layouts, and the optimizer part from the command line on a running scheduler. One
test, so that pytest-xdist starts one cluster."""

import io
import zipfile

import pandas as pd
import pytest

import compare
from compare.cli import main
from compare.grading import outcome, runner
from compare.learner.child import ChildSide
from compare.learner.grade import check
from compare.learner.side import Options
from compare.shared.spec import Spec
from compare.sweeps import cluster
from tests import classroom

SPEC = Spec(layers=(2, 3, 1), frameworks=("numpy",))


def test_a_class_of_right_wrong_and_hostile_submissions_graded_on_a_local_cluster(tmp_path):
    folder, assignment, out = tmp_path / "class", tmp_path / "backprop.toml", tmp_path / "grades"
    expected = classroom.write(folder)
    assignment.write_text(classroom.ASSIGNMENT)
    with cluster.client(workers=2) as c:
        frame = compare.grade(folder, assignment, out=out, client=c)
        statuses_and_causes_are_recorded(frame, expected)
        each_mutant_reads_as_the_check_alone_names_it(frame, folder, expected)
        the_folder_holds_grades_feedback_and_the_class(out, frame)
        only_a_changed_submission_is_graded_again(folder, assignment, out, c, frame)
        ctrl_c_leaves_what_was_graded_and_the_same_command_resumes(tmp_path, assignment, c)
        folders_per_student_and_zips_are_graded_as_they_are(tmp_path, assignment, c)
        every_network_is_checked_and_a_refused_convention_is_wrong(tmp_path, c)
        the_optimizer_is_graded_from_the_command_line_on_a_running_scheduler(tmp_path, c)


def statuses_and_causes_are_recorded(frame, expected):
    assert list(frame.columns) == ["student", "file", "status", "points_tensors", "points_convention", "total", "first_wrong"] + [
        "mistake", "line", "convention", "fd_grade", *outcome.TRAILING
    ]  # fmt: skip
    assert dict(zip(frame["student"], frame["status"])) == expected["status"]
    row = frame.set_index("student").loc
    assert row["loops", "cause"].startswith("your code did not finish within 4 s while computing gradients")
    assert row["exits", "cause"].startswith("your code ended the process with os._exit(3) at exits.py:5")
    assert (
        row["imports", "cause"]
        == "imports.py raised ModuleNotFoundError while loading (imports.py:2): No module named 'a_module_no_one_has'"
    )
    assert (
        row["raises", "cause"]
        == "raises.ipynb raised IndexError while loading (raises.ipynb cell 2, line 2): index 5 is out of bounds for axis 0 with size 3"
    )
    assert row["hogs", "cause"].startswith("loss_and_grads raised MemoryError") and "ran out of the memory" in row["hogs", "cause"]
    assert row["essay", "cause"] == "not a Python file or notebook (.txt); expected .py or .ipynb" and row["essay", "file"] == "essay.txt"
    assert row["right_plain", "total"] == 5 and row["right_plain", "fd_grade"] == "good" and row["right_plain", "convention"] == "mean"
    assert row["no_mean", "points_tensors"] == 0.8 and row["no_mean", "total"] == 1.8  # the loss of 5 rows right: every gradient N ×
    assert row["loops", "total"] == 0 and row["essay", "total"] == 0


def _alone(path):
    """mlp-compare check on one file, as its command line builds the child and calls the check."""
    options = Options()
    learner = ChildSide(str(path), options, timeout=30)
    try:
        return check(str(path), SPEC, options=options, learner=learner, sizes_given=True, lr=None, dataset_given=False)
    finally:
        learner.close()


def each_mutant_reads_as_the_check_alone_names_it(frame, folder, expected):
    row = frame.set_index("student").loc
    for student in ["no_mean", "flipped", "za_swapped"]:
        report = _alone(folder / f"{student}.py")
        where = outcome.LINE.match(report.line)["where"].rsplit("/", 1)[-1]
        assert (row[student, "mistake"], row[student, "first_wrong"], row[student, "line"]) == (
            report.diagnosis.mistake or "unknown",
            report.diagnosis.first_wrong,
            where,
        ), student
    assert row["no_mean", "mistake"] == "batch" and row["flipped", "line"] == "flipped.py:20" and row["za_swapped", "mistake"] == "unknown"
    assert row["flipped", "code"] == "dA2 = 2 * (y - A2) / N"
    source, _ = classroom.mutant(classroom.BEGINNER, classroom.NOTEBOOK_MUTANT)
    (folder.parent / "notebook_alone.py").write_text(source)
    report = _alone(folder.parent / "notebook_alone.py")
    assert (row["notebook", "mistake"], row["notebook", "line"]) == (report.diagnosis.mistake or "unknown", expected["notebook_line"])
    with pytest.raises(Exception, match="db1 has shape"):
        _alone(folder / "axis_one.py")
    assert row["axis_one", "cause"].startswith("db1 has shape (3, 1); expected (3,) or (1, 3)")


def the_folder_holds_grades_feedback_and_the_class(out, frame):
    on_disk = pd.read_csv(out / "grades.csv", keep_default_na=False)
    assert list(on_disk["student"]) == list(frame["student"]) and list(on_disk["status"]) == list(frame["status"])
    files = {f"{s}.py" for s in frame["student"]} | {"notebook.ipynb", "raises.ipynb"}
    for student in frame["student"]:
        text = (out / "feedback" / f"{student}.md").read_text()
        html = (out / "feedback" / f"{student}.html").read_text()
        assert f"# Feedback for {student}" in text and f"<h1>Feedback for {student}</h1>" in html
        assert not [f for f in files if f in text and not f.startswith(student + ".")], student  # no one else's file
    assert "Fix: the output delta is a - y" in (out / "feedback" / "flipped.md").read_text()
    assert "notebook.ipynb cell 3, line" in (out / "feedback" / "notebook.md").read_text()
    report = (out / "class.md").read_text()
    assert "14 of 14 submissions graded" in report and "| right_copy, right_plain |       2 |" in report
    lines = report.split("## Lines most often wrong")[1].split("## Slowest")[0]
    assert [r for r in lines.splitlines() if r.startswith("| sign ") and "| dA2 = 2 * (y - A2) / N " in r]
    assert not [s for s in frame["student"] if f"| {s} " in lines]  # grouped by mistake, no names
    assert "![mistakes by kind](mistakes.png)" in report
    assert (out / "mistakes.png").stat().st_size > 1000 and "<img src='mistakes.png'" in (out / "class.html").read_text()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".grades.")]  # the temporary folders are gone


def only_a_changed_submission_is_graded_again(folder, assignment, out, c, before):
    (folder / "flipped.py").write_text(classroom.BEGINNER)
    calls = []
    after = runner.grade(folder, assignment, out, client=c, progress=lambda *a: calls.append(a[0]))
    assert calls[0] == len(before) - 1  # every other submission kept as it was
    same = after["student"] != "flipped"
    pd.testing.assert_frame_equal(after[same].reset_index(drop=True), before[same].astype(after.dtypes.to_dict()).reset_index(drop=True))
    assert after.set_index("student").loc["flipped", "status"] == "right"


def ctrl_c_leaves_what_was_graded_and_the_same_command_resumes(tmp_path, assignment, c):
    folder, out = tmp_path / "small", tmp_path / "small-grades"
    folder.mkdir()
    for name in ["a", "b", "c"]:
        (folder / f"{name}.py").write_text(classroom.BEGINNER)

    def interrupt(done, total, counts):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runner.grade(folder, assignment, out, client=c, progress=interrupt)
    kept = pd.read_csv(out / "grades.csv")
    assert 1 <= len(kept) < 3 and "interrupted: run the same command again" in (out / "class.md").read_text()
    calls = []
    frame = runner.grade(folder, assignment, out, client=c, progress=lambda *a: calls.append(a[0]))
    assert calls[0] == len(kept) and list(frame["status"]) == ["right"] * 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".small")) == []


def folders_per_student_and_zips_are_graded_as_they_are(tmp_path, assignment, c):
    root = tmp_path / "submitted"  # nbgrader: submitted/<student>/<assignment>/; otter: a zip per student
    helpers = classroom.BEGINNER.replace("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n", "from helpers import sigmoid\n")
    (root / "alice" / "ps1").mkdir(parents=True)
    (root / "alice" / "ps1" / "backprop.py").write_text(helpers)
    (root / "alice" / "ps1" / "helpers.py").write_text("import numpy as np\n\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    (root / "bob" / "ps1").mkdir(parents=True)
    (root / "bob" / "ps1" / "backprop.ipynb").write_text(classroom.notebook(classroom.BEGINNER, 9))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("backprop.py", classroom.BEGINNER)
        z.writestr("backprop.pdf", b"%PDF")
    (root / "carol.zip").write_bytes(buffer.getvalue())
    frame = runner.grade(root, assignment, tmp_path / "nbgrader", client=c)
    assert list(frame["file"]) == ["alice/ps1/backprop.py", "bob/ps1/backprop.ipynb", "carol.zip/backprop.py"]
    assert list(frame["status"]) == ["right"] * 3, list(frame["cause"])


NETWORKS = """layers = [2, 3, 1]
frameworks = ["numpy"]
steps = 3

[[network]]
name = "as taught"

[[network]]
name = "unseen"
layers = [2, 5, 1]
seed = 3

[conventions]
accept = ["mean"]

[points]
tensors = 2
convention = 1
steps = 1
"""


def every_network_is_checked_and_a_refused_convention_is_wrong(tmp_path, c):
    folder = tmp_path / "networks"
    folder.mkdir()
    (folder / "mean.py").write_text(classroom.BEGINNER)
    half = classroom.BEGINNER.replace("loss = np.mean(", "loss = 0.5 * np.mean(").replace("dA2 = 2 * (A2 - y) / N", "dA2 = (A2 - y) / N")
    (folder / "half.py").write_text(half)
    (tmp_path / "networks.toml").write_text(NETWORKS)
    frame = runner.grade(folder, tmp_path / "networks.toml", tmp_path / "networks-grades", client=c).set_index("student")
    assert list(frame.loc["mean", ["status", "points_tensors", "points_convention", "points_steps", "total"]]) == ["right", 2, 1, 1, 4]
    assert list(frame.loc["half", ["status", "mistake", "convention", "points_tensors", "points_convention"]]) == [
        "wrong",
        "convention",
        "half",
        0,
        0,
    ]
    assert frame.loc["half", "cause"] == "right under your convention half, which this assignment does not accept (it accepts mean)"
    feedback = (tmp_path / "networks-grades" / "feedback" / "mean.md").read_text()
    assert (
        "## as taught: 2-3-1 sigmoid" in feedback and "## unseen: 2-5-1 sigmoid" in feedback and "Training with your gradients" in feedback
    )


OPTIMIZER = """layers = [2, 3, 1]
frameworks = ["numpy"]
optimizer = "adam"
lr = 0.01
optimizer_function = "adam"
steps = 5

[points]
tensors = 2
optimizer = 1
"""


def the_optimizer_is_graded_from_the_command_line_on_a_running_scheduler(tmp_path, c):
    folder, out = tmp_path / "optimizers", tmp_path / "optimizer-grades"
    folder.mkdir()
    for name, rule in [("right", "my_optim.py"), ("slip", "my_optim_buggy.py")]:
        (folder / f"{name}.py").write_text(classroom.BEGINNER + "\n\n" + (classroom.ROOT / "examples" / rule).read_text())
    (tmp_path / "optimizer.toml").write_text(OPTIMIZER)
    args = ["grade", str(folder), "--assignment", str(tmp_path / "optimizer.toml"), "--out", str(out)]
    assert main([*args, "--scheduler", c.scheduler.address]) == 0
    row = pd.read_csv(out / "grades.csv", keep_default_na=False).set_index("student").loc
    assert list(row["right", ["status", "points_tensors", "points_optimizer", "total"]]) == ["right", 2, 1, 3]
    assert list(row["slip", ["status", "points_tensors", "points_optimizer", "mistake"]]) == ["wrong", 2, 0, "optimizer"]
    assert row["slip", "cause"].startswith("Bias correction missing on the first moment m")
    assert "### Your adam" in (out / "feedback" / "slip.md").read_text()
