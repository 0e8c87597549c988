"""A zoomable, pannable view of an SVG diagram, with a place for a message instead of a picture.

Diagrams are shown as vectors (QGraphicsSvgItem), so zooming stays sharp. While the user has not
zoomed or panned the view keeps the diagram fitted; once they have, a new diagram of the same size
(the next epoch of the same cell, typically) keeps their zoom and scroll position.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPoint, QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QWidget,
)

MIN_ZOOM = 0.05
MAX_ZOOM = 20.0
MAX_FIT_ZOOM = 1.5
"""Fitting never enlarges beyond this: a three-node cell blown up to fill a panel looks broken."""


class SvgView(QGraphicsView):
    """Shows SVG bytes; wheel zooms around the cursor, drag pans, double-click fits.

    `clicked(scene_pos)` reports a click that was not a drag, in diagram (item) coordinates.
    """

    clicked = Signal(QPointF)
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setBackgroundBrush(QBrush(QColor("white")))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumSize(160, 120)

        self._renderer: QSvgRenderer | None = None
        self._item: QGraphicsSvgItem | None = None
        self._auto_fit = True
        self._press_pos: QPoint | None = None

        self._message = QLabel(self.viewport())
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setTextFormat(Qt.TextFormat.PlainText)
        self._message.setStyleSheet("color: #555; font-size: 10.5pt; padding: 12px; background: transparent;")
        self._message.hide()

    # ------------------------------------------------------------------ content
    def set_svg(self, data: bytes) -> None:
        """Show a diagram; raises ValueError when the bytes are not a readable SVG (nothing changes then)."""
        renderer = QSvgRenderer(QByteArray(bytes(data)))
        if not renderer.isValid():
            raise ValueError("not a valid SVG document")
        old_size = self._renderer.defaultSize() if self._renderer is not None else None
        same_size = old_size is not None and old_size == renderer.defaultSize() and self._item is not None
        keep = same_size and not self._auto_fit
        h_scroll, v_scroll = self.horizontalScrollBar().value(), self.verticalScrollBar().value()

        self._scene.clear()
        item = QGraphicsSvgItem()
        item.setSharedRenderer(renderer)
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)  # re-rasterise on zoom: stays sharp
        self._scene.addItem(item)
        self._renderer, self._item = renderer, item
        rect = item.boundingRect()
        margin = 0.05 * max(rect.width(), rect.height(), 1.0)
        self._scene.setSceneRect(rect.adjusted(-margin, -margin, margin, margin))
        self._message.hide()
        if keep:
            self.horizontalScrollBar().setValue(h_scroll)
            self.verticalScrollBar().setValue(v_scroll)
        else:
            self._auto_fit = True
            self.fit()

    def show_message(self, text: str) -> None:
        """Replace the diagram by a readable message (dead cell, missing Graphviz, nothing yet)."""
        self._scene.clear()
        self._renderer = None
        self._item = None
        self._message.setText(text)
        self._message.show()
        self._place_message()

    def clear(self) -> None:
        self.show_message("")

    @property
    def message(self) -> str:
        """The message on show, or "" while a diagram is shown."""
        return self._message.text() if self._item is None else ""

    @property
    def has_diagram(self) -> bool:
        return self._item is not None

    @property
    def renderer(self) -> QSvgRenderer | None:
        return self._renderer

    @property
    def svg_item(self) -> QGraphicsSvgItem | None:
        return self._item

    def element_rect(self, element_id: str) -> QRectF:
        """Bounds of an SVG element (by id) in scene coordinates; empty when unknown."""
        renderer = self._renderer
        if renderer is None or self._item is None or not renderer.elementExists(element_id):
            return QRectF()
        rect = renderer.transformForElement(element_id).mapRect(renderer.boundsOnElement(element_id))
        view_box = renderer.viewBoxF()
        size = self._item.boundingRect().size()
        if view_box.width() > 0 and view_box.height() > 0:
            to_item = QTransform()
            to_item.scale(size.width() / view_box.width(), size.height() / view_box.height())
            to_item.translate(-view_box.x(), -view_box.y())
            rect = to_item.mapRect(rect)
        return rect

    # ------------------------------------------------------------------ zoom
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        """Fit the whole diagram in the view (never enlarging past MAX_FIT_ZOOM)."""
        if self._item is None:
            return
        rect = self._scene.sceneRect()
        viewport = self.viewport().rect()
        if rect.isEmpty() or viewport.width() < 2 or viewport.height() < 2:
            return
        scale = min(viewport.width() / rect.width(), viewport.height() / rect.height(), MAX_FIT_ZOOM)
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(rect.center())
        self.zoom_changed.emit(scale)

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom by `factor` keeping the diagram point under `anchor` (viewport pixels) in place."""
        if self._item is None:
            return
        target = min(max(self.zoom * factor, MIN_ZOOM), MAX_ZOOM)
        factor = target / self.zoom
        if abs(factor - 1.0) < 1e-9:
            return
        self._auto_fit = False
        if anchor is None:
            anchor = self.viewport().rect().center()
        before = self.mapToScene(anchor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.scale(factor, factor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        # bring the diagram point that was under the anchor back under it
        shift = self.mapFromScene(before) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + shift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + shift.y())
        self.zoom_changed.emit(self.zoom)

    # ------------------------------------------------------------------ events
    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta == 0 or self._item is None:
            event.ignore()
            return
        self.zoom_by(1.0015 ** delta, event.position().toPoint())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or self._press_pos is None:
            return
        moved = (event.position().toPoint() - self._press_pos).manhattanLength()
        self._press_pos = None
        if moved >= QApplication.startDragDistance():
            self._auto_fit = False  # the user panned: keep their view from now on
        elif self._item is not None:
            self.clicked.emit(self.mapToScene(event.position().toPoint()))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._auto_fit = True
            self.fit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_message()
        if self._auto_fit:
            self.fit()

    def showEvent(self, event) -> None:  # noqa: ANN001 - Qt event type
        super().showEvent(event)
        if self._auto_fit:
            self.fit()

    def _place_message(self) -> None:
        self._message.setGeometry(self.viewport().rect())

    def sizeHint(self):  # noqa: ANN201 - QSize
        hint = super().sizeHint()
        if self._item is not None:
            size: QSizeF = self._item.boundingRect().size()
            hint.setWidth(max(hint.width(), min(int(size.width()) + 24, 900)))
            hint.setHeight(max(hint.height(), min(int(size.height()) + 24, 700)))
        return hint
