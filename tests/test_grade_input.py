"""Bad input to mlp-compare grade is one line and exit 2, with nothing written: an assignment with an unknown field, a
spec that fails validation, an option of the wrong kind, an empty or missing folder, an --out that is another folder.
And the pieces that need no cluster: which file of a student's folder is checked, notebooks as scripts and back,
the same code told apart from its comments."""

import zipfile

import pytest

from compare.cli import main
from compare.grading import assignment, notebooks, outcome, submissions
from tests import classroom

BAD = [
    ("layres = [2, 3, 1]\n", "unknown field 'layres' (did you mean 'layers'?)"),
    ("lr = -1\n", "spec.lr: got -1.0; expected a learning rate > 0"),
    ("[[network]]\nseed = 1\n[[network]]\nlayers = 3\n", "[[network]] 2: spec.layers: got 3; expected a list"),
    ("[[network]]\nseeds = 1\n", "[[network]] 1: unknown field 'seeds' (did you mean 'seed'?)"),
    ('layout = "diagonal"\n', "layout: got 'diagonal'; expected one of rows, columns"),
    ("timeout = 0\n", "timeout: got 0; expected a number > 0"),
    ('convention = "halves"\n', "convention: got 'halves'; expected mean, or half, outputs, sum joined by +"),
    ('[conventions]\naccept = ["mean", "twice"]\n', "[conventions] accept: got 'twice'"),
    ("[points]\nsteps = 2\n", "[points] steps: needs steps = N (> 0)"),
    ("[points]\nstyle = 2\n", "[points] unknown field 'style'"),
    ("layers = [2, 3, 1\n", "not valid TOML"),
]


@pytest.mark.parametrize("text, words", BAD, ids=[w.split(":")[0][:30] for _, w in BAD])
def test_a_bad_assignment_is_one_line_and_exit_2_with_nothing_written(tmp_path, capsys, text, words):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "a.py").write_text(classroom.BEGINNER)
    (tmp_path / "a.toml").write_text(text)
    code = main(["grade", str(tmp_path / "class"), "--assignment", str(tmp_path / "a.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and words in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["empty", "missing", "a file", "no code", "out is another folder", "out is a file", "scheduler"])
def test_a_bad_folder_is_one_line_and_exit_2(tmp_path, capsys, case):
    (tmp_path / "a.toml").write_text(classroom.ASSIGNMENT)
    folder, out = tmp_path / "class", tmp_path / "out"
    if case == "a file":
        folder = tmp_path / "essay.txt"
        folder.write_text("I did not do it.\n")
    elif case != "missing":
        folder.mkdir()
    if case == "no code":
        (folder / "essay.pdf").write_bytes(b"%PDF")
        (folder / "notes.txt").write_text("")
    if case.startswith("out"):
        (folder / "a.py").write_text(classroom.BEGINNER)
        out.mkdir() if case == "out is another folder" else out.write_text("")
        if out.is_dir():
            (out / "thesis.tex").write_text("")
    if case == "scheduler":
        (folder / "a.py").write_text(classroom.BEGINNER)
    scheduler = ["--scheduler", "localhost:8786"] if case == "scheduler" else []
    code = main(["grade", str(folder), "--assignment", str(tmp_path / "a.toml"), "--out", str(out), *scheduler])
    said, err = capsys.readouterr()
    words = {
        "empty": "no submissions in it",
        "missing": "no such folder",
        "a file": "essay.txt: a file, not Python or a notebook (.txt); expected the folder of every submission",
        "no code": "none of its 2 submissions has a file to check (e.g. essay.pdf: not a Python file or notebook (.pdf)",
        "out is another folder": "a folder that holds no grades.csv",
        "out is a file": "exists and is not a folder",
        "scheduler": "--scheduler localhost:8786: expected tcp://HOST:PORT or tls://HOST:PORT",
    }[case]
    assert code == 2 and len(err.strip().splitlines()) == 1 and words in err, err
    assert said == "" and (not out.is_dir() or case == "out is another folder")  # not a word more, nothing written
    assert case != "out is another folder" or (out / "thesis.tex").is_file()


def test_the_file_checked_in_a_students_folder_is_the_one_python_file_the_one_defining_the_function_or_the_named_one(tmp_path):
    files = {"backprop.py": b"def loss_and_grads(params, X, y):\n    pass\n", "helpers.py": b"def sigmoid(z): pass\n", "notes.md": b""}
    assert submissions.choose(files, None, None) == ("backprop.py", None)
    assert submissions.choose({**files, "ps1.ipynb": b"{}"}, None, "sigmoid") == ("helpers.py", None)
    assert submissions.choose(files, "help*", None) == ("helpers.py", None)
    assert "several files match" in submissions.choose(files, "*.py", None)[1]
    assert "no .py or .ipynb file in it (.md)" in submissions.choose({"notes.md": b""}, None, None)[1]
    with zipfile.ZipFile(tmp_path / "dan.zip", "w") as z:
        z.writestr("../../escape.py", "x = 1\n")
        z.writestr("hw/backprop.py", "def loss_and_grads(params, X, y):\n    pass\n")
        z.writestr("__MACOSX/hw/._backprop.py", "")
    (tmp_path / "eve").mkdir()
    (tmp_path / "eve" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "eve" / ".ipynb_checkpoints" / "hw-checkpoint.ipynb").write_text("{}")
    (tmp_path / "eve" / "hw.ipynb").write_text("{}")
    dan, eve = submissions.discover(tmp_path)
    assert (dan.student, dan.file, list(dan.files), dan.problem) == ("dan", "dan.zip/hw/backprop.py", ["hw/backprop.py"], None)
    assert (eve.file, eve.notebook, list(eve.files)) == ("eve/hw.ipynb", True, ["hw.ipynb"])


def test_a_notebook_is_its_code_cells_with_magics_made_inert_and_its_lines_point_back_to_cells():
    text = classroom.notebook(classroom.BEGINNER, 9)
    script, where = notebooks.to_script(text)
    lines = script.splitlines()
    k = lines.index("    dZ1 = dA1 * A1 * (1 - A1)  # (N, 3)") + 1
    assert "pass  # IPython: %matplotlib inline" in lines and where[k - 1] == (3, 16)
    assert notebooks.point_back(f"/tmp/x/hw.ipynb.py:{k}  dZ1 = ...", "ps1/hw.ipynb", where) == "hw.ipynb cell 3, line 16  dZ1 = ..."
    assert notebooks.point_back(f'File "hw.ipynb.py", line {k}, in f', "hw.ipynb", where) == 'File "hw.ipynb", cell 3, line 16, in f'
    traced = notebooks.point_back(f"hw.ipynb.py:{k}  dZ1 = ...  ← dZ1 departs here; dA1 (line {k - 1}) was right", "hw.ipynb", where)
    assert traced == "hw.ipynb cell 3, line 16  dZ1 = ...  ← dZ1 departs here; dA1 (cell 3, line 15) was right"
    exec(compile(script, "hw.ipynb.py", "exec"), {})  # a script Python runs
    with pytest.raises(ValueError, match="not a readable notebook"):
        notebooks.to_script("{ not json")


def test_the_same_code_is_told_apart_from_its_comments_docstrings_and_layout_but_not_from_another_line():
    same = (
        classroom.BEGINNER.replace("# (N, 3)", "# hidden")
        .replace('"""The beginner', '"""Mine: the beginner')
        .replace("N = len(X)", "N  =  len( X )")
    )
    other = classroom.BEGINNER.replace("dZ1.sum(axis=0)", "np.sum(dZ1, axis=0)")
    digest = outcome.code_digest(classroom.BEGINNER)
    assert outcome.code_digest(same) == digest != outcome.code_digest(other) and outcome.code_digest("def (") == ""
    assert outcome.bare_code("dZ1 = dA1*sigmoid_prime(A1)  # (N, 3)  <- the slip") == "dZ1 = dA1 * sigmoid_prime(A1)"


def test_an_assignment_reads_every_network_over_its_base_and_a_changed_one_has_another_digest(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text(
        'layers = [2, 3, 1]\nper-sample = false\nfunction = "backprop"\n[[network]]\nname = "deeper"\nlayers = [2, 4, 4, 1]\n[[network]]\nseed = 7\n'
    )
    a = assignment.load(path)
    assert [(n.name, n.spec.layers, n.spec.seed) for n in a.networks] == [("deeper", (2, 4, 4, 1), 0), ("network 2", (2, 3, 1), 7)]
    assert a.function == "backprop" and a.points == {"tensors": 1.0} and a.accepted("half")
    path.write_text(path.read_text().replace("seed = 7", "seed = 8"))
    assert assignment.load(path).digest != a.digest
