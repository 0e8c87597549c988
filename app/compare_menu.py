"""File › Open sweep… and Compare runs…: the entry points of the comparison window from the main window.

Kept out of main_window.py so the main window needs two lines: the import and `install(self, file_menu)`.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox

from .viewmodels.compare import paths_to_compare
from .widgets.compare_window import CompareWindow
from ddarts.errors import DdartsError


def install(main_window: QMainWindow, file_menu: QMenu) -> tuple[QAction, QAction]:
    """Add the two actions after File › Open; windows opened from them stay referenced by the main window."""
    main_window.compare_windows = []  # type: ignore[attr-defined]
    open_sweep = QAction("Open s&weep…", main_window)
    open_sweep.setStatusTip("Compare the trials of a sweep folder (ddarts sweep --out DIR)")
    open_sweep.triggered.connect(lambda: _choose(main_window, "Open sweep folder"))
    compare = QAction("&Compare runs…", main_window)
    compare.setStatusTip("Compare every run folder inside a folder (or one sweep or run folder)")
    compare.triggered.connect(lambda: _choose(main_window, "Compare the runs in a folder"))
    actions = file_menu.actions()
    before = actions[2] if len(actions) > 2 else None
    file_menu.insertAction(before, open_sweep)
    file_menu.insertAction(before, compare)
    return open_sweep, compare


def _choose(main_window: QMainWindow, title: str) -> None:
    start = main_window.settings.last_open_folder() if hasattr(main_window, "settings") else ""
    folder = QFileDialog.getExistingDirectory(main_window, title, start)
    if folder:
        open_compare(main_window, [folder])


def open_compare(main_window: QMainWindow, folders: list[str | os.PathLike]) -> CompareWindow | None:
    """A comparison window over the folders; double-clicking a run opens it in the main window."""
    try:
        paths = [p for folder in folders for p in paths_to_compare(folder)]
        window = CompareWindow(paths)
    except DdartsError as exc:
        QMessageBox.warning(main_window, "Cannot compare", str(exc))
        return None
    windows: list[CompareWindow] = main_window.compare_windows  # type: ignore[attr-defined]
    windows.append(window)
    window.destroyed.connect(lambda _obj=None, w=window: windows.remove(w) if w in windows else None)

    def open_run(run_dir: str) -> None:
        if main_window.open_run(Path(run_dir)):
            main_window.raise_()
            main_window.activateWindow()

    window.open_run_requested.connect(open_run)
    window.show()
    return window
