"""Test-wide setup: headless Qt, private QSettings, and no QThread may outlive its test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest


@pytest.fixture(autouse=True)
def _private_settings(tmp_path_factory, request):
    """Every test that touches Qt gets its own QSettings folder, never the user's preferences."""
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        yield
        return
    from app.settings import use_settings_folder

    use_settings_folder(tmp_path_factory.mktemp("settings"))
    yield


@pytest.fixture(autouse=True)
def _no_thread_left_running(request):
    """Fail any test that leaves a QThread running (a search the test forgot to stop and join)."""
    yield
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        return
    from app.worker import live_threads

    running = [t for t in live_threads() if t.isRunning()]
    if running:
        for thread in running:
            thread.wait(30_000)
        pytest.fail(f"{len(running)} QThread(s) still running after the test: {running}")
