"""The library stays Qt-free: importing every ddarts module the app uses pulls in no PySide6/pyqtgraph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_ddarts_imports_no_qt():
    code = ("import sys, ddarts, ddarts.runs, ddarts.search, ddarts.genotype.parse, ddarts.genotype.core; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'app')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_main_module_does_not_start_the_app_on_import():
    code = "import sys, main; sys.exit(1 if 'PySide6.QtWidgets' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
