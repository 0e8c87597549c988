"""DeriverModel without Qt: the defaults policy, sources, readable errors and which counts are shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.viewmodels.deriver import DeriverModel, LatestCounts, format_count, stats_text
from ddarts.genotype.derive import algorithm1
from ddarts.runs import RunState
from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaSnapshot, RunStarted
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

CELLS = 8


def state(dataset: str = "cifar100", parse: str = "sparse") -> RunState:
    config = SearchConfig(dataset=dataset, cells=CELLS, parse=parse, threshold=0.8).to_dict()
    alphas = np.full((CELLS, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    alphas[:, [EDGES.index((2, 0)), EDGES.index((3, 1)), EDGES.index((4, 2))], PRIMITIVES.index("sep_conv_3x3")] = 3
    return RunState.from_events([RunStarted(None, config, "cpu", CELLS, reduction_positions(CELLS), PRIMITIVES,
                                            5, 15, 0, 0), AlphaSnapshot(0, 5, alphas, "sigmoid")])


def test_defaults_follow_the_run_until_the_user_sets_them():
    run = state()
    model = DeriverModel()
    model.run_replaced(run.config)
    assert (model.method, model.threshold, model.classes, model.input_kind) == ("sparse", 0.8, 100, "cifar")
    assert (model.layers, model.channels) == (14, 36)
    model.edit("input_kind", "imagenet")
    assert model.channels == 48 and model.classes == 100  # the run's dataset still names the classes
    model.edit("channels", 20)
    model.edit("input_kind", "cifar")
    assert model.channels == 20  # the user's width stays
    model.run_replaced(state("imagenet").config)
    assert model.input_kind == "cifar" and model.classes == 1000  # input was set by the user, classes were not


def test_derives_the_run_on_show_with_algorithm_1():
    run, model = state(), DeriverModel()
    model.run_replaced(run.config)
    assert model.recompute(run, "/runs/a", reload=True)
    derivation = model.derivation
    assert list(derivation.filled_by) == algorithm1(CELLS, 14) and derivation.reductions == (4, 9)
    assert model.source_text == "Current run: /runs/a" and "8 searched cells" in model.source_info
    assert model.describe_source() == "current run, derived to 14 layers"
    model.layers = 5
    assert not model.recompute(run, None, reload=False)
    assert model.layers_invalid and "8 searched cells" in model.message and model.derivation is None


def test_a_run_without_genotype_and_a_missing_file_explain_themselves(tmp_path: Path):
    model = DeriverModel()
    assert not model.recompute(RunState(), None, reload=True)
    assert "no genotype yet" in model.message
    model.source_path = tmp_path / "nowhere.json"
    assert not model.recompute(RunState(), None, reload=True)
    assert "nowhere.json" in model.message and model.method_enabled and not model.threshold_enabled


def test_only_the_newest_counts_are_shown():
    counts = LatestCounts()
    assert counts.want(("a",)) is None and counts.pending == ("a",)
    assert counts.want(("b",)) is None and counts.take_pending() == ("b",) and counts.pending is None
    assert not counts.done(("a",), "stats of a")  # cached, but not the one on show
    assert counts.done(("b",), "stats of b") and counts.current == "stats of b"
    assert counts.want(("a",)) == "stats of a" and counts.pending is None  # from the cache, no new count
    assert counts.want(None) is None and counts.current is None


def test_counts_read_as_numbers():
    assert format_count(1_234_567) == "1.23 M" and format_count(999) == "999" and format_count(2e9, "B") == "2.00 GB"

    class Stats:
        params, params_without_aux, macs, input_size = 3_100_000, 3_000_000, 5e8, (1, 3, 32, 32)

    assert stats_text(Stats()) == ("Parameters: <b>3.00 M</b> (3.10 M with the auxiliary head) · "
                                   "Multiply-adds: <b>500.00 M</b> · input 1×3×32×32")
