"""Test-wide setup: headless Qt, private QSettings, and no QThread may outlive its test."""

from __future__ import annotations

import gc
import os
import sys

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
    from app.threads import live_threads

    running = [t for t in live_threads() if t.isRunning()]
    if running:
        for thread in running:
            thread.wait(30_000)
        pytest.fail(f"{len(running)} QThread(s) still running after the test: {running}")


@pytest.fixture(autouse=True)
def _collect_while_the_application_collects():
    """Once the GUI tests created the application, automatic collection is off (app/gui_gc.py): collect
    between tests as its timer would, so tests without an event loop do not pile up garbage."""
    yield
    application = sys.modules.get("app.application")
    workarounds = application.installed_workarounds() if application is not None else None
    if workarounds is not None and not gc.isenabled():
        workarounds.collector.check()


def write_image_folder(root, size: int, classes=("a", "b", "c"), per_class: int = 5, seed: int = 0):
    """An ImageFolder of random PNGs (one sub-folder per class), each class a little brighter than the last."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            pixels = (rng.random((size, size, 3)) * 60 + 60 * c).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    return root


@pytest.fixture
def image_folder():
    """`image_folder(root, size, classes=..., per_class=..., seed=...)` writes a folder dataset of PNGs."""
    return write_image_folder


def pytest_collection_modifyitems(config, items):
    """Files with a `slow` test go first: spread over the workers from the start, they do not make the tail."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: the order within each group is kept
