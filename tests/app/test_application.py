"""create_application installs the Qt workarounds; importing `app` (or any of its modules) installs none."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from app import pyside_guard
from app.application import create_application, installed_workarounds
from app.gui_gc import collection_is_manual

REPO = Path(__file__).resolve().parents[2]


def test_importing_the_app_changes_nothing_in_the_interpreter():
    code = ("import gc, sys; before = sys.getrefcount(None); import app, app.main_window, app.application; "
            "sys.exit(0 if gc.isenabled() and sys.getrefcount(None) - before < 100_000 else 1)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]


def test_create_application_installs_every_workaround(qapp):
    assert create_application([]) is qapp  # the tests' application is made the same way as main.py's
    workarounds = installed_workarounds()
    assert workarounds is not None and workarounds.collector.running
    assert collection_is_manual() and not gc.isenabled()
    assert workarounds.refcount_guard == pyside_guard.is_installed()
    assert qapp.applicationName() == "ddarts"
