"""The Algorithm 1 strip: one box per position of the derived network, naming the searched cell that fills it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QHelpEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QToolTip, QWidget

NORMAL_FILL, NORMAL_EDGE = QColor("#dbe9f6"), QColor("#4f86c0")
REDUCTION_FILL, REDUCTION_EDGE = QColor("#fde0c5"), QColor("#d95f02")


class DerivationStrip(QWidget):
    """One box per derived position showing the searched cell that fills it; reductions in orange."""

    BOX_MIN, BOX_MAX, GAP, BOX_HEIGHT = 22, 46, 4, 34

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._filled: tuple[int | str, ...] = ()
        self._reductions: frozenset[int] = frozenset()
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def scroll_area(self) -> QScrollArea:
        """The strip in a horizontal scroller, for derived networks wider than the panel."""
        scroll = QScrollArea()
        scroll.setWidget(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedHeight(self.BOX_HEIGHT + 40)
        return scroll

    @staticmethod
    def legend() -> QLabel:
        label = QLabel(
            f'<span style="color:{NORMAL_EDGE.name()}">■</span> normal &nbsp; '
            f'<span style="color:{REDUCTION_EDGE.name()}">■</span> reduction &nbsp; '
            '<span style="color:#6b7682">box: searched cell that fills the position · below: position</span>'
        )
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

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
