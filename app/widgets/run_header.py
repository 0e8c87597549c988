"""The line above the plots: which run is on show, its key settings and its status."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.run_model import RunModel
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


class RunHeader(QLabel):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(parent)
        self._model = model
        self.setObjectName("runHeader")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        model.updated.connect(self.refresh)
        model.run_replaced.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.setText(run_header_text(self._model.state, self._model.run_dir))
