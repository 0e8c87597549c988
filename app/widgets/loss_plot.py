"""Losses of the search: L_CE on both splits and the cells' mean L_01, L_AB and L_T, per step or per epoch."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..run_model import RunModel
from .plot_base import PALETTE, X_EPOCHS, PlotPanel, epoch_means, row_mean

CURVES = (
    ("train_ce", "L_CE train (weights)", PALETTE["blue"], False, False),
    ("val_ce", "L_CE val (α split)", PALETTE["orange"], False, False),
    ("l_t", "mean L_T", PALETTE["red"], False, False),
    ("l01", "mean L_01 (right axis)", PALETTE["green"], True, True),
    ("l_ab", "mean L_AB (right axis)", PALETTE["purple"], True, True),
)
"""(key, legend, colour, dashed, on the right axis): L_01 and L_AB are orders of magnitude below L_CE."""


class LossPlot(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "Losses", parent, integer_x=True, tooltip=(
            "How well the supernet fits: cross-entropy on the weight split (train) and on the α split (val), "
            "and the mean over cells of each cell's loss terms L_01 and L_AB (right axis) and total L_T."))
        self.x_mode = self.add_x_mode()
        self.options.addStretch(1)
        self.right_view = self.add_right_axis("L_01, L_AB")
        for key, name, color, dash, right in CURVES:
            self.add_curve(key, name, color, dash=dash, width=1.6, view=self.right_view if right else None)
        self.set_label("left", "L_CE, L_T")
        self.follow_in_steps()
        self.follow_in_steps(self.right_view, axes=(False, True))  # its x follows the main view
        self.refresh()

    def x_label(self) -> str:
        return "epoch" if self.x_mode.currentData() == X_EPOCHS else "step"

    def redraw(self) -> None:
        state = self.model.state
        per_epoch = self.x_mode.currentData() == X_EPOCHS
        self.set_label("bottom", "epoch" if per_epoch else "step")
        steps = state.step_series("step")
        step_epochs = state.step_series("epoch")
        means = {
            "l01": row_mean(state.step_series("l01")),
            "l_ab": row_mean(state.step_series("l_ab")),
            "l_t": row_mean(state.step_series("l_t")),
        }
        if per_epoch:
            ex = state.epoch_series("epoch") + 1.0
            self.set_curve("train_ce", ex, state.epoch_series("train_loss"))
            self.set_curve("val_ce", ex, state.epoch_series("val_loss"))
            for key, values in means.items():
                self.set_curve(key, *epoch_means(step_epochs, values))
        else:
            self.set_curve("train_ce", steps, state.step_series("train_loss"))
            self.set_curve("val_ce", steps, state.step_series("val_loss"))
            for key, values in means.items():
                self.set_curve(key, steps, values)
        has_data = len(steps) > 0 if not per_epoch else len(state.epoch_series("epoch")) > 0 or len(steps) > 0
        self.show_message("" if has_data else ("Waiting for the first step…" if state.status in
                                               ("preparing", "running") else "No run loaded"))
