"""Marginal contribution MC_i and ablation loss L_AB^i of every cell (paper Eq. 6 and 7), as bars.

MC is a difference of cross-entropies and L_AB a relative deviation from the mean MC, so they get two
stacked plots with their own y scales but a shared cell axis.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from ..run_model import RunModel
from .plot_base import PALETTE, PlotPanel, format_value

LATEST_STEP, EPOCH_MEAN = "step", "epoch"


class ContributionsPlot(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "Marginal contribution MC per cell", parent)
        self.options.addWidget(QLabel("values:"))
        self.mode = QComboBox()
        self.mode.addItem("latest step", LATEST_STEP)
        self.mode.addItem("mean of the latest epoch", EPOCH_MEAN)
        self.mode.currentIndexChanged.connect(lambda _i: self.refresh())
        self.options.addWidget(self.mode)
        self.options.addStretch(1)
        note = QLabel("orange bar: the selected cell")
        note.setStyleSheet(f"color: {PALETTE['orange']};")
        self.options.addWidget(note)
        self.legend.setVisible(False)
        self.plot.setLabel("left", "MC")
        self.mc_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=PALETTE["teal"], pen=None)
        self.plot.addItem(self.mc_bars)
        self.plot.addLine(y=0, pen=pg.mkPen("#555", width=1))
        self.lab_plot = pg.PlotWidget(title="Ablation loss L_AB = (MC − mean MC) / mean MC")
        self.lab_plot.showGrid(x=True, y=True, alpha=0.25)
        for side in ("left", "bottom"):
            self.lab_plot.getAxis(side).enableAutoSIPrefix(False)
        self.lab_plot.setLabel("left", "L_AB")
        self.lab_plot.setLabel("bottom", "cell (R = reduction)")
        self.lab_plot.setXLink(self.plot)
        self.lab_plot.addLine(y=0, pen=pg.mkPen("#555", width=1))
        self.lab_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=PALETTE["purple"], pen=None)
        self.lab_plot.addItem(self.lab_bars)
        self.layout().insertWidget(2, self.lab_plot, 1)
        self.lab_plot.scene().sigMouseMoved.connect(self._on_lab_mouse_moved)
        self._mc = np.empty(0)
        self._lab = np.empty(0)
        self._label = ""
        self.refresh()

    def values(self) -> tuple[np.ndarray, np.ndarray, str]:
        """(MC per cell, L_AB per cell, description of what they are) for the chosen mode."""
        state = self.model.state
        if self.mode.currentData() == EPOCH_MEAN:
            mc, lab = state.epoch_series("mc"), state.epoch_series("l_ab")
            epochs = state.epoch_series("epoch")
            what = f"mean of epoch {int(epochs[-1]) + 1}" if len(epochs) else ""
        else:
            mc, lab = state.step_series("mc"), state.step_series("l_ab")
            steps = state.step_series("step")
            what = f"step {int(steps[-1])}" if len(steps) else ""
        if mc.ndim != 2 or len(mc) == 0 or mc.shape[1] == 0:
            return np.empty(0), np.empty(0), what
        return np.asarray(mc[-1]), np.asarray(lab[-1]), what

    def redraw(self) -> None:
        state = self.model.state
        mc, lab, what = self.values()
        n = int(state.n_cells or 0)
        ticks = [[(i, f"{i} R" if i in state.reductions else str(i)) for i in range(n)]]
        for plot in (self.plot, self.lab_plot):
            plot.getAxis("bottom").setTicks(ticks)
        fair = state.config.get("loss") == "fair"
        if len(mc) == 0 or np.all(np.isnan(mc)):
            self._mc = self._lab = np.empty(0)
            self.mc_bars.setOpts(x=[], height=[])
            self.lab_bars.setOpts(x=[], height=[])
            self.show_message("L_F search: no marginal contributions are computed" if fair
                              else "Contributions appear after the first step")
            return
        self.show_message("")
        x = np.arange(len(mc), dtype=float)
        self._mc, self._lab, self._label = mc, lab, what
        selected = self.model.selected_cell
        mc_brushes = [pg.mkBrush(PALETTE["orange"] if i == selected else PALETTE["teal"]) for i in range(len(mc))]
        lab_brushes = [pg.mkBrush(PALETTE["orange"] if i == selected else PALETTE["purple"]) for i in range(len(mc))]
        self.mc_bars.setOpts(x=x, height=np.nan_to_num(mc), brushes=mc_brushes)
        self.lab_bars.setOpts(x=x, height=np.nan_to_num(lab), brushes=lab_brushes)
        self.plot.setTitle(f"Marginal contribution MC = L_CE(all cells) − L_CE(cell off), {what}")
        self.plot.setXRange(-0.6, len(mc) - 0.4, padding=0)

    def hover_text(self, x: float, y: float) -> str:
        i = int(round(x))
        if not 0 <= i < len(self._mc):
            return " "
        kind = "reduction" if i in self.model.state.reductions else "normal"
        return f"cell {i} ({kind}), {self._label}:  MC {format_value(self._mc[i])}   L_AB {format_value(self._lab[i])}"

    def _on_lab_mouse_moved(self, pos: QPointF) -> None:
        if self.lab_plot.sceneBoundingRect().contains(pos):
            point = self.lab_plot.getViewBox().mapSceneToView(pos)
            self.readout.setText(self.hover_text(point.x(), point.y()))
