"""Grid lines at a plot's tick positions, drawn by one light item behind the curves.

pyqtgraph draws a plot's grid as part of each axis, so with a grid each axis's cached picture covers the whole
plot area, and every range change (each new step of a live search) repaints a plot-sized pixmap per axis: in
the heartbeat benchmark that was most of a live plot's painting (13 s of plot paint events over a run against
5.7 s without axis grids) and the last stalls over 100 ms. This item asks the axes for their tick positions
and draws thin, non-antialiased lines straight into the view, so the axes cache only their labels.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

GRID_ALPHA = 0.25
"""Major lines, as `showGrid(alpha=0.25)` drew them; the next tick level at half that."""


class AxisGrid(pg.GraphicsObject):
    def __init__(self, plot_item: pg.PlotItem, alpha: float = GRID_ALPHA):
        super().__init__()
        self._plot = plot_item
        self._view = plot_item.getViewBox()
        color = QColor(pg.getConfigOption("foreground"))
        self._pens = []
        for share in (alpha, alpha / 2):
            shade = QColor(color)
            shade.setAlphaF(share)
            pen = QPen(shade)
            pen.setCosmetic(True)
            pen.setWidth(0)
            self._pens.append(pen)
        self._key: tuple | None = None
        self._lines: list[tuple[int, QLineF]] = []
        self.setZValue(-1000)  # behind every curve and bar
        self._view.addItem(self, ignoreBounds=True)  # the grid never widens the auto range
        self._view.sigRangeChanged.connect(self._range_changed)
        self._view.sigResized.connect(self._range_changed)

    @classmethod
    def attach(cls, plot: pg.PlotWidget | pg.PlotItem, alpha: float = GRID_ALPHA) -> "AxisGrid":
        """Give `plot` a grid in place of pyqtgraph's axis grid."""
        item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
        return cls(item, alpha)

    def _range_changed(self, *_args: object) -> None:
        self.prepareGeometryChange()  # the item spans the visible range
        self.update()

    def boundingRect(self) -> QRectF:
        return self._view.viewRect()

    def lines(self) -> list[tuple[int, QLineF]]:
        """(tick level, line in view coordinates) for the two coarsest tick levels of each axis; kept while the
        range and size stay (a curve's update repaints the grid under it too)."""
        rect = self._view.viewRect()
        size = self._view.size()
        custom = tuple(id(getattr(self._plot.getAxis(side), "_tickLevels", None)) for side in ("bottom", "left"))
        key = (rect.getRect(), size.width(), size.height(), custom)  # setTicks replaces the axis's tick list
        if key != self._key:
            self._key, self._lines = key, self._compute(rect, size)
        return self._lines

    def _compute(self, rect: QRectF, size) -> list[tuple[int, QLineF]]:
        found: list[tuple[int, QLineF]] = []
        for side, length, low, high in (("bottom", size.width(), rect.left(), rect.right()),
                                        ("left", size.height(), rect.top(), rect.bottom())):
            axis = self._plot.getAxis(side)
            if not axis.isVisible() or length <= 0 or not high > low:
                continue
            custom = getattr(axis, "_tickLevels", None)  # set by setTicks; the axis then draws only those
            levels = ([[value for value, _text in level] for level in custom] if custom is not None
                      else [values for _spacing, values in axis.tickValues(low, high, length)])
            for level, values in enumerate(levels[:2]):
                for value in values:
                    if low <= value <= high:
                        line = (QLineF(value, rect.top(), value, rect.bottom()) if side == "bottom"
                                else QLineF(rect.left(), value, rect.right(), value))
                        found.append((level, line))
        return found

    def paint(self, painter: QPainter, *_args: object) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for level, line in self.lines():
            painter.setPen(self._pens[min(level, len(self._pens) - 1)])
            painter.drawLine(line)
