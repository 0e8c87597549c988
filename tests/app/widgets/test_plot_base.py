"""PlotPanel: a panel hidden inside a shown window waits, then catches up once when shown; axes paint from a cache."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGraphicsItem, QTabWidget

from app.run_model import RunModel
from app.widgets.accuracy_plot import AccuracyPlot
from app.widgets.loss_plot import LossPlot


def test_a_hidden_tab_skips_redraws_and_catches_up_when_shown(qtbot, make_run):
    model = RunModel()
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    shown, hidden = LossPlot(model), AccuracyPlot(model)
    tabs.addTab(shown, "Losses")
    tabs.addTab(hidden, "Accuracy")
    tabs.show()
    qtbot.waitExposed(tabs)
    before_shown, before_hidden = shown.redraws, hidden.redraws
    for cell in range(1, 4):  # a run arrives, then the user picks cells: each would redraw every panel
        model.apply(make_run(cells=4, epochs=2, steps_per_epoch=3, seed=cell))
        model.flush()
        model.set_selected_cell(cell)
    assert shown.redraws > before_shown
    assert hidden.redraws == before_hidden
    assert len(hidden.curve_data("val")[0]) == 0  # nothing drawn yet
    tabs.setCurrentWidget(hidden)
    assert hidden.redraws == before_hidden + 1  # one catch-up, not one per missed change
    np.testing.assert_allclose(hidden.curve_data("val")[0], np.arange(1, len(model.state.step_series("val_acc")) + 1))


def test_a_panel_never_shown_in_a_window_still_draws_at_once(qtbot, make_run):
    model = RunModel()
    plot = LossPlot(model)  # its own window, not shown: tests and exports read it directly
    qtbot.addWidget(plot)
    model.apply(make_run(cells=3, epochs=1, steps_per_epoch=2))
    model.flush()
    assert len(plot.curve_data("train_ce")[0]) == 2


def test_axes_paint_from_a_pixmap_cache(qtbot):
    plot = LossPlot(RunModel())
    qtbot.addWidget(plot)
    item = plot.plot.getPlotItem()
    for side in ("left", "bottom", "right", "top"):
        assert item.getAxis(side).cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
