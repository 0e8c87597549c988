"""RunState.genotype_for: one answer to "which genotype for this epoch, parse method and threshold"."""

from __future__ import annotations

import numpy as np

from ddarts.genotype.core import Genotype
from ddarts.genotype.parse import parse_alphas
from ddarts.runs import RunState
from ddarts.runs.choice import parse_settings
from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaSnapshot, Finished, GenotypeParsed, RunStarted
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

CELLS = 4


def started(parse: str = "sparse", threshold: float = 0.7) -> RunStarted:
    config = SearchConfig(cells=CELLS, parse=parse, threshold=threshold).to_dict()
    return RunStarted(None, config, "cpu", CELLS, reduction_positions(CELLS), PRIMITIVES, 2, 6, 0, 0)


def alphas(row: int, value: float = 3.0) -> np.ndarray:
    a = np.full((CELLS, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    a[:, row, PRIMITIVES.index("sep_conv_3x3")] = value
    return a


def test_alpha_is_parsed_with_the_asked_or_the_runs_settings_and_cached():
    state = RunState.from_events([started(), AlphaSnapshot(0, 2, alphas(0), "sigmoid"),
                                  AlphaSnapshot(1, 4, alphas(1, 1.0), "sigmoid")])
    newest = state.genotype_for()
    assert (newest.epoch, newest.origin, newest.method, newest.threshold) == (1, "alpha", "sparse", 0.7)
    assert newest.genotype == parse_alphas(state.alphas[1], "sparse", 0.7, reduction_positions(CELLS))
    assert state.genotype_for(1).genotype is newest.genotype  # parsed once
    lower = state.genotype_for(1, "edge", 0.5)
    assert lower.method == "edge" and lower.genotype != newest.genotype
    assert state.genotype_for(0).genotype.cells[0] == (("sep_conv_3x3", 2, 0),)
    state.apply(AlphaSnapshot(1, 4, alphas(EDGES.index((2, 1))), "sigmoid"))  # a new snapshot of epoch 1 is parsed anew
    assert state.genotype_for(1).genotype.cells[0] == (("sep_conv_3x3", 2, 1),)


def test_stored_then_final_genotypes_answer_without_alpha():
    cells = tuple(((("skip_connect", 2, 0),),) * CELLS)
    darts = Genotype(cells=cells, reductions=reduction_positions(CELLS), method="darts")
    edge = Genotype(cells=cells, reductions=reduction_positions(CELLS), method="edge", threshold=0.85)
    state = RunState.from_events([started(), GenotypeParsed(0, "darts", 0.85, darts)])
    assert state.genotype_for() is not None and state.genotype_for(0, "edge").method == "darts"  # the one stored
    assert state.genotype_for(3) is None
    state.apply(Finished(0, 2, 1.0, {"edge": edge, "darts": darts}))
    assert state.genotype_for(final_first=True).genotype is darts  # no sparse final: the first by name
    assert state.genotype_for(None, "edge", final_first=True).origin == "final"
    assert RunState().genotype_for() is None


def test_parse_settings_fall_back_to_the_defaults():
    defaults = (SearchConfig().parse, SearchConfig().threshold)
    assert parse_settings(None) == defaults
    assert parse_settings({"parse": "darts", "threshold": 0.6}) == ("darts", 0.6)
    assert parse_settings({"parse": "nonsense", "threshold": "x"}, None, None) == defaults
    assert parse_settings({"parse": "darts"}, "sparse", 0.3) == ("sparse", 0.3)
