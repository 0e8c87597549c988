"""The window's message boxes, built in one place so they look and behave alike."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ddarts import __version__

ABOUT_TEXT = (
    f"<h3>ddarts {__version__}</h3>"
    "<p>Run and inspect D-DARTS (distributed differentiable architecture search) searches: every cell "
    "of the supernet searches its own architecture, guided by the ablation loss L_T.</p>"
    "<p>Library, command line (<code>ddarts</code>) and this desktop application share one run-folder "
    "format.</p>"
)
STOP_ON_CLOSE_TEXT = ("A search is running. Stop it after the current step, save a checkpoint and quit?\n\n"
                      "The run can be resumed later with Search › Resume stopped run.")


def open_error_box(parent: QWidget, title: str, text: str, details: str = "") -> QMessageBox:
    """A window-modal message that does not block the event loop (the search keeps reporting)."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def ask_stop_on_close(parent: QWidget) -> bool:
    """Ask whether closing may stop the running search (it stays resumable)."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
    answer = QMessageBox.question(parent, "Search running", STOP_ON_CLOSE_TEXT, buttons,
                                  QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About ddarts", ABOUT_TEXT)
