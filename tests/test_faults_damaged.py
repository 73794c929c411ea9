"""The fault battery, bundle side: a bundle proves itself (manifest.json, verify, dropout masks any tool can re-train
with), and table, explain and verify refuse a damaged one in one line naming the file, exit 2, writing nothing."""

import json
import os
import shutil

import numpy as np
import pytest

from compare.cli import main
from compare.io import manifest, masks
from compare.shared import harness, implementations
from compare.shared.spec import Spec

FLAGS = ["--layers", "2,5,1", "--dropout", "0.2", "--epochs", "2", "--frameworks", "numpy,torch"]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles") / "d"
    assert main(["run", *FLAGS, "--out", str(out)]) == 0
    return out


@pytest.fixture
def copy(sealed, tmp_path):
    return shutil.copytree(sealed, tmp_path / "d")


def listing(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in sorted(folder.parent.rglob("*"))}


def outcome(capsys, argv) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def test_verify_checks_every_file_re_derives_the_tables_and_redraws_the_masks(sealed, capsys):
    code, out, err = outcome(capsys, ["verify", str(sealed)])
    listed = json.loads((sealed / "manifest.json").read_text())["files"]
    exact = ["bounds.npz", "exact.csv", "exact/exact.json", "exact/grads-torch.npz", "exact/losses-torch.npy", "exact/losses-torch.lo.npy"]
    assert (code, err) == (0, "") and len(listed) == 21 + len(exact) and set(exact) <= set(listed) and "manifest.json" not in listed
    assert listed["losses/torch.npy"]["size"] == (sealed / "losses" / "torch.npy").stat().st_size
    assert f"{sealed}: ok: {21 + len(exact)} files match manifest.json (size and SHA-256" in out
    assert "bounds.npz: re-derived bit for bit" in out and "exact/: the exact reference re-run (torch update rules" in out
    assert "curves.csv, curve_diffs.csv, agreement.csv re-derived bit for bit from losses/*.npy (numpy, torch) and final/" in out
    assert "masks/: the dropout masks of all 20 steps, as the seed draws them" in out


def test_a_dropout_bundles_masks_retrain_every_run_bit_for_bit_without_the_seeds_generator(sealed):
    spec = Spec(**{k: v for k, v in json.loads((sealed / "spec.json").read_text()).items() if k != "conventions"})
    bits = np.load(sealed / "masks" / "mask1.npy")
    assert bits.dtype == np.uint8 and bits.shape == (2, 150, 1)  # (epochs, n_train, ceil(5 / 8)): packed bits
    with np.load(sealed / "init.npz") as f:
        init = [(f["W1"], f["b1"]), (f["W2"], f["b2"])]
    with np.load(sealed / "data.npz") as d:
        X, y = d["X_train"], d["y_train"]
    schedule = np.load(sealed / "schedule.npy")
    for name in ("numpy", "torch"):
        model, stored = implementations.build(name, spec, init), masks.Stored(sealed, spec)
        losses = [harness.step(model, X[idx], y[idx], stored) for _, _, idx in harness.batches(schedule, spec.batch_size)]
        assert np.array_equal(losses, np.load(sealed / "losses" / f"{name}.npy")), name


def cut(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damages():
    """(file, how, commands that read it): each a probe."""

    def garbage(p):
        p.write_text("garbage\n\x00\x01,,\n")

    def empty(p):
        p.write_text("")

    def digits(p):  # curves.csv with its last digits lost: each loss to 8 significant digits
        rows = [r.split(",") for r in p.read_text().splitlines()]
        p.write_text("\n".join(",".join(r[:3] + [f"{float(r[3]):.8g}" if i else r[3]]) for i, r in enumerate(rows)) + "\n")

    def half(p):
        lines = p.read_text().splitlines(keepends=True)
        p.write_text("".join(lines[: len(lines) // 2]))

    def nudged(p):
        losses = np.load(p)
        losses[-1] *= 1 + 1e-9
        np.save(p, losses)

    return [
        ("agreement.csv", garbage, ["table", "verify"]),
        ("gradients.csv", empty, ["table"]),
        ("spec.json", cut, ["table", "explain", "verify"]),
        ("data.npz", cut, ["explain", "verify"]),
        ("curves.csv", digits, ["explain"]),
        ("curves.csv", half, ["explain"]),
        ("losses/torch.npy", nudged, ["explain", "table"]),
        ("masks/mask1.npy", cut, ["explain"]),
    ]


@pytest.mark.parametrize("name, damage, commands", damages(), ids=lambda x: getattr(x, "__name__", None))
def test_a_damaged_bundle_is_refused_in_one_line_naming_the_file_and_nothing_is_written(copy, capsys, name, damage, commands):
    want = json.loads((copy / "manifest.json").read_text())["files"][name]
    damage(copy / name)
    size = (copy / name).stat().st_size
    if size != want["size"]:
        why = f"{size} bytes, manifest.json says {want['size']}; changed since the run wrote it"
    else:
        why = "its SHA-256 is not the one in manifest.json; changed since the run wrote it"
    before = listing(copy)
    for command in commands:
        assert outcome(capsys, [command, str(copy)]) == (2, "", f"mlp-compare {command}: error: {copy / name}: {why}"), command
    assert listing(copy) == before


@pytest.mark.parametrize(
    "name, damage, why",
    [
        ("agreement.csv", lambda p: p.write_text("garbage\n1\n"), "not the table a run writes (no column pair, should_agree"),
        ("gradients.csv", lambda p: p.write_text(""), "cannot be read (No columns to parse from file)"),
        ("spec.json", cut, "cannot be read ("),
        ("data.npz", cut, "cannot be read (File is not a zip file)"),
    ],
    ids=["garbage-agreement", "empty-gradients", "cut-spec", "cut-data"],
)
def test_a_bundle_without_a_manifest_is_read_with_a_note_and_its_damage_is_one_line(copy, capsys, name, damage, why):
    (copy / "manifest.json").unlink()  # as bundles were before they carried one
    code, out, err = outcome(capsys, ["table", str(copy), "--format", "csv"])
    assert code == 0 and out.startswith("run,spec,pair") and "numpy vs torch" in out
    assert err == f"mlp-compare: note: {copy}: no manifest.json (written before bundles carried one); its files are read unchecked"
    damage(copy / name)
    command = "explain" if name == "data.npz" else "table"
    code, out, err = outcome(capsys, [command, str(copy)])
    assert (code, out) == (2, "") and err.startswith(f"mlp-compare {command}: error: {copy / name}: {why}") and "\n" not in err
    assert err.endswith(("the bundle is damaged, re-run it", "the bundle is damaged"))
    assert outcome(capsys, ["verify", str(copy)]) == (
        2, "", f"mlp-compare verify: error: {copy}: no manifest.json (written before bundles carried one); its files cannot be verified, re-run it"
    )  # fmt: skip


def test_verify_finds_a_table_that_does_not_follow_from_the_losses_even_under_a_new_manifest(copy, capsys):
    lines = (copy / "curves.csv").read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace(lines[5].split(",")[3].strip(), "0.25")
    (copy / "curves.csv").write_text("".join(lines))
    manifest.write(copy)  # sealed again over the changed table: the files match, the bundle contradicts itself
    code, out, err = outcome(capsys, ["verify", str(copy)])
    assert (code, out) == (2, "")
    assert (
        err
        == f"mlp-compare verify: error: {copy / 'curves.csv'}: line 6 is not what losses/*.npy and final/ give; the bundle contradicts itself"
    )


def test_explain_reads_the_exact_losses_never_curves_csv(copy, capsys):
    code, out, _ = outcome(capsys, ["explain", str(copy)])
    assert code == 0 and "torch: matches the NumPy reference as is" in out
    digits = damages()[4][1]
    digits(copy / "curves.csv")  # 8 digits: float32's round-off, were explain to read them
    manifest.write(copy)
    assert outcome(capsys, ["explain", str(copy)])[:2] == (0, out)
    losses = np.load(copy / "losses" / "torch.npy")
    losses[3:] *= 1 + 1e-3  # past float32's round-off: no switch explains it
    np.save(copy / "losses" / "torch.npy", losses)
    manifest.write(copy)
    code, out, _ = outcome(capsys, ["explain", str(copy)])
    assert code == 1 and "torch: not explained" in out and "follows it for 3 of 20 steps" in out


def test_staging_leftovers_are_no_part_of_a_bundle(sealed):
    assert not [p for p in os.listdir(sealed.parent) if p.startswith(".")] and not (sealed / ".pid").exists()
