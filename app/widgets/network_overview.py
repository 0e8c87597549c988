"""The whole searched network as a chain of cells; clicking a cell selects it in every view.

Cell boxes are found in the rendered SVG by their Graphviz node titles (`cell<i>`, as written by
`ddarts.genotype.diagram.network_dot`), so the selection highlight is an overlay and never costs a re-render.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from ..graphviz_render import GraphvizRenderer, RendererOwner, describe_error
from ..run_model import RunModel
from ..viewmodels.cell_view import network_caption, network_header, per_cell
from .label_width import elastic
from .svg_view import SvgView
from ddarts.errors import DdartsError
from ddarts.genotype.core import PARSE_METHODS, Genotype
from ddarts.genotype.diagram import network_dot

_CELL_TITLE = re.compile(r"cell\s*_?(\d+)")
_SVG_NS = "{http://www.w3.org/2000/svg}"
HIGHLIGHT_COLOUR = "#2f74b5"


def cell_elements(svg: bytes) -> dict[int, str]:
    """Map cell index -> SVG element id of its Graphviz node group."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return {}
    found: dict[int, str] = {}
    for group in root.iter(f"{_SVG_NS}g"):
        if group.get("class") != "node" or not group.get("id"):
            continue
        title = group.find(f"{_SVG_NS}title")
        match = _CELL_TITLE.fullmatch((title.text or "").strip()) if title is not None else None
        if match:
            found[int(match.group(1))] = group.get("id")
    return found


class NetworkOverview(RendererOwner, QWidget):
    """Overview diagram of the current genotype (latest α parsed with the run's method and threshold)."""

    cell_clicked = Signal(int)

    def __init__(self, model: RunModel, parent: QWidget | None = None,
                 render_fn: Callable[[str], bytes] | None = None):
        super().__init__(parent)
        self._model = model
        self._method: str | None = None
        self._threshold: float | None = None
        self._genotype: Genotype | None = None
        self._shown_key: tuple | None = None
        self._stale = False
        self._cell_rects: dict[int, QRectF] = {}
        self._highlight: QGraphicsRectItem | None = None

        self._renderer = GraphvizRenderer(self, render_fn)
        self._renderer.rendered.connect(self._on_rendered)
        self._renderer.failed.connect(self._on_render_failed)

        self.header = elastic(QLabel("Network"))  # live text: never widens the dock
        self.header.setObjectName("networkOverviewHeader")
        self.header.setStyleSheet("font-weight: 600; color: #1f3b57; padding: 2px 0;")
        self.view = SvgView()
        self.view.setToolTip("Click a cell to select it · wheel to zoom · drag to pan · double-click to fit")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.view, 1)

        self.view.clicked.connect(self._on_view_clicked)
        model.genotype_changed.connect(self._schedule_refresh)
        model.run_replaced.connect(self._on_run_replaced)
        model.selected_cell_changed.connect(lambda _i: self._update_highlight())
        self._refresh()

    # ------------------------------------------------------------------ public
    def set_parse(self, method: str | None, threshold: float | None = None) -> None:
        """Parse α with this method/threshold instead of the run's own (None: the run's setting)."""
        if method is not None and method not in PARSE_METHODS:
            raise ValueError(f"unknown parse method {method!r}; expected one of {', '.join(PARSE_METHODS)}")
        self._method, self._threshold = method, threshold
        self._refresh()

    @property
    def genotype(self) -> Genotype | None:
        return self._genotype

    @property
    def cell_rects(self) -> dict[int, QRectF]:
        """Cell boxes in scene coordinates of the diagram on show."""
        return dict(self._cell_rects)

    def select_cell_at(self, scene_pos: QPointF) -> int | None:
        """Select the cell whose box contains `scene_pos`; returns it (None outside every cell)."""
        for cell, rect in self._cell_rects.items():
            if rect.contains(scene_pos):
                try:
                    self._model.set_selected_cell(cell)
                except ValueError:
                    return None  # the diagram is of another genotype than the run's (e.g. more cells)
                self.cell_clicked.emit(cell)
                return cell
        return None

    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        super().showEvent(event)
        if self._stale:
            self._refresh()

    # ------------------------------------------------------------------ internals
    def _schedule_refresh(self) -> None:
        self._model.later(self._refresh)

    def _on_run_replaced(self) -> None:
        self._shown_key = None
        self._model.later(self._refresh)

    def _resolve(self) -> tuple[Genotype | None, str]:
        """The newest genotype of the run with this view's parse settings (None: the run's own)."""
        choice = self._model.state.genotype_for(None, self._method, self._threshold)
        if choice is None:
            return None, ""
        return choice.genotype, network_caption(choice)

    def _refresh(self) -> None:
        if not self.isVisible() and self.window().isVisible():
            self._stale = True  # behind another dock tab: parse and render once it is shown
            return
        self._stale = False
        try:
            genotype, where = self._resolve()
        except (DdartsError, ValueError) as exc:
            self._genotype = None
            self._show_message(f"Cannot parse the α: {describe_error(exc)}")
            return
        genotype = per_cell(genotype) if genotype is not None else None
        self._genotype = genotype
        if genotype is None:
            self.header.setText("Network")
            self._show_message("The network overview appears once the search has finished its first epoch.")
            return
        self.header.setText(network_header(genotype, where))
        key = (genotype.cells, genotype.reductions)
        if key == self._shown_key:
            return
        try:
            dot = network_dot(genotype)
        except DdartsError as exc:
            self._show_message(f"Cannot draw the network: {exc}")
            return
        self._shown_key = key
        if not self.view.has_diagram:
            self.view.show_message("Drawing…")
        self._renderer.request(dot)

    def _show_message(self, text: str) -> None:
        self._renderer.cancel()
        self._shown_key = None
        self._cell_rects = {}
        self._highlight = None
        self.view.show_message(text)

    def _on_rendered(self, _request_id: int, svg: bytes) -> None:
        try:
            self.view.set_svg(svg)
        except ValueError as exc:
            self._shown_key = None
            self.view.show_message(f"Graphviz returned an unreadable picture: {exc}")
            return
        self._cell_rects = {cell: self.view.element_rect(element)
                            for cell, element in cell_elements(svg).items()}
        self._highlight = None  # set_svg cleared the scene
        self._update_highlight()

    def _on_render_failed(self, _request_id: int, message: str) -> None:
        self._cell_rects = {}
        self._highlight = None
        self.view.show_message(f"Cannot draw the network diagram.\n\n{message}")

    def _update_highlight(self) -> None:
        rect = self._cell_rects.get(self._model.selected_cell)
        if rect is None or rect.isEmpty() or not self.view.has_diagram:
            if self._highlight is not None:
                self._highlight.setVisible(False)
            return
        if self._highlight is None:
            pen = QPen(QColor(HIGHLIGHT_COLOUR), 3.0)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            self._highlight = QGraphicsRectItem()
            self._highlight.setPen(pen)
            self._highlight.setZValue(10)
            self.view.scene().addItem(self._highlight)
        self._highlight.setRect(rect.adjusted(-4, -4, 4, 4))
        self._highlight.setVisible(True)

    def _on_view_clicked(self, scene_pos: QPointF) -> None:
        self.select_cell_at(scene_pos)
