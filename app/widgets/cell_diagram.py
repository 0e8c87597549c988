"""The selected cell's DAG at any epoch of the search, parsed live from α with the chosen method.

Parsing here (rather than showing only the genotypes the engine stored) lets the user replay the
whole search with another parse method or threshold. Graphviz runs off the GUI thread and only when
the parsed cell actually changed, so following a live search costs one render per changed epoch.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..graphviz_render import GraphvizRenderer, RendererOwner, describe_error
from ..run_model import RunModel
from ..viewmodels.cell_view import CellView, cell_header, cell_view, dead_cell_message
from .label_width import elastic
from .svg_view import SvgView
from ddarts.errors import DdartsError
from ddarts.genotype.core import PARSE_METHODS
from ddarts.genotype.diagram import cell_dot
from ddarts.runs.choice import parse_settings


class CellDiagram(RendererOwner, QWidget):
    """Selected cell's DAG with parse method, threshold and an epoch slider that can follow the search."""

    view_changed = Signal()
    """The header/diagram now describe another cell, epoch or parse (the SVG may still be rendering)."""

    def __init__(self, model: RunModel, parent: QWidget | None = None,
                 render_fn: Callable[[str], bytes] | None = None):
        super().__init__(parent)
        self._model = model
        self._epochs: list[int] = []
        self._syncing = False
        self._shown_key: tuple | None = None
        self._current: CellView | None = None

        self._renderer = GraphvizRenderer(self, render_fn)
        self._renderer.rendered.connect(self._on_rendered)
        self._renderer.failed.connect(self._on_render_failed)

        self.header = elastic(QLabel("Cell"))  # live text: never widens the dock
        self.header.setObjectName("cellDiagramHeader")
        self.header.setStyleSheet("font-weight: 600; color: #1f3b57; padding: 2px 0;")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.method_combo = QComboBox()
        self.method_combo.addItems(PARSE_METHODS)
        self.method_combo.setToolTip("darts: 2 strongest edges per node, strongest op on each\n"
                                     "sparse: the same edges, op kept only if its weight ≥ threshold\n"
                                     "edge: every edge, up to 2 ops with weight ≥ threshold")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setDecimals(2)
        self.threshold_spin.setKeyboardTracking(False)
        self.threshold_spin.setToolTip("Keep an op when its weight σ(α) reaches this value (sparse, edge)")

        self.prev_button = QToolButton()
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("Previous epoch")
        self.prev_button.setAutoRepeat(True)
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next epoch")
        self.next_button.setAutoRepeat(True)
        self.epoch_slider = QSlider(Qt.Orientation.Horizontal)
        self.epoch_slider.setPageStep(5)
        self.epoch_slider.setToolTip("Epoch whose α is parsed")
        self.epoch_label = QLabel("–")
        self.epoch_label.setMinimumWidth(54)
        self.epoch_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.follow_box = QCheckBox("Follow latest")
        self.follow_box.setChecked(True)
        self.follow_box.setToolTip("Show each new epoch as the search produces it")

        self.view = SvgView()
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        parse_row = QHBoxLayout()
        parse_row.addWidget(QLabel("Parse"))
        parse_row.addWidget(self.method_combo)
        parse_row.addSpacing(8)
        parse_row.addWidget(QLabel("Threshold"))
        parse_row.addWidget(self.threshold_spin)
        parse_row.addStretch(1)
        epoch_row = QHBoxLayout()
        epoch_row.addWidget(self.prev_button)
        epoch_row.addWidget(self.epoch_slider, 1)
        epoch_row.addWidget(self.next_button)
        epoch_row.addWidget(self.epoch_label)
        epoch_row.addWidget(self.follow_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addLayout(parse_row)
        layout.addLayout(epoch_row)
        layout.addWidget(self.view, 1)

        self.method_combo.currentTextChanged.connect(lambda _text: self._refresh())
        self.threshold_spin.valueChanged.connect(lambda _value: self._refresh())
        self.epoch_slider.valueChanged.connect(self._on_slider)
        self.prev_button.clicked.connect(lambda: self.step_epoch(-1))
        self.next_button.clicked.connect(lambda: self.step_epoch(+1))
        self.follow_box.toggled.connect(self._on_follow_toggled)
        model.updated.connect(self._schedule_update)
        model.genotype_changed.connect(self._schedule_update)
        model.run_replaced.connect(self._on_run_replaced)
        model.selected_cell_changed.connect(self._schedule_refresh)

        self._on_run_replaced()
        self._on_model_updated()

    # ------------------------------------------------------------------ public
    @property
    def method(self) -> str:
        return self.method_combo.currentText()

    def set_method(self, method: str) -> None:
        if method not in PARSE_METHODS:
            raise ValueError(f"unknown parse method {method!r}; expected one of {', '.join(PARSE_METHODS)}")
        self.method_combo.setCurrentText(method)

    @property
    def threshold(self) -> float:
        return float(self.threshold_spin.value())

    def set_threshold(self, value: float) -> None:
        self.threshold_spin.setValue(float(value))

    @property
    def following(self) -> bool:
        return self.follow_box.isChecked()

    def set_following(self, on: bool) -> None:
        self.follow_box.setChecked(bool(on))

    @property
    def epoch(self) -> int | None:
        """0-based epoch on show, None when there is none (no α and no stored genotype per epoch)."""
        if not self._epochs:
            return None
        return self._epochs[min(self.epoch_slider.value(), len(self._epochs) - 1)]

    def set_epoch(self, epoch: int) -> None:
        """Show a 0-based epoch; going back in time stops following the search."""
        if epoch not in self._epochs:
            raise ValueError(f"no α or genotype for epoch {epoch + 1}")
        self.epoch_slider.setValue(self._epochs.index(epoch))

    def step_epoch(self, delta: int) -> None:
        if self._epochs:
            self.epoch_slider.setValue(max(0, min(len(self._epochs) - 1, self.epoch_slider.value() + delta)))

    @property
    def current(self) -> CellView | None:
        """The cell on show (None when there is nothing to show)."""
        return self._current

    # ------------------------------------------------------------------ model
    def _schedule_update(self) -> None:
        self._model.later(self._on_model_updated)

    def _schedule_refresh(self) -> None:
        self._model.later(self._refresh)

    def _on_run_replaced(self) -> None:
        method, threshold = parse_settings(self._model.state.config)
        self._syncing = True
        try:
            self.method_combo.setCurrentText(method)
            self.threshold_spin.setValue(threshold)
            self.follow_box.setChecked(True)
            self.epoch_slider.setRange(0, 0)
        finally:
            self._syncing = False
        self._epochs = []
        self._shown_key = None
        self._model.later(self._on_model_updated)

    def _on_model_updated(self) -> None:
        epochs = self._model.state.genotype_epochs()
        if epochs != self._epochs:
            previous = self.epoch
            self._epochs = epochs
            self._syncing = True
            try:
                self.epoch_slider.setRange(0, max(0, len(epochs) - 1))
                if self.following or previous not in epochs:
                    self.epoch_slider.setValue(len(epochs) - 1 if epochs else 0)
                else:
                    self.epoch_slider.setValue(epochs.index(previous))
            finally:
                self._syncing = False
        self._refresh()

    def _on_slider(self, _index: int) -> None:
        if self._syncing:
            return
        if self._epochs and self.epoch_slider.value() < len(self._epochs) - 1 and self.following:
            self._syncing = True
            try:
                self.follow_box.setChecked(False)
            finally:
                self._syncing = False
        self._refresh()

    def _on_follow_toggled(self, on: bool) -> None:
        if on and not self._syncing and self._epochs:
            self.epoch_slider.setValue(len(self._epochs) - 1)
        self._refresh()

    # ------------------------------------------------------------------ what to show
    def _resolve(self) -> CellView | None:
        """The genotype for the chosen epoch and parse; raises DdartsError on unusable α."""
        return cell_view(self._model.state, self.epoch, self.method, self.threshold, self._model.selected_cell,
                         live=self.following)

    def _refresh(self) -> None:
        if self._syncing:
            return
        self._update_epoch_controls()
        self.threshold_spin.setEnabled(self.method != "darts")
        try:
            current = self._resolve()
        except (DdartsError, ValueError) as exc:
            self._current = None
            self._show_message(f"Cannot parse the α of this epoch: {describe_error(exc)}")
            self.header.setText("Cell")
            self.view_changed.emit()
            return
        self._current = current
        if current is None:
            self.header.setText(f"Cell {self._model.selected_cell}")
            self._show_message("The cell diagram appears once the search has finished its first epoch "
                               "(or open a run folder or genotype file).")
            self.view_changed.emit()
            return
        self.header.setText(cell_header(current, self.method))
        self.header.setToolTip(current.genotype.source or "")
        if not current.genotype.live_nodes(current.cell):
            self._show_message(dead_cell_message(current, self.threshold))
        elif current.key != self._shown_key:
            self._draw(current)
        self.view_changed.emit()

    def _update_epoch_controls(self) -> None:
        n = len(self._epochs)
        index = self.epoch_slider.value()
        self.epoch_slider.setEnabled(n > 1)
        self.prev_button.setEnabled(n > 1 and index > 0)
        self.next_button.setEnabled(n > 1 and index < n - 1)
        if n:
            last = (self._model.state.config or {}).get("epochs")
            total = f"/{last}" if isinstance(last, int) else f"/{self._epochs[-1] + 1}"
            self.epoch_label.setText(f"{self._epochs[index] + 1}{total}")
        else:
            self.epoch_label.setText("–")

    # ------------------------------------------------------------------ drawing
    def _draw(self, current: CellView) -> None:
        try:
            dot = cell_dot(current.genotype, current.cell)
        except DdartsError as exc:
            self._show_message(f"Cannot draw cell {current.cell}: {exc}")
            return
        self._shown_key = current.key
        if not self.view.has_diagram:
            self.view.show_message("Drawing…")
        self._renderer.request(dot)

    def _show_message(self, text: str) -> None:
        self._renderer.cancel()
        self._shown_key = None
        self.view.show_message(text)

    def _on_rendered(self, _request_id: int, svg: bytes) -> None:
        try:
            self.view.set_svg(svg)
        except ValueError as exc:
            self._shown_key = None
            self.view.show_message(f"Graphviz returned an unreadable picture: {exc}")

    def _on_render_failed(self, _request_id: int, message: str) -> None:
        self.view.show_message(f"Cannot draw the cell diagram.\n\n{message}")
