"""The check seeds the learner's unseeded random draws: the same file checked twice gets the same verdict, to the digit."""

from pathlib import Path

from compare.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"
BEGINNER = ["--layers", "2,3,1", "--activation", "sigmoid", "--output", "sigmoid", "--loss", "mse", "--frameworks", "numpy"]


def test_a_learner_drawing_unseeded_numbers_gets_the_same_report_twice(tmp_path, capsys):
    source = (EXAMPLES / "beginner_mlp.py").read_text()
    noisy = tmp_path / "noisy.py"  # their gradients off by a factor drawn, unseeded, at import
    noisy.write_text(
        source.replace("import numpy as np", "import numpy as np\n\nNOISE = 1.5 + np.random.rand()", 1)
        + "\n\n_their = loss_and_grads\n\n\ndef loss_and_grads(params, X, y):\n"
        "    loss, grads = _their(params, X, y)\n    return loss, [(dW * NOISE, db) for dW, db in grads]\n"
    )
    reports = []
    for _ in range(2):
        assert main(["check", str(noisy), *BEGINNER]) == 1
        reports.append(capsys.readouterr().out)
    assert "Wrong. dW2 is the first wrong tensor" in reports[0]
    assert reports[0] == reports[1]
