"""Histogram of op weights σ(α) of the selected cell or of all cells, with the parse threshold marked.

A healthy FairDARTS-style search pushes weights towards 0 and 1; a pile-up in the middle means the
search has not decided yet.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from ..run_model import RunModel
from .alpha_views import latest_alphas, weight_name, when_text
from .plot_base import PALETTE, PlotPanel
from ddarts.genotype.parse import weight_histogram

SELECTED, ALL = "cell", "all"
BINS = 20


class AlphaHistogram(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "σ(α) histogram", parent, tooltip=(
            "How many ops have each weight σ(α). A search that decides pushes them to 0 and 1; a pile in the "
            "middle means it has not decided yet. The dashed line is the parse threshold."))
        self.options.addWidget(QLabel("cells:"))
        self.scope = QComboBox()
        self.scope.addItem("selected cell", SELECTED)
        self.scope.addItem("all cells", ALL)
        self.scope.currentIndexChanged.connect(lambda _i: self.refresh())
        self.options.addWidget(self.scope)
        self.options.addStretch(1)
        self.legend.setVisible(False)
        self.set_label("left", "ops")
        self.plot.setXRange(0, 1, padding=0.02)
        self.plot.setMouseEnabled(x=False, y=True)
        self.bars = pg.BarGraphItem(x0=[], x1=[], height=[], brush=PALETTE["blue"], pen=pg.mkPen("w", width=0.5))
        self.plot.addItem(self.bars)
        self.threshold_line = pg.InfiniteLine(angle=90, movable=False,
                                              pen=pg.mkPen(PALETTE["red"], width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine),
                                              label="threshold", labelOpts={"position": 0.9, "color": PALETTE["red"]})
        self.plot.addItem(self.threshold_line, ignoreBounds=True)
        self.counts = np.zeros(BINS, dtype=int)
        self.edges = np.linspace(0, 1, BINS + 1)
        self._version_key: tuple = ()
        model.genotype_changed.connect(self.schedule_refresh)
        self.refresh()

    def _on_updated(self) -> None:
        """Only a new α snapshot changes the histogram (handled by genotype_changed)."""

    def redraw(self) -> None:
        state = self.model.state
        epoch, alphas, mixing = latest_alphas(self.model)
        name = weight_name(mixing)
        self.set_label("bottom", f"op weight {name}")
        threshold = state.config.get("threshold")
        self.threshold_line.setVisible(threshold is not None and state.config.get("parse") != "darts")
        if threshold is not None:
            self.threshold_line.setValue(float(threshold))
        if alphas is None:
            self.counts = np.zeros(BINS, dtype=int)
            self.bars.setOpts(x0=[], x1=[], height=[])
            self.set_title(f"{name} histogram")
            self.show_message("α appears at the end of the first epoch")
            return
        self.show_message("")
        cell = self.model.selected_cell
        if self.scope.currentData() == SELECTED and cell < alphas.shape[0]:
            data, what = alphas[cell], f"cell {cell}"
        else:
            data, what = alphas, f"all {alphas.shape[0]} cells"
        self.counts, self.edges = weight_histogram(data, bins=BINS, mixing=mixing)
        self.bars.setOpts(x0=self.edges[:-1], x1=self.edges[1:], height=self.counts)
        self.set_title(f"{name} histogram, {what}, {when_text(self.model, epoch)}")
        self.plot.setYRange(0, max(1, int(self.counts.max())) * 1.08, padding=0)

    def hover_text(self, x: float, y: float) -> str:
        if not 0.0 <= x <= 1.0 or not self.counts.sum():
            return " "
        i = min(int(x * BINS), BINS - 1)
        return f"{self.edges[i]:.2f} – {self.edges[i + 1]:.2f}:  {int(self.counts[i])} ops"
