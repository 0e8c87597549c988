"""Helpers for the GUI tests: synthetic event streams for drawing code, tiny real searches for integration."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Callable

import pytest
from gui_test_support import synthetic_run, tiny_digits_config


@pytest.fixture(scope="session")
def qapp(qapp_args):
    """The application as `main.py` creates it: with the Qt workarounds of app/application.py installed."""
    from app.application import create_application

    return create_application(qapp_args)


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread(request):
    """Widgets of finished tests are destroyed here, on the GUI thread, never by a later test's worker."""
    yield
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        gc.collect()


@pytest.fixture
def make_run() -> Callable[..., list]:
    return synthetic_run


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory, data_dir) -> str:
    """A finished tiny digits search (5 cells: the fewest Algorithm 1 can grow), written without Qt."""
    from ddarts.runs import recorded_search

    run_dir = tmp_path_factory.mktemp("finished") / "run"
    for _event in recorded_search(tiny_digits_config(data_dir=data_dir, cells=5), run_dir):
        pass
    return str(run_dir)


@pytest.fixture
def window(qtbot, monkeypatch):
    """A main window whose close never asks (tests decide), stopped and joined at teardown."""
    from app.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    monkeypatch.setattr(win, "confirm_stop_on_close", lambda: True)
    yield win
    if win.runner.is_running:
        win.runner.stop()
        qtbot.waitUntil(lambda: not win.runner.is_running, timeout=120_000)
    for widget in (win.cell_diagram, win.network_overview, win.deriver):
        widget.shutdown()
