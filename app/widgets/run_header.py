"""The lines above the plots: which run is on show, its key settings and status, and its story at a glance
(epoch, dominant share, live ops per parse method, best α-split accuracy, ETA)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..run_model import RunModel
from ..viewmodels.run_overview import overview_text, run_overview
from ddarts.runs import RunState

LOSS_NAMES = {"ablation": "L_T", "fair": "L_F"}


def run_header_text(state: RunState, run_dir: str | None) -> str:
    """One line naming the run and its key settings (name, loss, cells, C, batch, seed)."""
    if not run_dir and not state.config:
        return "No run loaded. File › New search… starts one; File › Open run… inspects a run folder."
    cfg = state.config
    parts = [f"<b>Run:</b> {Path(run_dir).name if run_dir else 'unsaved'}"]
    if cfg:
        parts += [
            str(cfg.get("dataset", "?")),
            LOSS_NAMES.get(cfg.get("loss"), str(cfg.get("loss"))),
            f"{cfg.get('cells', '?')} cells",
            f"C={cfg.get('init_channels', '?')}",
            f"batch {cfg.get('batch_size', '?')}",
            f"seed {cfg.get('seed', '?')}",
            f"parse {cfg.get('parse', '?')}@{cfg.get('threshold', '?')}",
        ]
    parts.append(f"<i>{state.status}</i>")
    return " &nbsp;·&nbsp; ".join(parts)


class RunHeader(QWidget):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(parent)
        self._model = model
        self.title = QLabel()
        self.title.setObjectName("runHeader")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.overview = QLabel()
        self.overview.setObjectName("runOverview")
        self.overview.setTextFormat(Qt.TextFormat.PlainText)
        self.overview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.overview.setToolTip(
            "The current epoch at a glance: share of ops with σ(α) > 0.9 in the newest α, the ops each parse "
            "method would keep now (at the run's threshold), the best epoch's accuracy on the α split, and "
            "the estimated time left.")
        for label in (self.title, self.overview):  # long lines wrap, never widen the window's centre
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.overview)
        model.updated.connect(self.schedule_refresh)
        model.run_replaced.connect(self.schedule_refresh)
        self.refresh()

    def text(self) -> str:
        """The first line (run and settings), as rich text."""
        return self.title.text()

    def schedule_refresh(self) -> None:
        """Refresh in a later event-loop turn (the model's queue), once however often asked meanwhile."""
        self._model.later(self.refresh)

    def refresh(self) -> None:
        state = self._model.state
        self.title.setText(run_header_text(state, self._model.run_dir))
        line = overview_text(run_overview(state))
        self.overview.setText(line)
        self.overview.setVisible(bool(line))
