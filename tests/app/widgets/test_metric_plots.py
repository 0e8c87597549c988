"""Accuracy, dominant-op and contribution plots draw exactly the run's numbers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.run_model import RunModel
from app.widgets.accuracy_plot import AccuracyPlot
from app.widgets.contributions_plot import EPOCH_MEAN, ContributionsPlot, l_ab_blow_up
from app.widgets.dominant_ops_plot import DominantOpsPlot
from app.widgets.plot_base import X_EPOCHS
from ddarts.search.events import StepMetrics


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
    np.testing.assert_allclose(plot.curve_data("dominant")[0], state.shares.series("step"))  # per step: every α
    plot.x_mode.setCurrentIndex(plot.x_mode.findData(X_EPOCHS))
    np.testing.assert_allclose(plot.curve_data("dominant")[1], 100 * state.epoch_series("dominant_share"))
    np.testing.assert_allclose(plot.curve_data("low")[1], 100 * state.epoch_series("low_share"))
    model.set_selected_cell(3)
    model.flush()  # the views refresh in the model's queue
    np.testing.assert_allclose(plot.curve_data("low_cell")[1], 100 * state.epoch_series("low_share_per_cell")[:, 3])
    assert plot.curve_name("dominant_cell").endswith("cell 3")
    assert plot.legend_texts() == ["σ > 0.9, all cells", "σ < 0.1, all cells", "σ > 0.9, cell 3", "σ < 0.1, cell 3"]


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


def test_contributions_show_mean_mc_and_mark_when_it_blows_l_ab_up(qtbot, make_run):
    model = RunModel()
    plot = ContributionsPlot(model)
    qtbot.addWidget(plot)
    model.apply(make_run(cells=4, epochs=1))
    model.flush()
    mc = model.state.step_series("mc")[-1]
    assert plot.mean_line.value() == pytest.approx(mc.mean()) and plot.mean_label.text().startswith("mean MC = ")
    assert l_ab_blow_up(np.array([1.0, 1.2, 0.8, 1.0])) is None  # L_AB within ±0.2
    assert l_ab_blow_up(np.array([0.5, -0.45, 0.02, -0.05])) == pytest.approx(0.495 / 0.005)
    assert l_ab_blow_up(np.array([0.1, -0.1])) == float("inf")
    assert not plot.unstable and "⚠" not in plot.mean_label.text()
    last = [e for e in make_run(cells=4, epochs=1) if isinstance(e, StepMetrics)][-1]
    model.apply([replace(last, step=last.step + 1, mc=(0.5, -0.45, 0.02, -0.05), l_ab=(99.0, -91.0, 3.0, -11.0))])
    model.flush()
    assert plot.unstable and "⚠ near 0" in plot.mean_label.text() and "99.0000" in plot.mean_label.text()
    assert plot.mean_label.toolTip() == plot.mean_label.text()  # whole where the label is cut


def test_time_axes_tick_whole_steps_and_epochs(qtbot, make_run):
    model = RunModel()
    plot = DominantOpsPlot(model)
    qtbot.addWidget(plot)
    axis = plot.plot.getAxis("bottom")
    levels = axis.tickValues(1.0, 2.0, 400)
    assert levels and all(float(v).is_integer() for _spacing, values in levels for v in values)
    assert [v for _s, values in levels for v in values] == [1.0, 2.0]
    for panel in (plot, AccuracyPlot(model), ContributionsPlot(model)):
        assert len(panel.plot.toolTip()) > 40  # each plot says what it shows
