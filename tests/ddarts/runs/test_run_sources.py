import dataclasses
import json

import numpy as np
import pytest

from ddarts.errors import DdartsError, GenotypeError, RunFolderError
from ddarts.genotype.core import Genotype
from ddarts.genotype.parse import parse_cell
from ddarts.runs.sources import genotype_from_source, latest_alpha_file
from ddarts.search.config import SearchConfig
from ddarts.space.ops import EDGES, PRIMITIVES


def alpha_with(to: int, frm: int, op: str, value: float, base: float = -5.0) -> np.ndarray:
    cell = np.full((14, 7), base, dtype=np.float32)
    for (t, f) in EDGES:  # make every edge weakly but equally alive
        cell[EDGES.index((t, f)), PRIMITIVES.index("skip_connect")] = 1.0  # σ 0.73
    cell[EDGES.index((to, frm)), PRIMITIVES.index(op)] = value
    return cell


def make_run(root, cells: int = 3, **config_changes):
    run = root / "run"
    (run / "alphas").mkdir(parents=True)
    config = SearchConfig(cells=cells, parse="sparse", threshold=0.7, **config_changes).to_dict()
    (run / "config.json").write_text(json.dumps({
        "format_version": 1, "kind": "search", "ddarts_version": "0.1.0", "created": "2025-01-01T00:00:00+00:00",
        "config": config,
    }))
    return run


def save_alphas(run, epoch: int, alphas: np.ndarray) -> None:
    np.save(run / "alphas" / f"epoch_{epoch:03d}.npy", alphas)


def test_a_run_folder_parses_its_latest_alphas_with_its_own_settings(tmp_path):
    run = make_run(tmp_path)
    old = np.stack([alpha_with(2, 0, "sep_conv_3x3", 4.0)] * 3)
    new = np.stack([alpha_with(3, 2, "dil_conv_5x5", 4.0)] * 3)
    save_alphas(run, 1, old)
    save_alphas(run, 2, new)
    (run / "alphas" / "notes.npy").write_bytes(b"ignored")
    g = genotype_from_source(run)
    assert isinstance(g, Genotype)
    assert g.n_cells == 3 and g.reductions == (1, 2)  # cells // 3, 2 * cells // 3
    assert g.method == "sparse" and g.threshold == 0.7 and g.source == f"{run} (epoch 2)"
    assert g.cells[0] == parse_cell(new[0], "sparse", 0.7)
    assert ("dil_conv_5x5", 3, 2) in g.cells[0]  # σ(4) beats the σ(1) skips at node 3


def test_method_and_threshold_override_the_run_config(tmp_path):
    run = make_run(tmp_path)
    save_alphas(run, 1, np.stack([alpha_with(2, 0, "sep_conv_3x3", 4.0)] * 3))
    edge = genotype_from_source(run, method="edge", threshold=0.9)
    assert edge.method == "edge" and edge.threshold == 0.9
    assert edge.cells[1] == (("sep_conv_3x3", 2, 0),)  # only σ(4) = 0.98 clears 0.9
    assert not genotype_from_source(run, threshold=0.99).cells[0]  # dead cells are returned, not raised


def test_softmax_runs_parse_with_softmax(tmp_path):
    run = make_run(tmp_path, mixing="softmax")
    alphas = np.stack([alpha_with(2, 0, "sep_conv_3x3", 4.0)] * 3)
    save_alphas(run, 1, alphas)
    g = genotype_from_source(run, method="edge", threshold=0.5)
    assert g.cells[0] == parse_cell(alphas[0], "edge", 0.5, "softmax")
    assert g.cells[0] != parse_cell(alphas[0], "edge", 0.5, "sigmoid")


def test_latest_epoch_is_chosen_numerically(tmp_path):
    run = make_run(tmp_path)
    save_alphas(run, 999, np.zeros((3, 14, 7), np.float32))
    save_alphas(run, 1000, np.zeros((3, 14, 7), np.float32))
    assert latest_alpha_file(run) == (1000, run / "alphas" / "epoch_1000.npy")


def test_a_genotype_file_is_loaded_as_is(tmp_path):
    target = tmp_path / "g.json"
    g = Genotype(cells=[[("skip_connect", 2, 0)]] * 3, reductions=[1], method="edge", threshold=0.8)
    g.save(target)
    loaded = genotype_from_source(target, method="darts", threshold=0.1)  # a file is already parsed
    assert loaded == dataclasses.replace(g, source=str(target))


@pytest.mark.parametrize(
    "prepare, message",
    [
        (lambda run: (run / "config.json").unlink(), "not a ddarts run folder"),
        (lambda run: (run / "config.json").write_text("{oops"), "config.json: invalid JSON"),
        (lambda run: (run / "config.json").write_text("[]"), "config.json: expected a JSON object, got list"),
        (lambda run: rewrite(run, format_version=2), "unsupported run format_version 2"),
        (lambda run: rewrite(run, kind="train"), "kind 'train' is not a search run"),
        (lambda run: rewrite(run, config=None), "'config' must be a JSON object"),
        (lambda run: rewrite_config(run, cells=None), "config.cells must be an integer from 3 to 100, got None"),
        (lambda run: rewrite_config(run, mixing="relu"), "config.mixing 'relu' is not one of"),
        (lambda run: rewrite_config(run, parse="fair"), "parse method 'fair' is not one of"),
        (lambda run: drop_config(run, "threshold"), "config.threshold is missing"),
        (lambda run: None, "the run has no α yet"),
        (lambda run: save_alphas(run, 4, np.zeros((8, 14, 7))), "epoch_004.npy: α of shape (8, 14, 7), "
                                                                "expected (3, 14, 7) for 3 cells"),
        (lambda run: save_alphas(run, 4, np.zeros((3, 14, 7), dtype=np.int64)), "dtype int64"),
        (lambda run: save_alphas(run, 4, np.array([{"a": 1}], dtype=object)), "not a readable .npy array"),
        (lambda run: (run / "alphas" / "epoch_004.npy").write_bytes(b"junk"), "not a NumPy array file"),
        (lambda run: save_alphas(run, 4, np.full((3, 14, 7), np.nan)), "NaN or infinite"),
        (lambda run: save_alphas(run, 4, np.array(["a"] * 294).reshape(3, 14, 7)), "dtype <U1"),
    ],
)
def test_broken_run_folders_give_clear_errors(tmp_path, prepare, message):
    run = make_run(tmp_path)
    prepare(run)
    with pytest.raises(DdartsError) as info:
        genotype_from_source(run)
    assert message in str(info.value)


def rewrite(run, **changes):
    data = json.loads((run / "config.json").read_text())
    data.update(changes)
    (run / "config.json").write_text(json.dumps(data))


def rewrite_config(run, **changes):
    data = json.loads((run / "config.json").read_text())
    data["config"].update(changes)
    (run / "config.json").write_text(json.dumps(data))


def drop_config(run, key):
    data = json.loads((run / "config.json").read_text())
    del data["config"][key]
    (run / "config.json").write_text(json.dumps(data))


def test_missing_paths_and_bad_files(tmp_path):
    with pytest.raises(GenotypeError, match="nothing.json: no such genotype file or run folder"):
        genotype_from_source(tmp_path / "nothing.json")
    bad = tmp_path / "bad.txt"
    bad.write_text("print('hi')")
    with pytest.raises(GenotypeError, match="bad.txt: expected Genotype"):
        genotype_from_source(bad)
    with pytest.raises(RunFolderError, match="not a ddarts run folder"):
        genotype_from_source(tmp_path)
