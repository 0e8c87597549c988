"""Preferences kept between launches (window layout, recent runs, last search form) in QSettings.

Tests point QSettings at a temporary folder through `use_settings_folder`, so they never touch the
user's real preferences.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "ddarts"
APPLICATION = "ddarts"
MAX_RECENT_RUNS = 10


def use_settings_folder(folder: str | os.PathLike) -> None:
    """Store every AppSettings in INI files under `folder` (tests, portable installs)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))


class AppSettings:
    def __init__(self) -> None:
        self._s = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)

    @property
    def file_name(self) -> str:
        return self._s.fileName()

    def sync(self) -> None:
        self._s.sync()

    # ------------------------------------------------------------------ window layout
    def window_geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)
        self._s.sync()

    # ------------------------------------------------------------------ recent runs
    def recent_runs(self) -> list[str]:
        value = self._s.value("runs/recent", [])
        if isinstance(value, str):  # QSettings collapses one-element lists to a string
            value = [value]
        return [str(v) for v in (value or []) if str(v)]

    def add_recent_run(self, path: str | os.PathLike) -> list[str]:
        path = str(Path(path).resolve())
        runs = [path] + [p for p in self.recent_runs() if p != path]
        runs = runs[:MAX_RECENT_RUNS]
        self._s.setValue("runs/recent", runs)
        self._s.sync()
        return runs

    def clear_recent_runs(self) -> None:
        self._s.setValue("runs/recent", [])
        self._s.sync()

    # ------------------------------------------------------------------ search form
    def last_search_config(self) -> dict | None:
        """The last search form content (SearchConfig fields), or None if none or unreadable."""
        text = self._s.value("search/last_config", "")
        if not text:
            return None
        try:
            data = json.loads(str(text))
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    def set_last_search_config(self, config: dict) -> None:
        self._s.setValue("search/last_config", json.dumps(config, sort_keys=True))
        self._s.sync()

    def runs_root(self) -> str:
        return str(self._s.value("search/runs_root", str(Path.cwd() / "runs")))

    def set_runs_root(self, folder: str | os.PathLike) -> None:
        self._s.setValue("search/runs_root", str(folder))
        self._s.sync()

    def last_open_folder(self) -> str:
        return str(self._s.value("runs/last_open_folder", str(Path.cwd())))

    def set_last_open_folder(self, folder: str | os.PathLike) -> None:
        self._s.setValue("runs/last_open_folder", str(folder))
