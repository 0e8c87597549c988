"""The searched cells, normal or reduction; choosing one selects it in every view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..run_model import RunModel
from ddarts.errors import DdartsError
from ddarts.genotype.core import Genotype

REDUCTION_COLOUR = QColor("#b85c00")


class CellList(QWidget):
    def __init__(self, model: RunModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setObjectName("cellList")
        self.list.currentRowChanged.connect(self._on_row_changed)
        layout.addWidget(self.list, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.summary)
        self._shown: tuple = ()
        model.updated.connect(self.schedule_refresh)
        model.run_replaced.connect(self.schedule_refresh)
        model.genotype_changed.connect(self.schedule_refresh)
        model.selected_cell_changed.connect(self._on_model_selected)
        self.refresh()

    def schedule_refresh(self) -> None:
        """Refresh in a later event-loop turn (the model's queue), once however often asked meanwhile."""
        self.model.later(self.refresh)

    def refresh(self) -> None:
        state = self.model.state
        n = int(state.n_cells or 0)
        genotype = self._latest_genotype()
        ops = tuple(len(genotype.live_edges(i)) if genotype is not None and i < genotype.n_cells else None
                    for i in range(n))
        key = (n, tuple(state.reductions), ops)
        if key == self._shown:
            return
        self._shown = key
        self.list.blockSignals(True)
        self.list.clear()
        for i in range(n):
            reduction = i in state.reductions
            text = f"Cell {i}  ·  {'reduction' if reduction else 'normal'}"
            if ops[i] is not None:
                text += f"  ·  {ops[i]} op{'s' if ops[i] != 1 else ''}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, i)
            item.setToolTip(f"cell {i}: {'reduction (stride 2, channels ×2)' if reduction else 'normal'} cell")
            if reduction:
                item.setForeground(QBrush(REDUCTION_COLOUR))
            self.list.addItem(item)
        if n:
            self.list.setCurrentRow(min(self.model.selected_cell, n - 1))
        self.list.blockSignals(False)
        text = f"{n} cells, reductions at {', '.join(map(str, state.reductions))}" if n else "No run loaded"
        if genotype is not None:
            parse = genotype.method or state.config.get("parse", "?")
            threshold = genotype.threshold if genotype.threshold is not None else state.config.get("threshold")
            text += f".\nOps: {parse} parse" + (f", σ ≥ {threshold:g}" if parse != "darts" and threshold
                                                   is not None else "")
        self.summary.setText(text)

    def _latest_genotype(self) -> Genotype | None:
        """The run's final genotype, else the newest (live α included), with the run's parse settings."""
        try:
            choice = self.model.state.genotype_for(final_first=True)
        except (DdartsError, ValueError):
            return None  # unusable α: the diagrams say why
        return choice.genotype if choice is not None else None

    def _on_row_changed(self, row: int) -> None:
        if row >= 0:
            self.model.set_selected_cell(row)

    def _on_model_selected(self, i: int) -> None:
        if self.list.currentRow() != i and i < self.list.count():
            self.list.blockSignals(True)
            self.list.setCurrentRow(i)
            self.list.blockSignals(False)
