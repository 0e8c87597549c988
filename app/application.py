"""The QApplication of ddarts, with its Qt workarounds installed explicitly (importing `app` installs none).

Each workaround lives in its own module, whose docstring names the versions that need it and when it
can go: `app.pyside_guard` (reference counts of None/True/False) and `app.gui_gc` (garbage collection
on the GUI thread only).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QApplication

from . import pyside_guard
from .gui_gc import GuiThreadCollector
from .resources import icon, style_sheet
from ddarts import __version__


@dataclass(frozen=True)
class Workarounds:
    """What `create_application` installed, for tests and the About box."""

    refcount_guard: bool  # False where the running PySide6 build loses no references
    collector: GuiThreadCollector


_installed: Workarounds | None = None


def installed_workarounds() -> Workarounds | None:
    """The workarounds of the running application; None before `create_application`."""
    return _installed


def create_application(argv: list[str]) -> QApplication:
    """Create (or reuse) the QApplication, install the workarounds and apply the ddarts look."""
    global _installed
    guard = pyside_guard.install_guard()  # first: every Qt call after this is safe
    app = QApplication.instance() or QApplication(argv)
    if _installed is None:
        collector = GuiThreadCollector(app)
        collector.start()
        app.aboutToQuit.connect(collector.stop)
        _installed = Workarounds(guard, collector)
    app.setApplicationName("ddarts")
    app.setOrganizationName("ddarts")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("ddarts"))
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
    return app
