import json
from pathlib import Path

import numpy as np
import pytest

import ddarts.cli
from ddarts.genotype import Genotype, load_genotype
from ddarts.genotype.derive import derive_genotype
from ddarts.search.config import SearchConfig
from ddarts.space.ops import PRIMITIVES

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference-genotypes"
SPARSE = REFERENCE / "D-DARTS_threshold_sparse_cifar10_0.85_50.txt"


@pytest.fixture(autouse=True)
def only_this_command(monkeypatch):
    """The dispatcher imports every sub-command; these tests need only `derive`."""
    monkeypatch.setattr(ddarts.cli, "COMMANDS", ("derive",))


def run(capsys, *argv):
    code = ddarts.cli.main(["derive", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def make_run(folder: Path, cells: int = 6) -> Path:
    """A search run folder with one epoch of α: sep_conv_3x3 strong everywhere, max_pool fairly strong."""
    folder.mkdir()
    header = {"format_version": 1, "kind": "search", "ddarts_version": "0.1.0", "created": "2026-01-01T00:00:00Z",
              "config": SearchConfig(cells=cells, parse="sparse", threshold=0.85).to_dict()}
    (folder / "config.json").write_text(json.dumps(header))
    alphas = np.full((cells, 14, 7), -4.0, dtype=np.float32)
    alphas[:, :, PRIMITIVES.index("sep_conv_3x3")] = 4.0
    alphas[:, :, PRIMITIVES.index("max_pool_3x3")] = 1.0  # σ ≈ 0.73
    (folder / "alphas").mkdir()
    np.save(folder / "alphas" / "epoch_001.npy", alphas)
    return folder


def test_derive_a_legacy_genotype(tmp_path, capsys):
    out_file = tmp_path / "d14.json"
    code, out, err = run(capsys, SPARSE, "--layers", 14, "-o", out_file)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == ("14 layers from 8 distinct searched cells (searched reductions at 2, 6; "
                        "derived reductions at 4, 9)")
    assert "  position  4 <- searched cell 2  reduction" in lines
    assert "  position  9 <- searched cell 6  reduction" in lines
    assert "  position 13 <- searched cell 7" in lines
    assert lines[-1] == f"wrote {out_file}"
    assert load_genotype(out_file) == derive_genotype(load_genotype(SPARSE), 14)


def test_derive_a_run_folder_with_its_own_or_another_parse(tmp_path, capsys):
    run_dir = make_run(tmp_path / "run")
    code, out, err = run(capsys, run_dir, "--layers", 9, "-o", tmp_path / "a.json")
    assert (code, err) == (0, "")
    derived = load_genotype(tmp_path / "a.json")
    assert (derived.n_cells, derived.reductions, derived.method, derived.threshold) == (9, (3, 6), "sparse", 0.85)
    assert {op for cell in derived.cells for op, _, _ in cell} == {"sep_conv_3x3"}
    code, out, err = run(capsys, run_dir, "--layers", 9, "-o", tmp_path / "b.json", "--parse", "edge",
                         "--threshold", 0.7)
    assert (code, err) == (0, "")
    derived = load_genotype(tmp_path / "b.json")
    assert (derived.method, derived.threshold) == ("edge", 0.7)
    assert {op for cell in derived.cells for op, _, _ in cell} == {"sep_conv_3x3", "max_pool_3x3"}


@pytest.mark.parametrize(("make_args", "message"), [
    (lambda tmp: [tmp / "missing-run", "--layers", 14], "no such genotype file or run folder"),
    (lambda tmp: [SPARSE, "--layers", 5], "layers: 5 is fewer than the 8 searched cells"),
    (lambda tmp: [SPARSE, "--layers", 14, "--parse", "edge"], "apply to run folders only"),
    (lambda tmp: [tmp / "bad.json", "--layers", 14], "unknown operation 'conv_9x9'"),
    (lambda tmp: [tmp, "--layers", 14], "not a ddarts run folder"),
])
def test_bad_inputs_write_nothing(tmp_path, capsys, make_args, message):
    bad = Genotype(cells=((("sep_conv_3x3", 2, 0),),) * 3, reductions=(1, 2)).to_json()
    bad["cells"][1][0][0] = "conv_9x9"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    out_file = tmp_path / "out.json"
    code, out, err = run(capsys, *make_args(tmp_path), "-o", out_file)
    assert code == 2
    assert message in err
    assert not out_file.exists()


def test_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, SPARSE, "--layers", 14, "-o", blocker / "d.json")
    assert code == 2 and f"cannot write {blocker / 'd.json'}" in err
    assert out == ""


def test_dead_run_is_reported_in_searched_cells(tmp_path, capsys):
    run_dir = make_run(tmp_path / "run")
    alphas = np.load(run_dir / "alphas" / "epoch_001.npy")
    alphas[3] = -4.0  # nothing passes the threshold in cell 3
    np.save(run_dir / "alphas" / "epoch_002.npy", alphas)
    code, out, err = run(capsys, run_dir, "--layers", 9, "-o", tmp_path / "d.json")
    assert code == 2 and "cell(s) 3 (normal)" in err
    assert not (tmp_path / "d.json").exists()
