"""Marginal contribution MC_i and ablation loss L_AB^i of every cell (paper Eq. 6 and 7), as bars.

MC is a difference of cross-entropies and L_AB a relative deviation from the mean MC, so they get two
stacked plots with their own y scales but a shared cell axis.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from ..run_model import RunModel
from .axis_grid import AxisGrid
from .label_width import elastic
from .plot_base import PALETTE, PlotPanel, format_value

LATEST_STEP, EPOCH_MEAN = "step", "epoch"
L_AB_LIMIT = 3.0
"""Above this |L_AB| the mean MC is too close to 0 for L_AB to mean much (it divides by the mean)."""


def l_ab_blow_up(mc: np.ndarray) -> float | None:
    """The largest |L_AB| the mean MC allows, max|MC − mean| / |mean|, when it exceeds L_AB_LIMIT; else None."""
    values = mc[np.isfinite(mc)]
    if len(values) == 0:
        return None
    mean = float(values.mean())
    spread = float(np.abs(values - mean).max())
    if spread == 0.0:
        return None
    ratio = spread / abs(mean) if mean != 0.0 else float("inf")
    return ratio if ratio > L_AB_LIMIT else None


class ContributionsPlot(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "Marginal contribution MC per cell", parent, tooltip=(
            "Each cell's marginal contribution MC = L_CE(all cells) − L_CE(cell switched off) (paper Eq. 6), and "
            "below it L_AB = (MC − mean MC) / mean MC (Eq. 7). A mean MC near 0 makes L_AB swing widely."))
        self.options.addWidget(QLabel("values:"))
        self.mode = QComboBox()
        self.mode.addItem("latest step", LATEST_STEP)
        self.mode.addItem("mean of the latest epoch", EPOCH_MEAN)
        self.mode.currentIndexChanged.connect(lambda _i: self.refresh())
        self.options.addWidget(self.mode)
        self.options.addStretch(1)
        self.mean_label = elastic(QLabel(""))
        self.mean_label.setObjectName("meanMc")
        self.mean_label.setTextFormat(Qt.TextFormat.PlainText)
        self.options.addWidget(self.mean_label)
        self.legend.setVisible(False)
        self.set_label("left", "MC")
        self.mc_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=PALETTE["teal"], pen=None)
        self.plot.addItem(self.mc_bars)
        self.plot.addLine(y=0, pen=pg.mkPen("#555", width=1))
        self.mean_line = self.plot.addLine(y=0, pen=pg.mkPen(PALETTE["red"], width=1.2, style=Qt.PenStyle.DashLine),
                                           label="mean MC", labelOpts={"position": 0.95, "color": PALETTE["red"]})
        self.mean_line.setVisible(False)
        self.lab_plot = pg.PlotWidget(title="Ablation loss L_AB = (MC − mean MC) / mean MC")
        AxisGrid.attach(self.lab_plot)
        for side in ("left", "bottom"):
            self.lab_plot.getAxis(side).enableAutoSIPrefix(False)
        self.lab_plot.setLabel("left", "L_AB")
        self.lab_plot.setLabel("bottom", "cell (R = reduction; orange bar = the selected cell)")
        self.lab_plot.setXLink(self.plot)
        self.lab_plot.addLine(y=0, pen=pg.mkPen("#555", width=1))
        self.lab_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=PALETTE["purple"], pen=None)
        self.lab_plot.addItem(self.lab_bars)
        self.layout().insertWidget(2, self.lab_plot, 1)
        self.lab_plot.scene().sigMouseMoved.connect(self._on_lab_mouse_moved)
        self._mc = np.empty(0)
        self._lab = np.empty(0)
        self._label = ""
        self._ticks: list = []
        self.unstable = False
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
        if ticks != self._ticks:  # new ticks redraw both axes: only when the cells change
            self._ticks = ticks
            for plot in (self.plot, self.lab_plot):
                plot.getAxis("bottom").setTicks(ticks)
        fair = state.config.get("loss") == "fair"
        if len(mc) == 0 or np.all(np.isnan(mc)):
            self._mc = self._lab = np.empty(0)
            self.mc_bars.setOpts(x=[], height=[])
            self.lab_bars.setOpts(x=[], height=[])
            self.show_message("L_F search: no marginal contributions are computed" if fair
                              else "Contributions appear after the first step")
            self.mean_line.setVisible(False)
            self.mean_label.setText("")
            self.mean_label.setToolTip("")
            return
        self.show_message("")
        x = np.arange(len(mc), dtype=float)
        self._mc, self._lab, self._label = mc, lab, what
        selected = self.model.selected_cell
        mc_brushes = [pg.mkBrush(PALETTE["orange"] if i == selected else PALETTE["teal"]) for i in range(len(mc))]
        lab_brushes = [pg.mkBrush(PALETTE["orange"] if i == selected else PALETTE["purple"]) for i in range(len(mc))]
        self.mc_bars.setOpts(x=x, height=np.nan_to_num(mc), brushes=mc_brushes)
        self.lab_bars.setOpts(x=x, height=np.nan_to_num(lab), brushes=lab_brushes)
        self.set_title(f"Marginal contribution MC = L_CE(all cells) − L_CE(cell off), {what}")
        self.plot.setXRange(-0.6, len(mc) - 0.4, padding=0)
        self._show_mean(mc)

    def _show_mean(self, mc: np.ndarray) -> None:
        """mean(MC) as a dashed line and in words, in red when it is small enough to blow L_AB up."""
        finite = mc[np.isfinite(mc)]
        mean = float(finite.mean()) if len(finite) else float("nan")
        self.mean_line.setValue(mean if np.isfinite(mean) else 0.0)
        self.mean_line.setVisible(bool(np.isfinite(mean)))
        blow_up = l_ab_blow_up(mc)
        self.unstable = blow_up is not None
        text = f"mean MC = {format_value(mean)}"
        if blow_up is not None:
            text += (f"  ⚠ near 0: L_AB divides by it, so |L_AB| reaches {format_value(blow_up)}"
                     if np.isfinite(blow_up) else "  ⚠ exactly 0: L_AB is set to 0")
        self.mean_label.setText(text)
        self.mean_label.setToolTip(text)  # whole, where a narrow window cuts the label
        self.mean_label.setStyleSheet(f"color: {PALETTE['red'] if blow_up is not None else '#55616d'};"
                                      f"{' font-weight: 600;' if blow_up is not None else ''}")

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
