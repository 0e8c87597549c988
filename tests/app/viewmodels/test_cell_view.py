"""What the cell diagram and network overview show, decided without Qt."""

from __future__ import annotations

import numpy as np

from app.viewmodels.cell_view import cell_header, cell_view, dead_cell_message, network_caption, network_header
from ddarts.runs import RunState
from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaSnapshot, RunStarted
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

CELLS = 4


def run(*snapshots: np.ndarray) -> RunState:
    config = SearchConfig(cells=CELLS, parse="edge", threshold=0.85).to_dict()
    events = [RunStarted(None, config, "cpu", CELLS, reduction_positions(CELLS), PRIMITIVES, 5, 50, 0, 0)]
    events += [AlphaSnapshot(i, 5 * (i + 1), a, "sigmoid") for i, a in enumerate(snapshots)]
    return RunState.from_events(events)


def strong(*rows: tuple[int, int]) -> np.ndarray:
    a = np.full((CELLS, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    for edge in rows:
        a[:, EDGES.index(edge), PRIMITIVES.index("sep_conv_3x3")] = 3.0
    return a


def test_cell_of_an_epoch_with_its_header():
    state = run(strong((2, 0)), strong((2, 0), (2, 1), (3, 0), (4, 1)))
    view = cell_view(state, 1, "edge", 0.85, selected=1)
    assert view.cell == 1 and view.epoch == 1 and view.origin == "alpha" and view.is_reduction
    assert cell_header(view, "edge") == "Cell 1 (reduction) · epoch 2 · 4 ops"
    early = cell_view(state, 0, "edge", 0.85, selected=9)
    assert early.cell == CELLS - 1  # the selection is clamped to the genotype's cells
    assert cell_view(state, None, "edge", 0.85, 0) is None  # no final genotype yet


def test_dead_cells_say_why():
    state = run(np.full((CELLS, len(EDGES), len(PRIMITIVES)), 0.0, np.float32))
    view = cell_view(state, 0, "edge", 0.85, 0)
    assert not view.genotype.live_nodes(0)
    assert "no op weight reaches the threshold yet" in dead_cell_message(view, 0.85)


def test_network_caption_names_the_parse_and_epoch():
    state = run(strong((2, 0), (2, 1), (3, 0), (4, 1)))
    choice = state.genotype_for()
    assert network_caption(choice) == "edge parse at 0.85 · epoch 1"
    assert network_caption(state.genotype_for(None, "darts")) == "darts parse · epoch 1"
    assert network_header(choice.genotype, "x") == "Network · 4 cells (reductions 1, 2) · x"
