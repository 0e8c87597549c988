"""Shared plumbing of the live plots: one PlotWidget, curves created once, hover read-out, redraw on change.

Curves are created once and fed with `setData` (clipped to the view and downsampled by pyqtgraph), and a
panel redraws only when the RunState version moved, so a busy search costs the GUI little. A panel hidden
inside a shown window (a tab behind another, a closed dock) skips its redraws and catches up once when it
is shown again. Axes are painted from a pixmap cache: drawing their tick labels from scratch on every frame
was the largest single cost of the GUI thread during a live search.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..run_model import RunModel
from .axis_grid import AxisGrid
from .label_width import elastic
from .step_range import StepRange

pg.setConfigOptions(antialias=True, background="w", foreground="#2b2b2b")

PALETTE = {
    "blue": "#1f77b4", "orange": "#ff7f0e", "green": "#2ca02c", "red": "#d62728", "purple": "#9467bd",
    "brown": "#8c564b", "grey": "#7f7f7f", "teal": "#17becf",
}
X_STEPS, X_EPOCHS = "steps", "epochs"


def row_mean(values: np.ndarray) -> np.ndarray:
    """Mean over cells of a steps x cells array; NaN where a row has no value (no warning)."""
    if values.ndim != 2 or values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    valid = ~np.isnan(values)
    count = valid.sum(axis=1)
    total = np.where(valid, values, 0.0).sum(axis=1)
    out = np.full(values.shape[0], np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def epoch_means(epochs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group per-step values by (0-based) epoch: returns (1-based epoch numbers, means), NaNs ignored."""
    if len(epochs) == 0:
        return np.empty(0), np.empty(0)
    idx = epochs.astype(np.int64)
    valid = ~np.isnan(values)
    sums = np.bincount(idx[valid], weights=values[valid], minlength=idx.max() + 1)
    counts = np.bincount(idx[valid], minlength=idx.max() + 1)
    present = np.unique(idx)
    means = np.full(len(present), np.nan)
    np.divide(sums[present], counts[present], out=means, where=counts[present] > 0)
    return present + 1.0, means


def literal(text: str) -> str:
    """pyqtgraph draws titles, labels and legend entries as HTML: escape them so "σ < 0.1" reads as written."""
    return html.escape(text, quote=False)


class IntegerAxis(pg.AxisItem):
    """An axis for steps and epochs: ticks only at whole numbers (never 1.2, 1.4, …)."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802 - pyqtgraph API
        levels = [(spacing, [v for v in values if float(v).is_integer()])
                  for spacing, values in super().tickValues(minVal, maxVal, size) if spacing >= 1]
        levels = [(spacing, values) for spacing, values in levels if values]
        if not levels:
            first, last = int(np.ceil(minVal)), int(np.floor(maxVal))
            levels = [(1.0, [float(v) for v in range(first, last + 1)])] if last >= first else []
        return levels


def format_value(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4f}"


def cache_axes(item: pg.PlotItem) -> None:
    """Paint each axis (its ticks, labels and grid) from a pixmap, redrawn only when the axis changes."""
    for side in ("left", "bottom", "right", "top"):
        item.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class PlotPanel(QWidget):
    """A titled pyqtgraph plot with an options row on top and a read-out of the values under the mouse."""

    def __init__(self, model: RunModel, title: str, parent: QWidget | None = None, *, integer_x: bool = False,
                 tooltip: str = ""):
        super().__init__(parent)
        self.model = model
        self._version = -1
        self._stale = False
        self.redraws = 0
        """How many times `redraw` ran (tests check that hidden panels wait)."""
        self._curves: dict[str, pg.PlotDataItem] = {}
        self.step_ranges: list[StepRange] = []
        self._names: dict[str, str] = {}
        self._texts: dict[str, str] = {"title": title}
        """Title and axis labels as last set: setting the same text again would still re-lay the plot out and
        redraw its axes, the largest part of a redraw's painting."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.setSpacing(2)
        self.options = QHBoxLayout()
        self.options.setContentsMargins(4, 0, 4, 0)
        layout.addLayout(self.options)
        axes = {"bottom": IntegerAxis("bottom")} if integer_x else None
        self.plot = pg.PlotWidget(title=literal(title), axisItems=axes)
        self.plot.setToolTip(tooltip)
        AxisGrid.attach(self.plot)  # not showGrid: see axis_grid.py
        self.plot.setMenuEnabled(True)
        for side in ("left", "bottom", "right"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)  # "(x0.001)" suffixes confuse more than help
        cache_axes(self.plot.getPlotItem())
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize="9pt", brush=pg.mkBrush(255, 255, 255, 215),
                                          pen=pg.mkPen("#c8cdd2"))
        layout.addWidget(self.plot, 1)
        self.readout = elastic(QLabel(" "))
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setObjectName("hoverReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.readout)
        self.empty_text = pg.TextItem("", color="#8a8a8a", anchor=(0.5, 0.5))
        self.empty_text.setZValue(10)
        self.plot.addItem(self.empty_text, ignoreBounds=True)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        model.updated.connect(self._schedule_updated)
        model.run_replaced.connect(self.schedule_refresh)
        model.selected_cell_changed.connect(self.schedule_refresh)

    # ------------------------------------------------------------------ building blocks
    def add_x_mode(self) -> QComboBox:
        """A per-step / per-epoch switch (for plots whose metrics exist at both resolutions)."""
        self.options.addWidget(QLabel("x axis:"))
        combo = QComboBox()
        combo.addItem("per step", X_STEPS)
        combo.addItem("per epoch", X_EPOCHS)
        combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.options.addWidget(combo)
        return combo

    def add_curve(self, key: str, name: str, color: str, *, dash: bool = False, width: float = 2.0,
                  symbol: str | None = None, view: pg.ViewBox | None = None) -> pg.PlotDataItem:
        """A curve on the main axes, or on `view` (a second y axis, see `add_right_axis`)."""
        pen = pg.mkPen(color, width=width, style=Qt.PenStyle.DashLine if dash else Qt.PenStyle.SolidLine)
        kwargs = {"symbol": symbol, "symbolSize": 6, "symbolBrush": color, "symbolPen": None} if symbol else {}
        if view is None:
            item = self.plot.plot([], [], name=literal(name), pen=pen, **kwargs)
        else:
            item = pg.PlotDataItem([], [], name=literal(name), pen=pen, **kwargs)
            view.addItem(item)
            self.legend.addItem(item, literal(name))
        self._names[key] = name
        item.setClipToView(True)
        item.setDownsampling(auto=True, method="peak")
        self._curves[key] = item
        return item

    def add_right_axis(self, label: str) -> pg.ViewBox:
        """A second y axis on the right, sharing x, for quantities on a much smaller scale."""
        item = self.plot.getPlotItem()
        view = pg.ViewBox()
        item.showAxis("right")
        item.scene().addItem(view)
        axis = item.getAxis("right")
        axis.linkToView(view)
        axis.enableAutoSIPrefix(False)
        axis.setLabel(label)
        view.setXLink(item)

        def sync() -> None:
            view.setGeometry(item.vb.sceneBoundingRect())
            view.linkedViewChanged(item.vb, view.XAxis)

        item.vb.sigResized.connect(sync)
        sync()
        return view

    def follow_in_steps(self, view: pg.ViewBox | None = None, axes: tuple[bool, bool] = (True, True)) -> StepRange:
        """Auto-ranged axes of `view` (the main one by default) move in steps as data arrive (step_range.py);
        call it once the panel has fixed the ranges it wants fixed."""
        follower = StepRange(view if view is not None else self.plot.getViewBox(), axes)
        self.step_ranges.append(follower)
        return follower

    def curve(self, key: str) -> pg.PlotDataItem:
        return self._curves[key]

    def curve_name(self, key: str) -> str:
        """The curve's name as the user reads it (the legend gets it HTML-escaped)."""
        return self._names[key]

    def rename_curve(self, key: str, name: str) -> None:
        if self._names.get(key) == name:
            return
        self._names[key] = name
        item = self._curves[key]
        item.opts["name"] = literal(name)
        for sample, label in self.legend.items:
            if sample.item is item:
                label.setText(literal(name))

    def legend_texts(self) -> list[str]:
        """The legend entries as drawn (plain text)."""
        return [label.item.toPlainText() for _sample, label in self.legend.items]

    def set_title(self, text: str) -> None:
        if self._texts.get("title") != text:
            self._texts["title"] = text
            self.plot.setTitle(literal(text))

    def set_label(self, side: str, text: str) -> None:
        if self._texts.get(side) != text:
            self._texts[side] = text
            self.plot.setLabel(side, literal(text))

    def curve_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The full data given to a curve (not the downsampled view): tests and read-outs use it."""
        x, y = self._curves[key].getOriginalDataset()
        return (np.empty(0) if x is None else np.asarray(x), np.empty(0) if y is None else np.asarray(y))

    def set_curve(self, key: str, x: np.ndarray, y: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        finite = np.isfinite(y)
        item = self._curves[key]
        if finite.any():
            item.setData(x[finite], y[finite])
        else:
            item.setData([], [])

    def show_message(self, text: str) -> None:
        """A grey note in the middle of the plot (why it is empty); '' hides it."""
        self.empty_text.setText(text)
        if text:
            rect = self.plot.getViewBox().viewRect()
            self.empty_text.setPos(rect.center())
        self.empty_text.setVisible(bool(text))

    # ------------------------------------------------------------------ refresh
    def _on_updated(self) -> None:
        if self.model.state.version != self._version:
            self.refresh()

    def schedule_refresh(self) -> None:
        """Refresh in the model's queue: one view per event-loop turn, once however often asked."""
        self.model.later(self.refresh)

    def _schedule_updated(self) -> None:
        self.model.later(self._on_updated)

    def refresh(self) -> None:
        if self.waits_while_hidden():
            self._stale = True
            return
        self._stale = False
        self._version = self.model.state.version
        self.redraws += 1
        self.redraw()
        for follower in self.step_ranges:
            follower.follow()
        if self.empty_text.isVisible():
            self.empty_text.setPos(self.plot.getViewBox().viewRect().center())

    def waits_while_hidden(self) -> bool:
        """Hidden inside a shown window: nobody sees a redraw now, so it waits for `showEvent`."""
        return not self.isVisible() and self.window().isVisible()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def redraw(self) -> None:  # pragma: no cover - every panel overrides it
        raise NotImplementedError

    # ------------------------------------------------------------------ hover
    def x_label(self) -> str:
        return "x"

    def _on_mouse_moved(self, pos: QPointF) -> None:
        view = self.plot.getViewBox()
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        point = view.mapSceneToView(pos)
        self.readout.setText(self.hover_text(point.x(), point.y()))

    def hover_text(self, x: float, y: float) -> str:
        """Values of every visible curve at the sample nearest to x."""
        parts: list[str] = []
        nearest_x = None
        for key, item in self._curves.items():
            xs, ys = self.curve_data(key)
            if len(xs) == 0:
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            nearest_x = xs[i] if nearest_x is None else nearest_x
            parts.append(f"{self._names[key]} {format_value(ys[i])}")
        if not parts:
            return " "
        return f"{self.x_label()} {nearest_x:g}:  " + "   ".join(parts)
