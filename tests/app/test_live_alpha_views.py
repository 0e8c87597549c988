"""The α views follow live α reports inside one epoch, not only epoch ends."""

from __future__ import annotations

import numpy as np

from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaLive, RunStarted, StepMetrics
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

CELLS = 4


def step(k: int) -> StepMetrics:
    zeros = (0.0,) * CELLS
    return StepMetrics(0, k, k, 10, 20, 2.0, 0.2, 2.1, 0.2 + 0.01 * k, zeros, (0.1,) * CELLS, zeros, zeros,
                       0.01, 0.003, float(k), 1.0, 20.0 - k)


def alphas(strength: float) -> np.ndarray:
    """Four edges of every cell move towards sep_conv_3x3 as `strength` grows."""
    a = np.full((CELLS, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    rows = [EDGES.index(e) for e in ((2, 0), (2, 1), (3, 0), (4, 1))]
    a[:, rows, PRIMITIVES.index("sep_conv_3x3")] = strength
    return a


def test_views_change_between_two_live_reports_of_one_epoch(qtbot, window):
    config = SearchConfig(cells=CELLS, epochs=2, parse="edge", threshold=0.85, steps_per_epoch=10).to_dict()
    window.model.reset(run_dir="/tmp/live-run")
    window.session.apply_events([RunStarted("/tmp/live-run", config, "cpu", CELLS, reduction_positions(CELLS),
                                            PRIMITIVES, 10, 20, 0, 0), step(1), step(2),
                                 AlphaLive(0, 2, alphas(0.0), "sigmoid")])
    window.model.flush()
    window.model.set_selected_cell(2)
    window.model.flush()  # the views refresh in the model's queue
    first = {
        "histogram": window.histogram.counts.copy(),
        "heatmap": window.heatmap.weights.copy(),
        "dominant": window.dominant_plot.curve_data("dominant")[1].copy(),
        "diagram": window.cell_diagram.current,
        "overview": window.header.overview.text(),
    }
    assert "step 2 (live)" in window.histogram.plot.getPlotItem().titleLabel.text
    assert first["diagram"].origin == "live" and first["diagram"].genotype.live_edges(2) == ()  # σ = 0.5: none
    window.session.apply_events([step(3), step(4), AlphaLive(0, 4, alphas(3.0), "sigmoid")])
    window.model.flush()
    state = window.model.state
    assert state.epoch == 0 and not state.alphas  # still inside the first epoch: no epoch-end snapshot
    assert not np.array_equal(window.histogram.counts, first["histogram"])
    assert not np.allclose(window.heatmap.weights, first["heatmap"])
    window.tabs.setCurrentWidget(window.dominant_plot)  # a hidden tab catches up when shown
    x, dominant = window.dominant_plot.curve_data("dominant")
    np.testing.assert_array_equal(x, [2, 4])
    assert dominant[-1] > dominant[0] == 0.0
    diagram = window.cell_diagram.current
    assert diagram.step == 4 and len(diagram.genotype.live_edges(2)) == 4
    assert "epoch 1 (live, step 4)" in window.cell_diagram.header.text()
    assert window.header.overview.text() != first["overview"] and "live ops" in window.header.overview.text()
