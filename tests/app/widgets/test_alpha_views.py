"""σ(α) histogram and heat map: counts and weights of the newest snapshot, for the selected cell or all."""

from __future__ import annotations

import numpy as np

from app.run_model import RunModel
from app.widgets.alpha_heatmap import EDGE_LABELS, AlphaHeatmap
from app.widgets.alpha_histogram import ALL, BINS, AlphaHistogram
from ddarts.genotype.parse import op_weights, weight_histogram
from ddarts.search.config import SearchConfig
from ddarts.space.ops import PRIMITIVES


def test_histogram_counts_selected_cell_and_all_cells(qtbot, make_run):
    model = RunModel()
    hist = AlphaHistogram(model)
    qtbot.addWidget(hist)
    assert hist.empty_text.isVisible()
    model.apply(make_run(cells=5, epochs=2))
    model.flush()
    alphas = model.state.latest_alphas
    model.set_selected_cell(2)
    model.flush()  # the views refresh in the model's queue
    np.testing.assert_array_equal(hist.counts, weight_histogram(alphas[2], bins=BINS)[0])
    assert hist.counts.sum() == 14 * 7
    assert "cell 2" in hist.plot.getPlotItem().titleLabel.text and "epoch 2" in hist.plot.getPlotItem().titleLabel.text
    hist.scope.setCurrentIndex(hist.scope.findData(ALL))
    np.testing.assert_array_equal(hist.counts, weight_histogram(alphas, bins=BINS)[0])
    assert hist.threshold_line.value() == SearchConfig().threshold
    assert "ops" in hist.hover_text(0.5, 0)


def test_heatmap_shows_op_weights_of_the_selected_cell(qtbot, make_run):
    model = RunModel()
    heat = AlphaHeatmap(model)
    qtbot.addWidget(heat)
    model.apply(make_run(cells=5, epochs=2))
    model.flush()
    model.set_selected_cell(1)
    model.flush()  # the views refresh in the model's queue
    expected = op_weights(model.state.latest_alphas[1], "sigmoid")
    np.testing.assert_allclose(heat.weights, expected)
    np.testing.assert_allclose(heat.image.image, expected.T)
    assert heat.values.text(3, 4) == f"{expected[3, 4]:.2f}"
    assert EDGE_LABELS[:3] == ("2←0", "2←1", "3←0")
    ticks = [label for _pos, label in heat.plot.getAxis("bottom")._tickLevels[0]]
    assert ticks == list(PRIMITIVES)
    text = heat.hover_text(3.5, 0.5)
    assert text.startswith(f"edge 2←0, {PRIMITIVES[3]}") and f"{expected[0, 3]:.4f}" in text
    assert "reduction" in heat.plot.getPlotItem().titleLabel.text
