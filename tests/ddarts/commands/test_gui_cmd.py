"""`ddarts gui [RUN]` starts the app as its own program (the library never imports Qt)."""

from __future__ import annotations

import sys

from ddarts.cli import main
from ddarts.commands import gui


def test_gui_starts_the_app_package_with_the_run(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(gui.subprocess, "call", lambda command: calls.append(command) or 0)
    assert main(["gui", str(tmp_path)]) == 0 and main(["gui"]) == 0
    package = gui.app_package()
    assert package in gui.APP_PACKAGES
    assert calls == [[sys.executable, "-m", package, str(tmp_path)], [sys.executable, "-m", package]]


def test_a_missing_app_is_one_clear_line(monkeypatch, capsys):
    monkeypatch.setattr(gui.importlib.util, "find_spec", lambda name: None)
    assert main(["gui"]) == 2
    assert "desktop application is not installed" in capsys.readouterr().err
