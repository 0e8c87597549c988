"""Status line of the main window: run status, device, speed, elapsed time, ETA and progress bars."""

from __future__ import annotations


from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ..run_model import RunModel
from ..viewmodels.run_overview import format_duration
from .progress_panel import ProgressPanel

STATUS_TEXT = {
    "new": "idle", "preparing": "preparing data", "running": "running", "paused": "paused",
    "stopped": "stopped (resumable)", "finished": "finished", "failed": "failed",
}


class RunStatusBar(QStatusBar):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.status_label = QLabel()
        self.device_label = QLabel()
        self.speed_label = QLabel()
        self.elapsed_label = QLabel()
        self.eta_label = QLabel()
        for label in (self.status_label, self.device_label, self.speed_label, self.elapsed_label, self.eta_label):
            self.addWidget(label)
        self.progress = ProgressPanel(model)
        self.addPermanentWidget(self.progress)
        model.updated.connect(self.schedule_refresh)
        model.run_replaced.connect(self.schedule_refresh)
        self.refresh()

    def schedule_refresh(self) -> None:
        """Refresh in a later event-loop turn (the model's queue), once however often asked meanwhile."""
        self.model.later(self.refresh)

    def refresh(self) -> None:
        state = self.model.state
        status = STATUS_TEXT.get(state.status, state.status)
        if state.stopping:
            status = "stopping after this step…"
        self.status_label.setText(f"● {status}")
        self.device_label.setText(f"device: {state.device or state.config.get('device') or '–'}")
        running = state.status == "running"
        self.speed_label.setText(f"{state.steps_per_s:.2f} steps/s" if running and state.steps_per_s else "– steps/s")
        self.elapsed_label.setText(f"elapsed {format_duration(state.elapsed_s)}")
        self.eta_label.setText(f"ETA {format_duration(state.eta_s) if state.status in ('running', 'paused') else '–'}")
