"""Share of dominant ops (σ(α) > 0.9) and of near-zero ops (σ(α) < 0.1) per epoch (paper Fig. 4).

Solid lines cover all cells, dashed lines the cell selected in the cells list.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from ..run_model import RunModel
from .plot_base import PALETTE, PlotPanel


class DominantOpsPlot(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "Dominant operations", parent)
        self.options.addStretch(1)
        self.add_curve("dominant", "σ > 0.9, all cells", PALETTE["red"], symbol="o")
        self.add_curve("low", "σ < 0.1, all cells", PALETTE["blue"], symbol="o")
        self.add_curve("dominant_cell", "σ > 0.9, selected cell", PALETTE["red"], dash=True, width=1.5)
        self.add_curve("low_cell", "σ < 0.1, selected cell", PALETTE["blue"], dash=True, width=1.5)
        self.plot.setLabel("left", "share of ops (%)")
        self.plot.setLabel("bottom", "epoch")
        self.plot.setYRange(0, 100, padding=0.02)
        self.refresh()

    def x_label(self) -> str:
        return "epoch"

    def redraw(self) -> None:
        state = self.model.state
        x = state.epoch_series("epoch") + 1.0
        self.set_curve("dominant", x, 100.0 * state.epoch_series("dominant_share"))
        self.set_curve("low", x, 100.0 * state.epoch_series("low_share"))
        cell = self.model.selected_cell
        per_dom = state.epoch_series("dominant_share_per_cell")
        per_low = state.epoch_series("low_share_per_cell")
        if per_dom.ndim == 2 and cell < per_dom.shape[1]:
            self.set_curve("dominant_cell", x, 100.0 * per_dom[:, cell])
            self.set_curve("low_cell", x, 100.0 * per_low[:, cell])
        else:
            self.set_curve("dominant_cell", np.empty(0), np.empty(0))
            self.set_curve("low_cell", np.empty(0), np.empty(0))
        for key, name in (("dominant_cell", "σ > 0.9"), ("low_cell", "σ < 0.1")):
            self.curve(key).opts["name"] = f"{name}, cell {cell}"
        for sample, label in self.legend.items:
            if sample.item in (self.curve("dominant_cell"), self.curve("low_cell")):
                label.setText(sample.item.name())
        self.show_message("" if len(x) else "Shares appear after the first epoch")
