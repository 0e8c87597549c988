"""Per-epoch curves of the selected runs overlaid, a colour per run, or mean ± spread per group of seeds."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..viewmodels.compare import COLOURS, METRICS, CompareModel
from .axis_grid import AxisGrid

pg.setConfigOptions(antialias=True, background="w", foreground="#2b2b2b")


class CompareCurves(QWidget):
    """Curves are created once per run (and per group) and fed with `setData` on every refresh."""

    def __init__(self, model: CompareModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.selected: list[str] = []
        self._runs: dict[str, pg.PlotDataItem] = {}
        self._bands: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.PlotDataItem, pg.FillBetweenItem]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        options = QHBoxLayout()
        options.addWidget(QLabel("metric:"))
        self.metric = QComboBox()
        for key, (short, _, _) in METRICS.items():
            self.metric.addItem(short, key)
        self.metric.currentIndexChanged.connect(lambda _i: self.redraw())
        options.addWidget(self.metric)
        self.grouped = QCheckBox("mean ± spread over seeds")
        self.grouped.setToolTip("Runs that differ only in their seed become one line with a ± one-std band")
        self.grouped.toggled.connect(lambda _on: self.redraw())
        options.addWidget(self.grouped)
        options.addStretch(1)
        layout.addLayout(options)
        self.plot = pg.PlotWidget()
        AxisGrid.attach(self.plot)
        self.plot.setLabel("bottom", "epoch")
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize="9pt", brush=pg.mkBrush(255, 255, 255, 215),
                                          pen=pg.mkPen("#c8cdd2"))
        layout.addWidget(self.plot, 1)
        self.note = QLabel("Select runs in the table to overlay their curves.")
        self.note.setStyleSheet("color: #777")
        layout.addWidget(self.note)

    def set_selection(self, names: list[str]) -> None:
        self.selected = list(names)
        self.redraw()

    def run_curve(self, name: str) -> pg.PlotDataItem:
        item = self._runs.get(name)
        if item is None:
            colour = self.model.colour(name)
            item = pg.PlotDataItem([], [], pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                                   symbolBrush=colour, symbolPen=None)
            self.plot.addItem(item)
            self._runs[name] = item
        return item

    def band(self, label: str, colour: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem, pg.PlotDataItem,
                                                       pg.FillBetweenItem]:
        parts = self._bands.get(label)
        if parts is None:
            mean = pg.PlotDataItem([], [], pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                                   symbolBrush=colour, symbolPen=None)
            # Band edges get an invisible pen, not None: pyqtgraph builds no path (and so no fill) without a pen.
            low, high = (pg.PlotDataItem([], [], pen=pg.mkPen(0, 0, 0, 0)) for _ in range(2))
            fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(pg.mkColor(colour).red(),
                                                                  pg.mkColor(colour).green(),
                                                                  pg.mkColor(colour).blue(), 50))
            for item in (low, high, fill, mean):
                self.plot.addItem(item)
            parts = self._bands[label] = (mean, low, high, fill)
        return parts

    def redraw(self) -> None:
        metric = self.metric.currentData()
        self.plot.setLabel("left", METRICS[metric][1])
        self.legend.clear()
        shown: set[int] = set()
        if self.grouped.isChecked():
            for item in self._runs.values():
                item.setVisible(False)
            bands = self.model.bands(self.selected, metric)
            for i, band in enumerate(bands):
                mean, low, high, fill = self.band(band.label, COLOURS[i % len(COLOURS)])
                ok = np.isfinite(band.mean)
                mean.setData(band.x[ok], band.mean[ok])
                low.setData(band.x[ok], band.low[ok])
                high.setData(band.x[ok], band.high[ok])
                for item in (mean, low, high, fill):
                    item.setVisible(True)
                self.legend.addItem(mean, html.escape(band.label))
                shown.add(id(mean))
            for mean, low, high, fill in self._bands.values():
                if id(mean) not in shown:
                    for item in (mean, low, high, fill):
                        item.setVisible(False)
        else:
            for mean, low, high, fill in self._bands.values():
                for item in (mean, low, high, fill):
                    item.setVisible(False)
            for name in self.model.names:
                if name not in self.selected:
                    if name in self._runs:
                        self._runs[name].setVisible(False)
                    continue
                x, y = self.model.curve(name, metric)
                ok = np.isfinite(y)
                item = self.run_curve(name)
                item.setData(x[ok], y[ok])
                item.setVisible(True)
                self.legend.addItem(item, html.escape(self.model.legend_label(name)))
        self.note.setVisible(not self.selected)

    def legend_labels(self) -> list[str]:
        return [label.text for _, label in self.legend.items]
