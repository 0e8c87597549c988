"""Export a network from the GUI: folder choice, a worker thread, a progress bar and the outcome boxes.

`ddarts.export.formats.export_network` builds, traces, converts and checks the network, which takes from
seconds to minutes; it runs off the GUI thread and reports through its progress callback, relayed
to the GUI thread by a queued signal. Outcome boxes are window-modal but non-blocking so a live
search keeps updating behind them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

import ddarts.export.formats
from ..graphviz_render import LatestCall
from ddarts.genotype.core import Genotype


def export_target(folder: Path, layers: int) -> Path:
    """Where an export chosen as `folder` goes: the folder itself when new or empty, else a fresh
    subfolder in it, so choosing a folder full of files never replaces them."""
    if not folder.is_dir() or not any(folder.iterdir()):
        return folder
    base = f"ddarts-derived-{layers}-layers"
    candidate, suffix = folder / base, 2
    while candidate.exists():
        candidate, suffix = folder / f"{base}-{suffix}", suffix + 1
    return candidate


class _ProgressRelay(QObject):
    """Carries progress from the worker thread to the GUI thread (the connection is queued)."""

    progress = Signal(float, str)


class ExportControls(QWidget):
    """An Export… button with its progress bar and status line; `export()` starts a background export."""

    browse_requested = Signal()
    """The button was clicked: the owner decides what to export and calls `choose_folder_and_export`."""
    finished = Signal(str)  # output folder
    failed = Signal(str)  # message

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = LatestCall(self)
        self._runner.finished.connect(self._on_done)
        self._runner.failed.connect(self._on_failed)
        self._relay = _ProgressRelay(self)
        self._relay.progress.connect(self._on_progress)
        self._out_dir: Path | None = None
        self._available = False
        self.last_message_box: QMessageBox | None = None

        self.button = QPushButton("Export…")
        self.button.setToolTip("Write the network (genotype, weights, TorchScript/torch.export and ONNX) to a folder")
        self.button.setEnabled(False)
        self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.progress_bar.hide()  # shown from the first export on
        self.status = QLabel()
        self.status.setStyleSheet("color: #55616d;")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.progress_bar, 1)
        row.addStretch(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.button.clicked.connect(self.browse_requested)

    # ------------------------------------------------------------------ public
    @property
    def running(self) -> bool:
        return self._runner.busy

    def set_available(self, available: bool) -> None:
        """Whether there is something valid to export (the button stays off while an export runs)."""
        self._available = bool(available)
        self.button.setEnabled(self._available and not self.running)

    def choose_folder(self) -> Path | None:
        start = str(self._out_dir.parent) if self._out_dir else ""
        folder = QFileDialog.getExistingDirectory(self, "Export the network to", start)
        return Path(folder) if folder else None

    def export(self, genotype: Genotype, folder: str | Path, *, layers_label: int, source: str | None,
               **options: Any) -> Path | None:
        """Export `genotype` (one cell per layer) with `options` for build_network; returns the folder
        written (a new subfolder when `folder` is not empty), None when an export is already running."""
        if self.running:
            return None
        out_dir = export_target(Path(folder), layers_label)
        relay = self._relay

        def job() -> Any:
            def progress(fraction: float, message: str) -> None:
                relay.progress.emit(float(fraction), str(message))

            return ddarts.export.formats.export_network(genotype, out_dir, source=source, progress=progress, **options)

        self._out_dir = out_dir
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.status.setText(f"Exporting to {out_dir}…")
        self.button.setEnabled(False)
        self._runner.submit(job)
        return out_dir

    def show_box(self, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
        """A window-modal box that does not block the event loop."""
        if self.last_message_box is not None:
            self.last_message_box.close()
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.last_message_box = box
        box.open()
        return box

    def shutdown(self) -> None:
        """Wait for a running export (it cannot be interrupted half-way without leaving temp files)."""
        self._runner.shutdown()

    # ------------------------------------------------------------------ worker results
    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(round(100 * min(max(fraction, 0.0), 1.0)))
        if message:
            self.status.setText(message[:1].upper() + message[1:])

    @Slot(int, object)
    def _on_done(self, _request_id: int, result: Any) -> None:
        self.progress_bar.setValue(self.progress_bar.maximum())
        self.button.setEnabled(self._available)
        out_dir = str(getattr(result, "out_dir", None) or self._out_dir)
        self.status.setText(f"Exported to {out_dir}")
        files = getattr(result, "files", None) or ()
        listing = "".join(f"\n• {Path(name).name}" for name in files)
        self.show_box(QMessageBox.Icon.Information, "Export finished",
                      f"The network was exported to\n{out_dir}\n{listing}".rstrip())
        self.finished.emit(out_dir)

    @Slot(int, str)
    def _on_failed(self, _request_id: int, message: str) -> None:
        self.button.setEnabled(self._available)
        self.status.setText("Export failed")
        self.show_box(QMessageBox.Icon.Critical, "Export failed", message)
        self.failed.emit(message)
