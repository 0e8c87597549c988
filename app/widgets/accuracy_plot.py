"""Top-1 accuracy of the supernet on the weight split (train) and the α split (val)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..run_model import RunModel
from .plot_base import PALETTE, X_EPOCHS, PlotPanel


class AccuracyPlot(PlotPanel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(model, "Top-1 accuracy", parent, integer_x=True, tooltip=(
            "Top-1 accuracy of the whole supernet on the batches it trains on: the weight split (train) and "
            "the α split (val). The α-split accuracy is the search's own measure of progress."))
        self.x_mode = self.add_x_mode()
        self.options.addStretch(1)
        self.add_curve("train", "train (weights split)", PALETTE["blue"], width=1.6)
        self.add_curve("val", "val (α split)", PALETTE["orange"], width=1.6)
        self.set_label("left", "top-1 accuracy (%)")
        self.plot.setYRange(0, 100, padding=0.02)
        self.follow_in_steps()  # x only: y stays 0–100
        self.refresh()

    def x_label(self) -> str:
        return "epoch" if self.x_mode.currentData() == X_EPOCHS else "step"

    def redraw(self) -> None:
        state = self.model.state
        if self.x_mode.currentData() == X_EPOCHS:
            self.set_label("bottom", "epoch")
            x = state.epoch_series("epoch") + 1.0
            train, val = state.epoch_series("train_acc"), state.epoch_series("val_acc")
        else:
            self.set_label("bottom", "step")
            x = state.step_series("step")
            train, val = state.step_series("train_acc"), state.step_series("val_acc")
        self.set_curve("train", x, 100.0 * train)
        self.set_curve("val", x, 100.0 * val)
        self.show_message("" if len(x) else ("Waiting for data…" if state.status in ("preparing", "running")
                                             else "No run loaded"))
