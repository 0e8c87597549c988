"""AppSettings: recent runs, window layout and the last search form survive a restart, in a private folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray

from app.settings import MAX_RECENT_RUNS, AppSettings


def test_settings_live_in_the_test_folder(qapp, tmp_path_factory):
    settings = AppSettings()
    base = Path(tmp_path_factory.getbasetemp())
    assert Path(settings.file_name).resolve().is_relative_to(base.resolve())


def test_recent_runs_newest_first_without_duplicates(qapp, tmp_path):
    settings = AppSettings()
    paths = [tmp_path / f"run{i}" for i in range(MAX_RECENT_RUNS + 3)]
    for path in paths:
        settings.add_recent_run(path)
    settings.add_recent_run(paths[5])
    runs = AppSettings().recent_runs()  # a new object reads what the first one stored
    assert runs[0] == str(paths[5].resolve())
    assert len(runs) == MAX_RECENT_RUNS and len(set(runs)) == len(runs)
    assert str(paths[0].resolve()) not in runs
    settings.clear_recent_runs()
    assert AppSettings().recent_runs() == []


def test_single_recent_run_round_trips(qapp, tmp_path):
    AppSettings().add_recent_run(tmp_path)
    assert AppSettings().recent_runs() == [str(tmp_path.resolve())]


def test_window_layout_and_last_config(qapp):
    settings = AppSettings()
    assert settings.window_geometry() is None and settings.last_search_config() is None
    settings.save_window(QByteArray(b"geometry-bytes"), QByteArray(b"state-bytes"))
    settings.set_last_search_config({"cells": 5, "dataset": "digits"})
    again = AppSettings()
    assert bytes(again.window_geometry().data()) == b"geometry-bytes"
    assert bytes(again.window_state().data()) == b"state-bytes"
    assert again.last_search_config() == {"cells": 5, "dataset": "digits"}
