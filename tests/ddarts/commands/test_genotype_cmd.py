import json

import numpy as np
import pytest

import ddarts.cli
from ddarts.genotype import Genotype, load_genotype
from ddarts.search.config import SearchConfig

DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
    "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])\n"
)
NESTED = ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 1), ('max_pool_3x3', 2, 0)], [('skip_connect', 2, 0)], "
          "[('dil_conv_5x5', 2, 1), ('sep_conv_5x5', 3, 2)]], reductions=[1, 2], concat=range(2, 6))\n")


@pytest.fixture(autouse=True)
def only_this_command(monkeypatch):
    """The dispatcher imports every sub-command; this test needs only `genotype`."""
    monkeypatch.setattr(ddarts.cli, "COMMANDS", ("genotype",))


def run(capsys, *argv):
    code = ddarts.cli.main(["genotype", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_of_a_d_darts_legacy_file(tmp_path, capsys):
    source = tmp_path / "dd.txt"
    source.write_text(NESTED)
    code, out, err = run(capsys, source)
    assert (code, err) == (0, "")
    assert out.startswith("3 cells, reductions at 1, 2; output concatenates nodes 2, 3, 4, 5\n")
    assert "cell 2 (reduction): 2 ops, live nodes 2, 3" in out
    assert "  node 4 <- -  [dead]" in out
    assert not list(tmp_path.glob("*.json"))


def test_convert_a_d_darts_legacy_file(tmp_path, capsys):
    source, target = tmp_path / "dd.txt", tmp_path / "out" / "dd.json"
    source.write_text(NESTED)
    code, out, _ = run(capsys, source, "-o", target)
    assert code == 0 and out.endswith(f"wrote {target}\n")
    data = json.loads(target.read_text())
    assert data["format_version"] == 1 and data["reductions"] == [1, 2]
    assert data["cells"][0] == [["sep_conv_3x3", 2, 1], ["max_pool_3x3", 2, 0]]
    assert load_genotype(target) == Genotype.from_json(data)


def test_a_darts_pair_is_stacked_when_converted(tmp_path, capsys):
    source = tmp_path / "v2.txt"
    source.write_text(DARTS_V2)
    code, out, _ = run(capsys, source, "-o", tmp_path / "v2.json")
    assert code == 0
    assert "one normal and one reduce cell" in out
    assert "stacked to 20 layers (--layers), reductions at 6, 13" in out
    assert load_genotype(tmp_path / "v2.json").n_cells == 20
    code, out, _ = run(capsys, source, "-o", tmp_path / "v2_8.json", "--layers", 8)
    g = load_genotype(tmp_path / "v2_8.json")
    assert code == 0 and g.n_cells == 8 and g.reductions == (2, 5)
    assert g.cells[2][2] == ("skip_connect", 3, 2)


@pytest.mark.parametrize(
    "text, extra, message",
    [
        ("__import__('os').system('x')", [], "expected Genotype(...) or Genotype_nested(...)"),
        (NESTED.replace("skip_connect", "conv_9x9"), [], "cell 1, edge 0: unknown operation 'conv_9x9'"),
        (NESTED.replace("('skip_connect', 2, 0)", "('skip_connect', 3, 2)"), [], "not buildable"),
        (NESTED, ["--layers", "8"], "use derive_genotype"),
        (DARTS_V2, ["--layers", "2"], "layers: a stacked network needs an integer >= 3"),
        (NESTED, ["--method", "edge"], "--method and --threshold apply to run folders only"),
    ],
)
def test_invalid_input_writes_nothing(tmp_path, capsys, text, extra, message):
    source, target = tmp_path / "in.txt", tmp_path / "out.json"
    source.write_text(text)
    code, out, err = run(capsys, source, "-o", target, *extra)
    assert code == 2
    assert err.startswith("ddarts genotype: error: ") and message in err
    assert not target.exists()


def test_missing_file(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "nope.txt")
    assert code == 2 and "no such genotype file or run folder" in err


def run_folder(tmp_path, alphas):
    run_dir = tmp_path / "run"
    (run_dir / "alphas").mkdir(parents=True)
    config = {"format_version": 1, "kind": "search", "config": SearchConfig(cells=3, parse="edge").to_dict()}
    (run_dir / "config.json").write_text(json.dumps(config))
    np.save(run_dir / "alphas" / "epoch_001.npy", alphas.astype(np.float32))
    return run_dir


def test_a_run_folder_is_parsed_and_converted(tmp_path, capsys):
    alphas = np.full((3, 14, 7), -4.0)
    alphas[:, 0, 3] = 4.0  # sep_conv_3x3 on edge (2, 0) in every cell
    source = run_folder(tmp_path, alphas)
    code, out, _ = run(capsys, source, "--method", "sparse", "--threshold", "0.9", "-o", tmp_path / "g.json")
    assert code == 0
    assert "parse method: sparse, threshold 0.9" in out and f"source: {source} (epoch 1)" in out
    g = load_genotype(tmp_path / "g.json")
    assert g.cells == ((("sep_conv_3x3", 2, 0),),) * 3 and g.reductions == (1, 2)


def test_an_unbuildable_run_genotype_is_shown_but_not_written(tmp_path, capsys):
    source = run_folder(tmp_path, np.full((3, 14, 7), -4.0))
    code, out, err = run(capsys, source, "-o", tmp_path / "g.json")
    assert code == 2 and "cell 0 (normal): 0 ops, live nodes none" in out
    assert "not buildable" in err and not (tmp_path / "g.json").exists()
