"""Live plots' ranges move in steps: new points rarely move the axes, yet every point stays in view."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from app.widgets.step_range import StepRange, nice_ceiling


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    return widget


def _inside(view: pg.ViewBox, x: np.ndarray, y: np.ndarray) -> bool:
    (x0, x1), (y0, y1) = view.viewRange()
    return x0 <= x.min() and x.max() <= x1 and y0 <= y.min() and y.max() <= y1


@pytest.mark.parametrize("value, bound", [(1, 1), (1.2, 1.5), (3, 3), (7, 8), (11, 15), (21, 30), (0.035, 0.04)])
def test_nice_ceiling(value, bound):
    assert nice_ceiling(value) == pytest.approx(bound)


def test_a_growing_curve_stays_in_view_and_rarely_moves_the_range(plot):
    view = plot.getViewBox()
    follower = StepRange(view)
    curve = plot.plot([], [])
    curve.setClipToView(True)  # as the panels' curves: they then report only the part in view
    rng = np.random.default_rng(0)
    loss = 4.6 * np.exp(-np.arange(300) / 80) + 0.1 * rng.random(300)  # a falling, noisy search loss
    for n in range(1, 301):
        x, y = np.arange(1, n + 1, dtype=float), loss[:n]
        curve.setData(x, y)
        follower.follow()
        assert _inside(view, x, y), n
    assert follower.moves <= 40  # pyqtgraph's own auto range moved on all 300
    assert not any(view.state["autoRange"])  # the follower, not pyqtgraph, keeps the range


def test_a_user_zoom_keeps_the_users_range_until_auto_range_is_asked_again(plot):
    view = plot.getViewBox()
    follower = StepRange(view)
    curve = plot.plot([1.0, 2.0], [1.0, 2.0])
    follower.follow()
    view.setRange(xRange=(1.2, 1.4), yRange=(1.2, 1.4), padding=0)
    view.sigRangeChangedManually.emit([True, True])  # what a wheel or a drag emits
    curve.setData([1.0, 2.0, 3.0], [1.0, 2.0, 9.0])
    follower.follow()
    assert view.viewRange()[0] == pytest.approx([1.2, 1.4]) and follower.managed == [False, False]
    view.enableAutoRange()  # the plot's "A" button
    assert follower.managed == [True, True] and not any(view.state["autoRange"])
    assert _inside(view, np.array([1.0, 3.0]), np.array([1.0, 9.0]))


def test_a_range_the_panel_fixed_is_left_alone(plot):
    view = plot.getViewBox()
    plot.setYRange(0, 100, padding=0)
    follower = StepRange(view)
    plot.plot([1.0, 50.0], [10.0, 20.0])
    follower.follow()
    assert follower.managed == [True, False] and view.viewRange()[1] == pytest.approx([0, 100])
    assert view.viewRange()[0] == pytest.approx([1.0 - 0.98, 50.0 + 0.98])  # to 50, with a 2 % margin
