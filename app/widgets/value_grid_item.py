"""The numbers written over a heat map, painted by one graphics item in one pass.

A text item per cell (98 of them for 14 edges x 7 ops) cost the GUI thread about 10 ms a frame to lay
out and paint, and 25 ms to update on every cell selection; one item drawing short strings does both
in a fraction of that.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsObject, QStyleOptionGraphicsItem, QWidget

DARK, LIGHT = QColor("#000000"), QColor("#ffffff")


class ValueGridItem(QGraphicsObject):
    """Cell (i, j) of a rows x cols grid, in view units, shows its value; dark text on bright cells."""

    def __init__(self, rows: int, cols: int, font: QFont, bright_above: float = 0.6):
        super().__init__()
        self._rows, self._cols = rows, cols
        self._font = font
        self._bright_above = bright_above
        self._values: np.ndarray | None = None
        self._texts: list[list[str]] = []

    def set_values(self, values: np.ndarray | None) -> None:
        """A rows x cols array, or None to show nothing."""
        if values is None:
            self._values, self._texts = None, []
        else:
            self._values = np.asarray(values, dtype=float).reshape(self._rows, self._cols)
            self._texts = [[f"{v:.2f}" for v in row] for row in self._values]
        self.update()

    def text(self, i: int, j: int) -> str:
        """What cell (i, j) reads ('' when nothing is shown)."""
        return self._texts[i][j] if self._texts else ""

    def fits(self, cell_width: float, cell_height: float) -> bool:
        """Whether a number fits in a cell of this size in device pixels (the widest text is "0.00")."""
        metrics = QFontMetricsF(self._font)
        return cell_height >= metrics.height() and cell_width >= metrics.horizontalAdvance("0.00") + 2

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(0, 0, self._cols, self._rows)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self._values is None:
            return
        to_device = painter.transform()
        cell = to_device.mapRect(QRectF(0, 0, 1, 1))
        if not self.fits(cell.width(), cell.height()):
            return  # a squeezed grid keeps its colours; overlapping numbers would be unreadable
        painter.save()
        painter.resetTransform()  # text keeps its size however the view stretches the grid
        painter.setFont(self._font)
        for i, row in enumerate(self._texts):
            for j, text in enumerate(row):
                centre = to_device.map(QPointF(j + 0.5, i + 0.5))
                painter.setPen(DARK if self._values[i, j] > self._bright_above else LIGHT)
                painter.drawText(QRectF(centre.x() - 40, centre.y() - 12, 80, 24), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
