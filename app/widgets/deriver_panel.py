"""Derive a deeper network from a searched one (paper Algorithm 1), size it, and export it.

The source is the run on show, another run folder or a genotype file (legacy formats too). Every
input error becomes a readable line in the panel; counting parameters and multiply-adds builds the
network, so it runs off the GUI thread and only the newest request's numbers are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QHelpEvent, QPainter, QPaintEvent, QPen
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
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

import ddarts.nets.count
from ..graphviz_render import LatestCall, describe_error
from ..run_model import RunModel
from .cell_diagram import (
    DEFAULT_METHOD,
    DEFAULT_THRESHOLD,
    PARSE_METHODS,
    parse_epoch,
)
from .export_dialog import ExportControls
from ddarts.errors import DdartsError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.derive import derive
from ddarts.genotype.sources import genotype_from_source
from ddarts.nets.network import INPUT_KINDS

DEFAULT_CHANNELS = {"cifar": 36, "imagenet": 48}
DATASET_CLASSES = {"cifar10": 10, "cifar100": 100, "imagenet": 1000, "digits": 10}
DATASET_INPUT = {"cifar10": "cifar", "cifar100": "cifar", "imagenet": "imagenet", "digits": "cifar"}
STATS_DELAY_MS = 250
NORMAL_FILL, NORMAL_EDGE = QColor("#dbe9f6"), QColor("#4f86c0")
REDUCTION_FILL, REDUCTION_EDGE = QColor("#fde0c5"), QColor("#d95f02")


# ---------------------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class DeriverResult:
    """A derived network: which searched cell fills each position, and the genotype to build."""

    source: Genotype | DartsGenotype
    layers: int
    filled_by: tuple[int | str, ...]  # searched cell index per position; "N"/"R" for a DARTS pair
    genotype: Genotype  # one cell per derived position

    @property
    def reductions(self) -> tuple[int, ...]:
        return tuple(self.genotype.reductions)


def derive_for_panel(source: Genotype | DartsGenotype, layers: int) -> DeriverResult:
    """Algorithm 1 for a searched multi-cell genotype, DARTS stacking for a normal/reduce pair."""
    derivation = derive(source, layers)
    genotype = derivation.genotype
    if isinstance(source, DartsGenotype):
        filled: tuple[int | str, ...] = tuple("R" if genotype.is_reduction(i) else "N" for i in range(layers))
    else:
        filled = tuple(derivation.plan)
    return DeriverResult(source, layers, filled, genotype)


def format_count(value: float, unit: str = "") -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.2f} {suffix}{unit}"
    return f"{value:.0f} {unit}".rstrip()


# ---------------------------------------------------------------------------------------------- strip
class DerivationStrip(QWidget):
    """One box per derived position showing the searched cell that fills it; reductions in orange."""

    BOX_MIN, BOX_MAX, GAP, BOX_HEIGHT = 22, 46, 4, 34

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._filled: tuple[int | str, ...] = ()
        self._reductions: frozenset[int] = frozenset()
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_derivation(self, filled_by: tuple[int | str, ...], reductions: tuple[int, ...]) -> None:
        self._filled = tuple(filled_by)
        self._reductions = frozenset(reductions)
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self.set_derivation((), ())

    def boxes(self) -> list[tuple[int, int | str, bool]]:
        """(position, searched cell, is reduction) per box, as drawn."""
        return [(i, cell, i in self._reductions) for i, cell in enumerate(self._filled)]

    def _box_width(self) -> float:
        n = len(self._filled)
        if not n:
            return float(self.BOX_MAX)
        fit = (self.width() - 2 - self.GAP * (n - 1)) / n
        return max(float(self.BOX_MIN), min(float(self.BOX_MAX), fit))

    def _box_rect(self, i: int) -> QRectF:
        width = self._box_width()
        return QRectF(1 + i * (width + self.GAP), 1, width, self.BOX_HEIGHT)

    def minimumSizeHint(self) -> QSize:
        n = len(self._filled)
        return QSize(2 + n * self.BOX_MIN + max(0, n - 1) * self.GAP, self.BOX_HEIGHT + 20)

    def sizeHint(self) -> QSize:
        n = len(self._filled)
        return QSize(2 + n * 36 + max(0, n - 1) * self.GAP, self.BOX_HEIGHT + 20)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self._filled:
            painter.setPen(QColor("#7a8591"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No derived network")
            return
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, self.font().pointSizeF() * 0.8))
        for i, cell in enumerate(self._filled):
            rect = self._box_rect(i)
            reduction = i in self._reductions
            painter.setPen(QPen(REDUCTION_EDGE if reduction else NORMAL_EDGE, 2.0 if reduction else 1.2))
            painter.setBrush(REDUCTION_FILL if reduction else NORMAL_FILL)
            painter.drawRoundedRect(rect, 5, 5)
            painter.setFont(bold)
            painter.setPen(QColor("#1d2731"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(cell))
            painter.setFont(small)
            painter.setPen(QColor("#6b7682"))
            label = QRectF(rect.left(), rect.bottom() + 2, rect.width(), 16)
            painter.drawText(label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, str(i))
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            for i, cell in enumerate(self._filled):
                if self._box_rect(i).contains(event.position()):
                    kind = "reduction" if i in self._reductions else "normal"
                    what = f"searched cell {cell}" if isinstance(cell, int) else f"the {kind} cell"
                    QToolTip.showText(event.globalPos(), f"Position {i} ({kind}): {what}", self)
                    return True
            QToolTip.hideText()
            event.ignore()
            return True
        return super().event(event)


# ---------------------------------------------------------------------------------------------- panel
class DeriverPanel(QWidget):
    """Source, parse, target depth, Algorithm 1 strip, network size and export."""

    derivation_changed = Signal()
    stats_ready = Signal()
    export_finished = Signal(str)  # output folder
    export_failed = Signal(str)  # message

    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(parent)
        self._model = model
        self._source_path: Path | None = None
        self._derivation: DeriverResult | None = None
        self._source_genotype: Genotype | DartsGenotype | None = None
        self._stats_cache: dict[tuple, Any] = {}
        self._stats_key: tuple | None = None
        self._touched: set[str] = set()
        self._defaults_guard = False
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
        strip_scroll = QScrollArea()
        strip_scroll.setWidget(self.strip)
        strip_scroll.setWidgetResizable(True)
        strip_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        strip_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        strip_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip_scroll.setFixedHeight(self.strip.BOX_HEIGHT + 40)
        legend = QLabel(
            f'<span style="color:{NORMAL_EDGE.name()}">■</span> normal &nbsp; '
            f'<span style="color:{REDUCTION_EDGE.name()}">■</span> reduction &nbsp; '
            '<span style="color:#6b7682">box: searched cell that fills the position · below: position</span>'
        )
        legend.setTextFormat(Qt.TextFormat.RichText)
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
        derived_rows.addWidget(strip_scroll)
        derived_rows.addWidget(legend)
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
        self.method_combo.currentTextChanged.connect(lambda _t: self._recompute(reload=True))
        self.threshold_spin.valueChanged.connect(lambda _v: self._recompute(reload=True))
        self.input_combo.currentTextChanged.connect(self._on_input_kind)
        for name, spin in (("layers", self.layers_spin), ("channels", self.channels_spin),
                           ("classes", self.classes_spin)):
            spin.valueChanged.connect(lambda _v, name=name: self._on_option_edited(name))
        model.run_replaced.connect(self._on_run_replaced)
        model.genotype_changed.connect(self._on_run_genotype_changed)

        self._on_run_replaced()

    # ------------------------------------------------------------------ public
    @property
    def source_path(self) -> Path | None:
        """The file or run folder derived from; None for the run on show."""
        return self._source_path

    def set_source_path(self, path: str | Path) -> None:
        """Derive from a genotype file (JSON or legacy text) or a run folder."""
        self._source_path = Path(path)
        self._recompute(reload=True)

    def use_current_run(self) -> None:
        self._source_path = None
        self._recompute(reload=True)

    def set_layers(self, n: int) -> None:
        self.layers_spin.setValue(int(n))

    @property
    def derivation(self) -> DeriverResult | None:
        """The valid derivation on show, None while the inputs are invalid."""
        return self._derivation

    @property
    def message(self) -> str:
        """The error on show ("" when the inputs are valid)."""
        return self.message_label.text() if not self.message_label.isHidden() else ""

    @property
    def stats(self) -> Any:
        """NetworkStats of the derivation on show, None while computing or invalid."""
        return self._stats_cache.get(self._stats_key) if self._stats_key is not None else None

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
        derivation = self._derivation
        if derivation is None:
            self.export.show_box(QMessageBox.Icon.Warning, "Nothing to export",
                                 self.message or "There is no valid derived network to export.")
            return None
        return self.export.export(derivation.genotype, folder, layers_label=derivation.layers,
                                  source=self._describe_source(derivation), **self._network_options())

    def shutdown(self) -> None:
        """Wait for background work (a count, an export); called on close and when the application quits."""
        self._stats_timer.stop()
        self._stats_job = None
        self._stats_runner.shutdown()
        self.export.shutdown()

    def closeEvent(self, event) -> None:  # noqa: ANN001 - QCloseEvent
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------ source
    def _on_run_replaced(self) -> None:
        config = self._model.state.config or {}
        self._defaults_guard = True
        try:
            method = config.get("parse", DEFAULT_METHOD)
            self.method_combo.setCurrentText(method if method in PARSE_METHODS else DEFAULT_METHOD)
            threshold = config.get("threshold", DEFAULT_THRESHOLD)
            self.threshold_spin.setValue(float(threshold) if isinstance(threshold, (int, float))
                                         else DEFAULT_THRESHOLD)
            dataset = config.get("dataset")
            if "classes" not in self._touched and dataset in DATASET_CLASSES:
                self.classes_spin.setValue(DATASET_CLASSES[dataset])
            if dataset in DATASET_INPUT and "input" not in self._touched:
                self.input_combo.setCurrentText(DATASET_INPUT[dataset])
        finally:
            self._defaults_guard = False
        self._apply_defaults()
        if self._source_path is None:
            self._recompute(reload=True)

    def _on_run_genotype_changed(self) -> None:
        if self._source_path is not None:
            return
        if self.isVisible():
            self._recompute(reload=True)
        else:
            self._stale = True  # a hidden panel does not build a network for every epoch of a live search

    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        super().showEvent(event)
        if self._stale:
            self._stale = False
            if self._source_path is None:
                self._recompute(reload=True)

    def _load_source(self) -> Genotype | DartsGenotype:
        """The searched genotype; DdartsError when there is none or it is invalid."""
        method, threshold = self.method_combo.currentText(), float(self.threshold_spin.value())
        if self._source_path is not None:
            is_folder = self._source_path.is_dir()
            self.method_combo.setEnabled(is_folder or not self._source_path.exists())
            self.threshold_spin.setEnabled(is_folder and method != "darts")
            self.source_edit.setText(str(self._source_path))
            return genotype_from_source(self._source_path, method, threshold)
        self.method_combo.setEnabled(True)
        self.threshold_spin.setEnabled(method != "darts")
        state = self._model.state
        where = self._model.run_dir or state.run_dir
        self.source_edit.setText(f"Current run{': ' + str(where) if where else ''}")
        if state.alphas:
            return parse_epoch(state, max(state.alphas), method, threshold)
        if state.genotypes:
            epoch = max(e for e, _ in state.genotypes)
            stored = {m: g for (e, m), g in state.genotypes.items() if e == epoch}
            return stored.get(method) or stored[sorted(stored)[0]]
        if state.final_genotypes:
            finals = state.final_genotypes
            return finals.get(method) or finals[sorted(finals)[0]]
        raise DdartsError("the current run has no genotype yet: wait for its first epoch, "
                          "or pick a genotype file or another run folder")

    def _browse_file(self) -> None:
        start = str(self._source_path.parent) if self._source_path else ""
        path, _filter = QFileDialog.getOpenFileName(
            self, "Genotype file", start, "Genotype files (*.json *.txt *.py);;All files (*)")
        if path:
            self.set_source_path(path)

    def _browse_folder(self) -> None:
        start = str(self._source_path) if self._source_path else ""
        path = QFileDialog.getExistingDirectory(self, "Search run folder", start)
        if path:
            self.set_source_path(path)

    # ------------------------------------------------------------------ options
    def _on_option_edited(self, name: str) -> None:
        if not self._defaults_guard:
            self._touched.add(name)
        self._recompute(reload=False)

    def _on_input_kind(self, _kind: str) -> None:
        if not self._defaults_guard:
            self._touched.add("input")
        self._apply_defaults()
        self._recompute(reload=False)

    def _apply_defaults(self) -> None:
        """Depth, width and classes follow the input kind and source until the user sets them."""
        kind = self.input_combo.currentText()
        self._defaults_guard = True
        try:
            if "channels" not in self._touched:
                self.channels_spin.setValue(DEFAULT_CHANNELS.get(kind, 36))
            if "classes" not in self._touched and not (self._model.state.config or {}).get("dataset"):
                self.classes_spin.setValue(1000 if kind == "imagenet" else 10)
            if "layers" not in self._touched:
                darts_pair = isinstance(self._source_genotype, DartsGenotype)
                self.layers_spin.setValue(20 if darts_pair and kind == "cifar" else 14)
        finally:
            self._defaults_guard = False

    def _network_options(self) -> dict[str, Any]:
        return {"init_channels": int(self.channels_spin.value()), "num_classes": int(self.classes_spin.value()),
                "input_kind": self.input_combo.currentText()}

    # ------------------------------------------------------------------ recompute
    def _recompute(self, reload: bool) -> None:
        if self._defaults_guard:
            return
        if reload:
            try:
                genotype = self._load_source()
            except (DdartsError, ValueError, OSError) as exc:
                self._source_genotype = None
                self._mark_invalid(self.layers_spin, False)
                self._fail(describe_error(exc))
                self.source_info.setText("")
                return
            kind_changed = type(genotype) is not type(self._source_genotype)
            self._source_genotype = genotype
            if kind_changed:
                self._apply_defaults()
            self.source_info.setText(self._describe_genotype(genotype))
        if self._source_genotype is None:
            return
        try:
            derivation = derive_for_panel(self._source_genotype, int(self.layers_spin.value()))
        except (DdartsError, ValueError) as exc:
            self._mark_invalid(self.layers_spin, True)
            self._fail(describe_error(exc))
            return
        self._mark_invalid(self.layers_spin, False)
        try:
            derivation.genotype.check_buildable()
        except DdartsError as exc:
            self._fail(describe_error(exc))
            return
        self._derivation = derivation
        self.message_label.hide()
        self.message_label.setText("")
        self.strip.set_derivation(derivation.filled_by, derivation.reductions)
        self.export.set_available(True)
        self._request_stats(derivation)
        self.derivation_changed.emit()

    @staticmethod
    def _mark_invalid(widget: QWidget, invalid: bool) -> None:
        if bool(widget.property("invalid")) != invalid:
            widget.setProperty("invalid", invalid)
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def _fail(self, message: str) -> None:
        self._derivation = None
        self._stats_key = None
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

    def _describe_genotype(self, genotype: Genotype | DartsGenotype) -> str:
        if isinstance(genotype, DartsGenotype):
            text = "DARTS-format genotype: one normal and one reduce cell, stacked to the chosen depth"
        else:
            reductions = ", ".join(str(r) for r in genotype.reductions) or "none"
            text = f"{genotype.n_cells} searched cells, reductions at {reductions}"
            if genotype.method:
                at = f" at {genotype.threshold:.2f}" if genotype.threshold is not None else ""
                text += f" · {genotype.method} parse{at}"
        if genotype.source:
            text += f" · from {genotype.source}"
        return text

    def _describe_source(self, derivation: DeriverResult) -> str:
        base = derivation.source.source or (str(self._source_path) if self._source_path else "current run")
        return f"{base}, derived to {derivation.layers} layers"

    # ------------------------------------------------------------------ statistics
    def _request_stats(self, derivation: DeriverResult) -> None:
        options = self._network_options()
        genotype = derivation.genotype
        key = (genotype.cells, genotype.reductions, genotype.concat, tuple(sorted(options.items())))
        self._stats_key = key
        if key in self._stats_cache:
            self._stats_timer.stop()
            self._stats_job = None
            self._stats_runner.cancel()
            self._show_stats(self._stats_cache[key])
            return

        def job() -> tuple[tuple, Any]:
            return key, ddarts.nets.count.describe_network(genotype, **options)

        self.stats_busy.show()
        self._stats_runner.cancel()  # the numbers on the way are for other inputs
        self._stats_job = job
        self._stats_timer.start()  # a burst of spin-box clicks builds one network, not one per click

    def _submit_stats(self) -> None:
        job, self._stats_job = self._stats_job, None
        if job is not None:
            self._stats_runner.submit(job)

    @Slot(int, object)
    def _on_stats(self, _request_id: int, result: Any) -> None:
        key, stats = result
        self._stats_cache[key] = stats
        if key == self._stats_key:
            self._show_stats(stats)

    def _show_stats(self, stats: Any) -> None:
        self.stats_busy.hide()
        aux = stats.params - stats.params_without_aux
        text = f"Parameters: <b>{format_count(stats.params_without_aux)}</b>"
        if aux > 0:
            text += f" ({format_count(stats.params)} with the auxiliary head)"
        size = "×".join(str(d) for d in stats.input_size)
        text += f" · Multiply-adds: <b>{format_count(stats.macs)}</b> · input {size}"
        self.stats_label.setText(text)
        self.stats_ready.emit()

    @Slot(int, str)
    def _on_stats_failed(self, _request_id: int, message: str) -> None:
        self.stats_busy.hide()
        self.stats_label.setText("–")
        self.message_label.setText(f"Cannot build the derived network: {message}")
        self.message_label.show()

    # ------------------------------------------------------------------ export
    def _browse_export(self) -> None:
        if self._derivation is None:
            return
        folder = self.export.choose_folder()
        if folder is not None:
            self.export_to(folder)
