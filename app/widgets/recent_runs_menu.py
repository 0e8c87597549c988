"""File › Recent runs: the run folders opened or started last, newest first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget

from ..settings import AppSettings


class RecentRunsMenu(QMenu):
    open_requested = Signal(str)
    """The user picked this run folder."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None):
        super().__init__("Recent &runs", parent)
        self._settings = settings
        self.refresh()

    def remember(self, run_dir: str) -> None:
        self._settings.add_recent_run(run_dir)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        runs = self._settings.recent_runs()
        for path in runs:
            action = self.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_requested.emit(p))
        if not runs:
            self.addAction("(none yet)").setEnabled(False)
        else:
            self.addSeparator()
            self.addAction("Clear list").triggered.connect(self._clear)

    def _clear(self) -> None:
        self._settings.clear_recent_runs()
        self.refresh()
