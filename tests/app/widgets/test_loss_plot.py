"""LossPlot: per-step and per-epoch curves equal the run's series; hover reads values back."""

from __future__ import annotations

import numpy as np

from app.run_model import RunModel
from app.widgets.loss_plot import LossPlot
from app.widgets.plot_base import epoch_means, row_mean


def test_row_mean_and_epoch_means_ignore_missing_values():
    values = np.array([[1.0, 3.0], [np.nan, np.nan], [np.nan, 4.0]])
    np.testing.assert_allclose(row_mean(values), [2.0, np.nan, 4.0])
    epochs, means = epoch_means(np.array([0, 0, 1, 1, 3]), np.array([1.0, 3.0, np.nan, 5.0, 7.0]))
    np.testing.assert_allclose(epochs, [1, 2, 4])
    np.testing.assert_allclose(means, [2.0, 5.0, 7.0])


def test_step_and_epoch_curves(qtbot, make_run):
    model = RunModel()
    plot = LossPlot(model)
    qtbot.addWidget(plot)
    model.apply(make_run(cells=4, epochs=3, steps_per_epoch=5))
    model.flush()
    state = model.state
    x, y = plot.curve_data("train_ce")
    np.testing.assert_allclose(x, np.arange(1, 16))
    np.testing.assert_allclose(y, state.step_series("train_loss"))
    np.testing.assert_allclose(plot.curve_data("l_t")[1], state.step_series("l_t").mean(axis=1))
    np.testing.assert_allclose(plot.curve_data("l01")[1], state.step_series("l01").mean(axis=1))
    assert not plot.empty_text.isVisible()

    plot.x_mode.setCurrentIndex(1)  # per epoch
    x, y = plot.curve_data("val_ce")
    np.testing.assert_allclose(x, [1, 2, 3])
    np.testing.assert_allclose(y, state.epoch_series("val_loss"))
    x, y = plot.curve_data("l01")
    np.testing.assert_allclose(y[0], state.step_series("l01")[:5].mean())
    text = plot.hover_text(2.1, 0.0)
    assert text.startswith("epoch 2") and "L_CE val" in text


def test_fair_loss_run_has_no_l_ab_curve_and_empty_run_says_so(qtbot, make_run):
    model = RunModel()
    plot = LossPlot(model)
    qtbot.addWidget(plot)
    assert plot.empty_text.isVisible() and "No run" in plot.empty_text.textItem.toPlainText()
    model.apply(make_run(cells=3, epochs=1, loss="fair"))
    model.flush()
    assert len(plot.curve_data("l_ab")[0]) == 0
    assert len(plot.curve_data("l_t")[0]) == 4
