"""The PySide guard: shows the defect it guards against, in a child interpreter, with and without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app import pyside_guard

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
calls = 2 * sys.getrefcount(None) + 1000  # more void calls than None has references
from app import pyside_guard
defective = pyside_guard.needed_for_interpreter() and any(pyside_guard.measure_defects().values())
print("defective" if defective else "sound", flush=True)
if sys.argv[1] == "guard":
    print("installed" if pyside_guard.install_guard() else "not installed", flush=True)
from PySide6.QtCore import QObject
probe = QObject()
for _ in range(calls):
    probe.setObjectName("probe")
print("survived", flush=True)
"""


def run_probe(mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
                                            "PATH": "/usr/bin:/bin"})


def test_void_calls_free_none_on_an_affected_build_unless_guarded():
    unguarded, guarded = run_probe("none"), run_probe("guard")
    assert guarded.returncode == 0 and guarded.stdout.splitlines()[-1] == "survived", guarded.stderr
    if unguarded.stdout.startswith("defective"):  # PySide6 6.12.0 on CPython 3.11: the interpreter aborts
        assert unguarded.returncode != 0 and "survived" not in unguarded.stdout
        assert "deallocating None" in unguarded.stderr, unguarded.stderr[-2000:]
        assert guarded.stdout.splitlines()[1] == "installed"
    else:  # a sound build: nothing to guard, and nothing is installed
        assert unguarded.returncode == 0 and "survived" in unguarded.stdout, unguarded.stderr[-2000:]
        assert guarded.stdout.splitlines()[1] == "not installed"


def test_guard_is_idempotent(qapp):
    count = sys.getrefcount(None)
    assert pyside_guard.install_guard() == pyside_guard.is_installed()
    assert abs(sys.getrefcount(None) - count) < 10
