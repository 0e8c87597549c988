"""Epoch and step progress bars, and the dataset bar while data is being downloaded or loaded."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from ..run_model import RunModel


def _bar(width: int) -> QProgressBar:
    bar = QProgressBar()
    bar.setFixedWidth(width)
    bar.setTextVisible(True)
    return bar


class ProgressPanel(QWidget):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        self.dataset_label = QLabel("")
        self.dataset_bar = _bar(150)
        self.epoch_label = QLabel("epoch")
        self.epoch_bar = _bar(170)
        self.step_label = QLabel("step")
        self.step_bar = _bar(170)
        for widget in (self.dataset_label, self.dataset_bar, self.epoch_label, self.epoch_bar, self.step_label,
                       self.step_bar):
            layout.addWidget(widget)
        model.updated.connect(self.schedule_refresh)
        model.run_replaced.connect(self.schedule_refresh)
        self.refresh()

    def schedule_refresh(self) -> None:
        """Refresh in a later event-loop turn (the model's queue), once however often asked meanwhile."""
        self.model.later(self.refresh)

    def refresh(self) -> None:
        state = self.model.state
        data = state.dataset
        preparing = data is not None and data.stage != "ready" and state.status in ("new", "preparing")
        self.dataset_label.setVisible(preparing)
        self.dataset_bar.setVisible(preparing)
        if preparing:
            self.dataset_label.setText(f"{data.dataset}: {data.stage}")
            self.dataset_bar.setToolTip(data.message)
            if data.total > 0:
                self.dataset_bar.setRange(0, 1000)
                self.dataset_bar.setValue(int(1000 * min(1.0, data.done / data.total)))
                self.dataset_bar.setFormat(f"{100 * data.done / data.total:.0f}%")
            else:
                self.dataset_bar.setRange(0, 0)  # busy indicator: size unknown
        epochs = int(state.config.get("epochs") or 0)
        spe = int(state.steps_per_epoch or 0)
        if epochs and spe:
            finished = state.status == "finished"
            epochs_done = epochs if finished else min(state.step // spe, epochs)
            in_epoch = spe if finished else state.step - epochs_done * spe
            current = min(epochs, epochs_done + (0 if finished else 1))
            self.epoch_bar.setRange(0, epochs)
            self.epoch_bar.setValue(epochs_done)
            self.epoch_bar.setFormat(f"{current}/{epochs}")
            self.step_bar.setRange(0, spe)
            self.step_bar.setValue(max(0, in_epoch))
            self.step_bar.setFormat(f"{max(0, in_epoch)}/{spe}")
        else:
            for bar in (self.epoch_bar, self.step_bar):
                bar.setRange(0, 1)
                bar.setValue(0)
                bar.setFormat("–")
