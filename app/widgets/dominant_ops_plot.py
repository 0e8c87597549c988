"""Share of dominant ops (σ(α) > 0.9) and of near-zero ops (σ(α) < 0.1), per step or per epoch (paper Fig. 4).

Per step, every α the search reported counts (live reports between epoch ends and the epoch ends), so
the curves move within an epoch; per epoch, the epoch ends only. Solid lines cover all cells, dashed
lines the cell selected in the cells list.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from ..run_model import RunModel
from .plot_base import PALETTE, X_EPOCHS, PlotPanel


class DominantOpsPlot(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "Dominant operations", parent, integer_x=True, tooltip=(
            "How decided the architecture is: the share of ops whose weight σ(α) is above 0.9 (dominant) or "
            "below 0.1 (switched off). Both grow as the search commits (paper Fig. 4)."))
        self.x_mode = self.add_x_mode()
        self.options.addStretch(1)
        self.add_curve("dominant", "σ > 0.9, all cells", PALETTE["red"], symbol="o")
        self.add_curve("low", "σ < 0.1, all cells", PALETTE["blue"], symbol="o")
        self.add_curve("dominant_cell", "σ > 0.9, selected cell", PALETTE["red"], dash=True, width=1.5)
        self.add_curve("low_cell", "σ < 0.1, selected cell", PALETTE["blue"], dash=True, width=1.5)
        self.set_label("left", "share of ops (%)")
        self.plot.setYRange(0, 100, padding=0.02)
        model.genotype_changed.connect(self.schedule_refresh)
        self.follow_in_steps()  # x only: y stays 0–100
        self.refresh()

    def x_label(self) -> str:
        return "epoch" if self.x_mode.currentData() == X_EPOCHS else "step"

    def _on_updated(self) -> None:
        """Shares change only with α (genotype_changed) or another cell."""

    def redraw(self) -> None:
        state = self.model.state
        per_epoch = self.x_mode.currentData() == X_EPOCHS
        self.set_label("bottom", self.x_label())
        if per_epoch:
            x = state.epoch_series("epoch") + 1.0
            table = state.epochs
        else:
            x = state.shares.series("step")
            table = state.shares
        self.set_curve("dominant", x, 100.0 * table.series("dominant_share"))
        self.set_curve("low", x, 100.0 * table.series("low_share"))
        cell = self.model.selected_cell
        per_dom = table.series("dominant_share_per_cell")
        per_low = table.series("low_share_per_cell")
        if per_dom.ndim == 2 and cell < per_dom.shape[1]:
            self.set_curve("dominant_cell", x, 100.0 * per_dom[:, cell])
            self.set_curve("low_cell", x, 100.0 * per_low[:, cell])
        else:
            self.set_curve("dominant_cell", np.empty(0), np.empty(0))
            self.set_curve("low_cell", np.empty(0), np.empty(0))
        self.rename_curve("dominant_cell", f"σ > 0.9, cell {cell}")
        self.rename_curve("low_cell", f"σ < 0.1, cell {cell}")
        self.show_message("" if len(x) else "Shares appear with the first α report")
