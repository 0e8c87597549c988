"""Heat map of the selected cell's op weights: 14 edge rows ("to←from") by 7 op columns, with a colour bar."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from ..run_model import RunModel
from .alpha_views import cell_weights, weight_name, when_text
from .plot_base import PlotPanel, format_value, literal
from .value_grid_item import ValueGridItem
from ddarts.space.ops import EDGES, PRIMITIVES

EDGE_LABELS = tuple(f"{to}←{frm}" for to, frm in EDGES)


class AlphaHeatmap(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "σ(α) heat map", parent, tooltip=(
            "The selected cell's op weights: one row per edge (to ← from node), one column per op. Bright "
            "cells are ops the parse keeps once they pass the threshold."))
        self.options.addStretch(1)
        self.legend.setVisible(False)
        self.plot.showGrid(x=False, y=False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem(np.zeros((len(PRIMITIVES), len(EDGES))))
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get("viridis"), interactive=False,
                                        width=14, label="op weight")
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        left, bottom = self.plot.getAxis("left"), self.plot.getAxis("bottom")
        left.setTicks([[(i + 0.5, label) for i, label in enumerate(EDGE_LABELS)]])
        bottom.setTicks([[(j + 0.5, op) for j, op in enumerate(PRIMITIVES)]])
        small = QFont()
        small.setPointSize(8)
        bottom.setStyle(tickFont=small)
        left.setStyle(tickFont=small)
        left.setLabel(literal("edge  (to ← from node)"))
        self.plot.setXRange(0, len(PRIMITIVES), padding=0)
        self.plot.setYRange(0, len(EDGES), padding=0)
        self.values = ValueGridItem(len(EDGES), len(PRIMITIVES), small)
        self.plot.addItem(self.values, ignoreBounds=True)
        self.weights: np.ndarray | None = None
        model.genotype_changed.connect(self.schedule_refresh)
        self.refresh()

    def _on_updated(self) -> None:
        """Only a new α snapshot or another cell changes the map (genotype_changed, selected_cell_changed)."""

    def redraw(self) -> None:
        epoch, weights, mixing = cell_weights(self.model)
        name = weight_name(mixing)
        cell = self.model.selected_cell
        self.weights = weights
        if weights is None:
            self.image.setImage(np.zeros((len(PRIMITIVES), len(EDGES))), levels=(0, 1))
            self.values.set_values(None)
            self.set_title(f"{name} heat map")
            self.show_message("α appears at the end of the first epoch")
            return
        self.show_message("")
        self.image.setImage(weights.T, levels=(0.0, 1.0))
        self.values.set_values(weights)
        reduction = cell in self.model.state.reductions
        kind = "reduction" if reduction else "normal"
        self.set_title(f"{name}, cell {cell} ({kind}), {when_text(self.model, epoch)}")

    def hover_text(self, x: float, y: float) -> str:
        if self.weights is None:
            return " "
        j, i = int(np.floor(x)), int(np.floor(y))
        if not (0 <= i < len(EDGES) and 0 <= j < len(PRIMITIVES)):
            return " "
        return f"edge {EDGE_LABELS[i]}, {PRIMITIVES[j]}:  {format_value(float(self.weights[i, j]))}"
