"""One of the paper's experiment figures (Fig. 3, 4 or 5) over the compared runs: mean lines and ± spread bands."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..viewmodels.compare import COLOURS, CompareModel
from .axis_grid import AxisGrid

pg.setConfigOptions(antialias=True, background="w", foreground="#2b2b2b")


class CompareFigure(QWidget):
    """Series items are created once per series label and updated with `setData`."""

    def __init__(self, model: CompareModel, figure: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.figure = figure
        self._series: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.PlotDataItem, pg.FillBetweenItem]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.plot = pg.PlotWidget()
        AxisGrid.attach(self.plot)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize="9pt", brush=pg.mkBrush(255, 255, 255, 215),
                                          pen=pg.mkPen("#c8cdd2"))
        layout.addWidget(self.plot, 1)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("color: #777")
        layout.addWidget(self.message)
        self.redraw()

    def _items(self, label: str, colour: str, dashed: bool):
        parts = self._series.get(label)
        if parts is None:
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            mean = pg.PlotDataItem([], [], pen=pg.mkPen(colour, width=2, style=style), symbol="o", symbolSize=6,
                                   symbolBrush=colour, symbolPen=None)
            # Band edges get an invisible pen, not None: pyqtgraph builds no path (and so no fill) without a pen.
            low, high = (pg.PlotDataItem([], [], pen=pg.mkPen(0, 0, 0, 0)) for _ in range(2))
            c = pg.mkColor(colour)
            fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(c.red(), c.green(), c.blue(), 50))
            for item in (low, high, fill, mean):
                self.plot.addItem(item)
            parts = self._series[label] = (mean, low, high, fill)
        return parts

    def redraw(self) -> None:
        panel, reason = self.model.figure_panel(self.figure)
        self.legend.clear()
        if panel is None:
            for parts in self._series.values():
                for item in parts:
                    item.setVisible(False)
            self.message.setText(reason)
            self.message.setVisible(True)
            self.plot.setTitle("")
            return
        self.message.setVisible(False)
        self.plot.setTitle(html.escape(panel.title), size="10pt")
        self.plot.setLabel("bottom", html.escape(panel.xlabel))
        self.plot.setLabel("left", html.escape(panel.ylabel))
        groups: dict[str, str] = {}
        seen = set()
        for series in panel.series:
            group = series.label.split(" (")[-1] if "(" in series.label else series.label
            colour = groups.setdefault(group, COLOURS[len(groups) % len(COLOURS)])
            mean, low, high, fill = self._items(series.label, colour, series.style == "dashed")
            ok = np.isfinite(series.mean)
            spread = np.nan_to_num(series.spread[ok])
            mean.setData(series.x[ok], series.mean[ok])
            low.setData(series.x[ok], series.mean[ok] - spread)
            high.setData(series.x[ok], series.mean[ok] + spread)
            for item in (mean, low, high, fill):
                item.setVisible(True)
            count = int(series.n.max()) if len(series.n) else 0
            self.legend.addItem(mean, html.escape(series.label + (f" (n={count})" if count > 1 else "")))
            seen.add(series.label)
        for label, parts in self._series.items():
            if label not in seen:
                for item in parts:
                    item.setVisible(False)

    def series_data(self, label: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._series[label][0].getOriginalDataset()
        return (np.empty(0) if x is None else np.asarray(x), np.empty(0) if y is None else np.asarray(y))
