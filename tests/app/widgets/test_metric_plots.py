"""Accuracy, dominant-op and contribution plots draw exactly the run's numbers."""

from __future__ import annotations

import numpy as np

from app.run_model import RunModel
from app.widgets.accuracy_plot import AccuracyPlot
from app.widgets.contributions_plot import EPOCH_MEAN, ContributionsPlot
from app.widgets.dominant_ops_plot import DominantOpsPlot


def test_accuracy_in_percent_per_step_and_epoch(qtbot, make_run):
    model = RunModel()
    plot = AccuracyPlot(model)
    qtbot.addWidget(plot)
    model.apply(make_run(cells=3, epochs=2, steps_per_epoch=3))
    model.flush()
    np.testing.assert_allclose(plot.curve_data("train")[1], 100 * model.state.step_series("train_acc"))
    plot.x_mode.setCurrentIndex(1)
    x, y = plot.curve_data("val")
    np.testing.assert_allclose(x, [1, 2])
    np.testing.assert_allclose(y, 100 * model.state.epoch_series("val_acc"))


def test_dominant_shares_follow_the_selected_cell(qtbot, make_run):
    model = RunModel()
    plot = DominantOpsPlot(model)
    qtbot.addWidget(plot)
    model.apply(make_run(cells=5, epochs=3))
    model.flush()
    state = model.state
    np.testing.assert_allclose(plot.curve_data("dominant")[1], 100 * state.epoch_series("dominant_share"))
    np.testing.assert_allclose(plot.curve_data("low")[1], 100 * state.epoch_series("low_share"))
    model.set_selected_cell(3)
    np.testing.assert_allclose(plot.curve_data("low_cell")[1], 100 * state.epoch_series("low_share_per_cell")[:, 3])
    assert plot.curve("dominant_cell").name().endswith("cell 3")


def test_contributions_latest_step_and_epoch_mean(qtbot, make_run):
    model = RunModel()
    plot = ContributionsPlot(model)
    qtbot.addWidget(plot)
    model.apply(make_run(cells=5, epochs=2))
    model.flush()
    state = model.state
    mc, lab, what = plot.values()
    np.testing.assert_allclose(mc, state.step_series("mc")[-1])
    np.testing.assert_allclose(plot.mc_bars.opts["height"], mc)
    np.testing.assert_allclose(plot.lab_bars.opts["height"], state.step_series("l_ab")[-1])
    assert what == "step 8"
    plot.mode.setCurrentIndex(plot.mode.findData(EPOCH_MEAN))
    np.testing.assert_allclose(plot.mc_bars.opts["height"], state.epoch_series("mc")[-1])
    assert "cell 1 (reduction)" in plot.hover_text(1.2, 0.0)


def test_contributions_explain_an_l_f_run(qtbot, make_run):
    model = RunModel()
    plot = ContributionsPlot(model)
    qtbot.addWidget(plot)
    model.apply(make_run(cells=4, epochs=1, loss="fair"))
    model.flush()
    assert len(plot.mc_bars.opts["height"]) == 0
    assert "L_F" in plot.empty_text.textItem.toPlainText()
