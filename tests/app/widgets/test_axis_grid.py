"""The plots' grid item: lines at the axes' own ticks, following range and custom ticks, never in the autorange."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.widgets.axis_grid import AxisGrid


def vertical(grid: AxisGrid, level: int = 0) -> list[float]:
    return sorted(line.x1() for lvl, line in grid.lines() if lvl == level and line.x1() == line.x2())


def test_grid_lines_are_the_axes_ticks_and_follow_the_range(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    grid = AxisGrid.attach(plot)
    plot.setXRange(0, 10, padding=0)
    plot.setYRange(0, 1, padding=0)
    width = plot.getViewBox().size().width()
    major = plot.getAxis("bottom").tickValues(0, 10, width)[0][1]
    assert vertical(grid) == sorted(v for v in major if 0 <= v <= 10) and len(vertical(grid)) >= 3
    assert any(line.y1() == line.y2() for _lvl, line in grid.lines())  # horizontal lines too

    plot.setXRange(0, 1000, padding=0)
    assert max(vertical(grid)) > 10  # a new range, new lines
    plot.getAxis("bottom").setTicks([[(250.0, "a"), (750.0, "b")]])
    assert vertical(grid) == [250.0, 750.0]  # custom ticks (the contributions plot's cells)


def test_the_grid_never_widens_the_auto_range(qtbot):
    ranges = []
    for with_grid in (False, True):
        plot = pg.PlotWidget()
        qtbot.addWidget(plot)
        plot.resize(300, 200)
        if with_grid:
            AxisGrid.attach(plot)
        plot.plot(np.arange(5.0), np.arange(5.0) * 2)
        plot.getViewBox().autoRange(padding=0)
        ranges.append(plot.getViewBox().viewRange())
    assert ranges[0] == ranges[1]
    assert abs(ranges[1][0][1] - 4.0) < 0.1 and abs(ranges[1][1][1] - 8.0) < 0.1
