"""The default problem through the CLI: the beginner network, three frameworks, one table."""

import re

from compare.cli import main


def test_run_with_no_flags_trains_the_beginner_network_in_all_three(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the bundle goes to ./runs/
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "2-4-1 sigmoid mse+sigmoid sgd" in out
    for name in ("numpy", "torch", "tensorflow"):
        row = re.search(rf"│ {name}\s+│ ok\s+│\s+([\d.e-]+) │\s+([\d.e-]+) │\s+([\d.]+) │\s+([\d.]+) │", out)
        assert row, name
        assert 0 < float(row.group(1)) < 0.25 and float(row.group(4)) > 0.7  # learnt something
    curves = re.findall(r"│ (\w+) vs (\w+)\s+│ yes\s+│\s+([\d.e-]+) │\s+([\d.e-]+) │", out)
    pairs, exact = [c for c in curves if c[1] != "exact"], [c for c in curves if c[1] == "exact"]
    assert len(pairs) == 3 and len(exact) == 3 and all(float(rel) <= 1e-10 for *_, rel in curves)
    ulps = re.search(r"Distance from the exact reference, in ulps of float64", out)
    steps = re.findall(r"│ (\d+)/1000 │", out)  # under --exact auto: the steps of the exact curve that fit 20% of the run
    assert ulps and len(steps) == 3 and len(set(steps)) == 1 and 300 <= int(steps[0]) < 1000, steps


def test_bad_flag_value_exits_2_with_one_line(capsys):
    assert main(["run", "--activation", "swish"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["mlp-compare run: error: spec.activation: got 'swish'; expected one of sigmoid, relu, tanh, leaky_relu, gelu, gelu_tanh"]
