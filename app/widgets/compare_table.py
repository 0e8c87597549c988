"""The runs being compared, one row each: varied values, status, progress, best top-1, dominant share."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..viewmodels.compare import CompareModel


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{value * 100:.1f}%"


class CompareTable(QTableWidget):
    selection_changed = Signal(list)
    """Names of the selected runs."""
    run_activated = Signal(str)
    """The run folder of a double-clicked row."""

    def __init__(self, model: CompareModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.setColumnCount(len(model.columns()))
        self.setHorizontalHeaderLabels(model.columns())
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.itemSelectionChanged.connect(lambda: self.selection_changed.emit(self.selected_names()))
        self.cellDoubleClicked.connect(self._on_double_click)
        self.update_rows()

    def selected_names(self) -> list[str]:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        return [self.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows if self.item(r, 0) is not None]

    def update_rows(self) -> None:
        """Write every cell in place (the selection and scroll position stay)."""
        rows = self.model.rows()
        if self.rowCount() != len(rows):
            self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [row.name, *row.values, row.status.replace("_", " "), f"{row.progress * 100:.0f}%",
                     _percent(row.best_acc), _percent(row.final_dominant)]
            for c, text in enumerate(cells):
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    if c >= len(cells) - 3:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.setItem(r, c, item)
                if item.text() != text:
                    item.setText(text)
            first = self.item(r, 0)
            if first.data(Qt.ItemDataRole.UserRole) != row.name:
                first.setData(Qt.ItemDataRole.UserRole, row.name)
                first.setIcon(_swatch(self.model.colour(row.name)))
                first.setToolTip(row.run_dir)

    def _on_double_click(self, row: int, _column: int) -> None:
        item = self.item(row, 0)
        if item is not None:
            self.run_activated.emit(str(self.model.entry(item.data(Qt.ItemDataRole.UserRole)).run_dir))
