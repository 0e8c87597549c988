"""Auto range in steps for live plots: the view moves ahead of the data, so most new points leave the axes alone.

pyqtgraph's auto range fits the data on every change. In a live search every step then moves the range, and
each move lays out both axes' tick labels again, the largest part of a plot's painting (docs/benchmarks.md).
Here an axis follows the data only when a point falls outside the view or the data fill less than half of
it. It then fits with headroom: x up to the next round value (and a 2 % margin), y by a quarter of the span on
each side.
A user's zoom or pan hands that axis to the user; pyqtgraph's "A" (auto range) button hands it back.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

HEADROOM = 0.25
"""Fraction of the data's span added on each side of a y range."""
MIN_FILL = 0.5
"""Below this share of the view, the data are refitted (a switch to per-epoch values, a new run)."""
MANTISSAS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
"""Round ends for the x axis: at most a third of headroom, so a finished run still fills most of its plot."""
EDGE = 0.02
"""Margin at the x ends, as a share of the range, so markers on the first and last points show whole."""


def nice_ceiling(value: float) -> float:
    """The smallest round value (MANTISSAS × 10^k) at or above `value` (value > 0)."""
    scale = 10.0 ** math.floor(math.log10(value))
    return next(m * scale for m in MANTISSAS if m * scale >= value * (1 - 1e-12))  # 10 × scale always qualifies


def x_range(low: float, high: float) -> tuple[float, float]:
    if high > 0 and low >= 0:
        top = max(nice_ceiling(high), low + 1.0)
    else:
        top = high + HEADROOM * max(high - low, 1.0)
    margin = EDGE * (top - low)
    return low - margin, top + margin


def y_range(low: float, high: float) -> tuple[float, float]:
    span = high - low
    pad = HEADROOM * span if span > 0 else max(abs(high) * 0.1, 1e-3)
    return low - pad, high + pad


class StepRange:
    """Keeps `view`'s auto-ranged axes (both by default) around the data of its items, moving them rarely."""

    def __init__(self, view: pg.ViewBox, axes: tuple[bool, bool] = (True, True)):
        self.view = view
        self.managed = [axes[i] and bool(view.state["autoRange"][i]) for i in (0, 1)]
        self.moves = 0
        """How many times a range was set (tests check that a growing curve rarely moves it)."""
        self._busy = False
        self._take_over()
        view.sigRangeChangedManually.connect(self._user_moved)
        view.sigStateChanged.connect(self._state_changed)

    def _take_over(self) -> None:
        for axis, managed in zip((pg.ViewBox.XAxis, pg.ViewBox.YAxis), self.managed):
            if managed:
                self.view.enableAutoRange(axis, False)

    def _user_moved(self, mask) -> None:  # noqa: ANN001 - pyqtgraph passes [x, y] flags
        for i in (0, 1):
            if mask[i]:
                self.managed[i] = False

    def _state_changed(self, *_args: object) -> None:
        """pyqtgraph's auto-range button enabled its own auto range: take that axis back."""
        turned_on = [i for i in (0, 1) if self.view.state["autoRange"][i]]
        if not turned_on or self._busy:
            return
        self._busy = True  # turning pyqtgraph's auto range off changes the state again
        try:
            for i in turned_on:
                self.managed[i] = True
            self._take_over()
            self.follow(force=True)
        finally:
            self._busy = False

    def _data_bounds(self, axis: int) -> tuple[float, float] | None:
        """The data's extent along `axis` over the view's items (not `childrenBounds`, which pads by the pens'
        width in pixels: that padding changes with the range and would move it again and again)."""
        lows, highs = [], []
        for item in self.view.addedItems:  # items added with ignoreBounds are not listed here
            if not item.isVisible():
                continue
            if hasattr(item, "getOriginalDataset"):  # a curve clipped to the view reports only what it shows
                values = item.getOriginalDataset()[axis]
                data = np.asarray(values if values is not None else (), dtype=float)
                data = data[np.isfinite(data)]
                low, high = (data.min(), data.max()) if data.size else (None, None)
            elif hasattr(item, "dataBounds"):
                low, high = item.dataBounds(axis)
            else:
                continue
            if low is not None and high is not None:
                lows.append(float(low))
                highs.append(float(high))
        return (min(lows), max(highs)) if lows else None

    def follow(self, force: bool = False) -> None:
        """Move each managed axis if the data left its view or fill too little of it; call after new data."""
        if not any(self.managed):
            return
        bounds = [self._data_bounds(0), self._data_bounds(1)]
        current = self.view.viewRange()
        ranges: dict[str, tuple[float, float]] = {}
        for i, key, fit in ((0, "xRange", x_range), (1, "yRange", y_range)):
            if not self.managed[i] or bounds[i] is None:
                continue
            low, high = (float(v) for v in bounds[i])
            if not (math.isfinite(low) and math.isfinite(high)):
                continue
            view_low, view_high = current[i]
            outside = low < view_low or high > view_high
            sparse = (high - low) < MIN_FILL * (view_high - view_low)
            if force or outside or sparse:
                wanted = fit(low, high)
                if not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(wanted, current[i])):
                    ranges[key] = wanted
        if ranges:
            self.moves += 1
            self.view.setRange(**ranges, padding=0)
