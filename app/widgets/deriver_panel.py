"""Derive a deeper network from a searched one (paper Algorithm 1), size it, and export it.

A thin panel over `app.viewmodels.deriver.DeriverModel`, which decides the source, the defaults and
the derivation; this file mirrors it in widgets. Counting parameters and multiply-adds builds the
network, so it runs off the GUI thread, debounced, and only the newest request's numbers are shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import ddarts.nets.count
from ..graphviz_render import LatestCall, describe_error
from ..run_model import RunModel
from ..viewmodels.deriver import DeriverModel, DeriverResult, LatestCounts, stats_text
from .derivation_strip import DerivationStrip
from .export_dialog import ExportControls
from ddarts.genotype.core import PARSE_METHODS
from ddarts.nets.network import INPUT_KINDS

STATS_DELAY_MS = 250


class DeriverPanel(QWidget):
    """Source, parse, target depth, Algorithm 1 strip, network size and export."""

    derivation_changed = Signal()
    stats_ready = Signal()
    export_finished = Signal(str)  # output folder
    export_failed = Signal(str)  # message

    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(parent)
        self._model = model
        self.vm = DeriverModel(describe_error)
        self._counts = LatestCounts()
        self._syncing = False
        self._stale = False

        self._stats_runner = LatestCall(self)
        self._stats_runner.finished.connect(self._on_stats)
        self._stats_runner.failed.connect(self._on_stats_failed)
        self._stats_job: Any = None
        self._stats_timer = QTimer(self)
        self._stats_timer.setSingleShot(True)
        self._stats_timer.setInterval(STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self._submit_stats)

        # source
        self.source_edit = QLineEdit()
        self.source_edit.setReadOnly(True)
        self.source_edit.setObjectName("deriverSource")
        self.run_button = QPushButton("Current run")
        self.run_button.setToolTip("Derive from the run shown in the window (its latest α)")
        self.file_button = QPushButton("Genotype file…")
        self.file_button.setToolTip("A genotype JSON file, or a legacy DARTS / D-DARTS genotype text file")
        self.folder_button = QPushButton("Run folder…")
        self.folder_button.setToolTip("Another search run folder (its latest α)")
        self.method_combo = QComboBox()
        self.method_combo.addItems(PARSE_METHODS)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setDecimals(2)
        self.threshold_spin.setKeyboardTracking(False)
        self.source_info = QLabel()
        self.source_info.setWordWrap(True)
        self.source_info.setStyleSheet("color: #55616d;")

        # derived network
        self.layers_spin = QSpinBox()
        self.layers_spin.setRange(1, 200)
        self.layers_spin.setKeyboardTracking(False)
        self.layers_spin.setToolTip("Number of cells of the derived network (reductions at n//3 and 2n//3)")
        self.input_combo = QComboBox()
        self.input_combo.addItems(INPUT_KINDS)
        self.input_combo.setToolTip("cifar: 32×32 inputs, 3×3 stem · imagenet: 224×224 inputs, mobile-setting stems")
        self.channels_spin = QSpinBox()
        self.channels_spin.setRange(2, 1024)
        self.channels_spin.setSingleStep(2)
        self.channels_spin.setKeyboardTracking(False)
        self.classes_spin = QSpinBox()
        self.classes_spin.setRange(2, 100_000)
        self.classes_spin.setKeyboardTracking(False)
        self.strip = DerivationStrip()
        self.stats_label = QLabel("–")
        self.stats_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stats_label.setWordWrap(True)
        self.stats_busy = QLabel("computing…")
        self.stats_busy.setStyleSheet("color: #2f74b5; font-style: italic;")
        self.stats_busy.hide()
        self.message_label = QLabel()
        self.message_label.setObjectName("deriverError")
        self.message_label.setStyleSheet("color: #a4281e; background: #fff1f0; border: 1px solid #f0b8b2; "
                                         "border-radius: 4px; padding: 6px;")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()

        source_box = QGroupBox("Source")
        source_rows = QVBoxLayout(source_box)
        source_rows.addWidget(self.source_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.file_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Parse"))
        buttons.addWidget(self.method_combo)
        buttons.addWidget(QLabel("Threshold"))
        buttons.addWidget(self.threshold_spin)
        source_rows.addLayout(buttons)
        source_rows.addWidget(self.source_info)

        derived_box = QGroupBox("Derived network")
        derived_rows = QVBoxLayout(derived_box)
        options = QHBoxLayout()
        form_left = QFormLayout()
        form_left.addRow("Layers n", self.layers_spin)
        form_left.addRow("Input", self.input_combo)
        form_right = QFormLayout()
        form_right.addRow("Init channels", self.channels_spin)
        form_right.addRow("Classes", self.classes_spin)
        options.addLayout(form_left)
        options.addSpacing(16)
        options.addLayout(form_right)
        options.addStretch(1)
        derived_rows.addLayout(options)
        derived_rows.addWidget(self.strip.scroll_area())
        derived_rows.addWidget(self.strip.legend())
        stats_row = QHBoxLayout()
        stats_row.addWidget(self.stats_label, 1)
        stats_row.addWidget(self.stats_busy)
        derived_rows.addLayout(stats_row)

        self.export = ExportControls()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(source_box)
        layout.addWidget(derived_box)
        layout.addWidget(self.message_label)
        layout.addWidget(self.export)
        layout.addStretch(1)

        self.run_button.clicked.connect(self.use_current_run)
        self.file_button.clicked.connect(self._browse_file)
        self.folder_button.clicked.connect(self._browse_folder)
        self.export.browse_requested.connect(self._browse_export)
        self.export.finished.connect(self.export_finished)
        self.export.failed.connect(self.export_failed)
        self.method_combo.currentTextChanged.connect(lambda _t: self._on_parse_edited())
        self.threshold_spin.valueChanged.connect(lambda _v: self._on_parse_edited())
        self.input_combo.currentTextChanged.connect(lambda kind: self._on_option_edited("input_kind", kind))
        for name, spin in (("layers", self.layers_spin), ("channels", self.channels_spin),
                           ("classes", self.classes_spin)):
            spin.valueChanged.connect(lambda value, name=name: self._on_option_edited(name, value))
        model.run_replaced.connect(self._on_run_replaced)
        model.genotype_changed.connect(self._schedule_genotype_changed)

        self._on_run_replaced()

    # ------------------------------------------------------------------ public
    @property
    def source_path(self) -> Path | None:
        """The file or run folder derived from; None for the run on show."""
        return self.vm.source_path

    def set_source_path(self, path: str | Path) -> None:
        """Derive from a genotype file (JSON or legacy text) or a run folder."""
        self.vm.source_path = Path(path)
        self._recompute(reload=True)

    def use_current_run(self) -> None:
        self.vm.source_path = None
        self._recompute(reload=True)

    def set_layers(self, n: int) -> None:
        self.layers_spin.setValue(int(n))

    @property
    def derivation(self) -> DeriverResult | None:
        """The valid derivation on show, None while the inputs are invalid."""
        return self.vm.derivation

    @property
    def message(self) -> str:
        """The error on show ("" when the inputs are valid)."""
        return self.message_label.text() if not self.message_label.isHidden() else ""

    @property
    def stats(self) -> Any:
        """NetworkStats of the derivation on show, None while computing or invalid."""
        return self._counts.current

    @property
    def stats_busy_visible(self) -> bool:
        return not self.stats_busy.isHidden()

    @property
    def exporting(self) -> bool:
        return self.export.running

    @property
    def last_message_box(self) -> QMessageBox | None:
        return self.export.last_message_box

    def export_to(self, folder: str | Path) -> Path | None:
        """Export the derived network in the background (into a new subfolder when `folder` is not
        empty); progress goes to the bar. Returns the output folder, None when nothing was started."""
        derivation = self.vm.derivation
        if derivation is None:
            self.export.show_box(QMessageBox.Icon.Warning, "Nothing to export",
                                 self.message or "There is no valid derived network to export.")
            return None
        return self.export.export(derivation.genotype, folder, layers_label=derivation.layers,
                                  source=self.vm.describe_source(), **self.vm.network_options())

    def shutdown(self) -> None:
        """Wait for background work (a count, an export); called on close and when the application quits."""
        self._stats_timer.stop()
        self._stats_job = None
        self._stats_runner.shutdown()
        self.export.shutdown()

    def closeEvent(self, event) -> None:  # noqa: ANN001 - QCloseEvent
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------ model → widgets
    def _sync_widgets(self) -> None:
        """Show the view model's inputs without treating the changes as the user's edits."""
        vm = self.vm
        self._syncing = True
        try:
            self.method_combo.setCurrentText(vm.method)
            self.threshold_spin.setValue(vm.threshold)
            self.layers_spin.setValue(int(vm.layers))
            self.input_combo.setCurrentText(vm.input_kind)
            self.channels_spin.setValue(int(vm.channels))
            self.classes_spin.setValue(int(vm.classes))
            self.method_combo.setEnabled(vm.method_enabled)
            self.threshold_spin.setEnabled(vm.threshold_enabled)
            self.source_edit.setText(vm.source_text)
            self.source_info.setText(vm.source_info)
            if bool(self.layers_spin.property("invalid")) != vm.layers_invalid:
                self.layers_spin.setProperty("invalid", vm.layers_invalid)
                self.layers_spin.style().unpolish(self.layers_spin)
                self.layers_spin.style().polish(self.layers_spin)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ widgets → model
    def _on_run_replaced(self) -> None:
        self.vm.run_replaced(self._model.state.config)
        self._sync_widgets()
        if self.vm.source_path is None:
            self._recompute(reload=True)

    def _schedule_genotype_changed(self) -> None:
        self._model.later(self._on_run_genotype_changed)

    def _on_run_genotype_changed(self) -> None:
        if self.vm.source_path is not None:
            return
        if self.isVisible():
            self._recompute(reload=True)
        else:
            self._stale = True  # a hidden panel does not build a network for every epoch of a live search

    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        super().showEvent(event)
        if self._stale:
            self._stale = False
            if self.vm.source_path is None:
                self._recompute(reload=True)

    def _on_parse_edited(self) -> None:
        if self._syncing:
            return
        self.vm.set_parse(self.method_combo.currentText(), float(self.threshold_spin.value()))
        self._recompute(reload=True)

    def _on_option_edited(self, name: str, value: Any) -> None:
        if self._syncing:
            return
        self.vm.edit(name, value)
        self._recompute(reload=False)

    def _browse_file(self) -> None:
        path = self.vm.source_path
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Genotype file", str(path.parent) if path else "", "Genotype files (*.json *.txt *.py);;All files (*)")
        if chosen:
            self.set_source_path(chosen)

    def _browse_folder(self) -> None:
        path = self.vm.source_path
        chosen = QFileDialog.getExistingDirectory(self, "Search run folder", str(path) if path else "")
        if chosen:
            self.set_source_path(chosen)

    # ------------------------------------------------------------------ recompute
    def _recompute(self, reload: bool) -> None:
        if self._syncing:
            return
        ok = self.vm.recompute(self._model.state, self._model.run_dir or self._model.state.run_dir, reload)
        self._sync_widgets()
        if not ok:
            if self.vm.message:
                self._fail(self.vm.message)
            return
        derivation = self.vm.derivation
        self.message_label.hide()
        self.message_label.setText("")
        self.strip.set_derivation(derivation.filled_by, derivation.reductions)
        self.export.set_available(True)
        self._request_stats(derivation)
        self.derivation_changed.emit()

    def _fail(self, message: str) -> None:
        self._counts.want(None)
        self._stats_timer.stop()
        self._stats_job = None
        self._stats_runner.cancel()
        self.message_label.setText(message)
        self.message_label.show()
        self.strip.clear()
        self.stats_label.setText("–")
        self.stats_busy.hide()
        self.export.set_available(False)
        self.derivation_changed.emit()

    # ------------------------------------------------------------------ statistics
    def _request_stats(self, derivation: DeriverResult) -> None:
        key, options, genotype = self.vm.stats_key(), self.vm.network_options(), derivation.genotype
        cached = self._counts.want(key)
        if cached is not None:
            self._stats_timer.stop()
            self._stats_job = None
            self._stats_runner.cancel()
            self._show_stats(cached)
            return

        def job() -> tuple[tuple, Any]:
            return key, ddarts.nets.count.describe_network(genotype, **options)

        self.stats_busy.show()
        self._stats_runner.cancel()  # the numbers on the way are for other inputs
        self._stats_job = job
        self._stats_timer.start()  # a burst of spin-box clicks builds one network, not one per click

    def _submit_stats(self) -> None:
        job, self._stats_job = self._stats_job, None
        if job is not None and self._counts.take_pending() is not None:
            self._stats_runner.submit(job)

    @Slot(int, object)
    def _on_stats(self, _request_id: int, result: Any) -> None:
        key, stats = result
        if self._counts.done(key, stats):
            self._show_stats(stats)

    def _show_stats(self, stats: Any) -> None:
        self.stats_busy.hide()
        self.stats_label.setText(stats_text(stats))
        self.stats_ready.emit()

    @Slot(int, str)
    def _on_stats_failed(self, _request_id: int, message: str) -> None:
        self.stats_busy.hide()
        self.stats_label.setText("–")
        self.message_label.setText(f"Cannot build the derived network: {message}")
        self.message_label.show()

    # ------------------------------------------------------------------ export
    def _browse_export(self) -> None:
        if self.vm.derivation is None:
            return
        folder = self.export.choose_folder()
        if folder is not None:
            self.export_to(folder)
