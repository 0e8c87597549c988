"""Labels whose text changes while a search runs, without widening the window.

A plain QLabel's minimum width is the width of its text. When a live value, a hover read-out or a warning
grows by a few characters, every layout above it asks for more room, and a window that is not maximised
grows by those pixels (in `python -m app.latency`, from 1500 to 1599 px in the first half minute of the
search, mostly from the contributions plot's mean-MC warning). Each such step resizes every plot beside it,
and they repaint in full in one frame: gaps of 33-48 ms on the GUI thread of the 2-core machine measured,
so about twice that on one half as fast.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

MIN_WIDTH = 1
"""Below its text's width a label is cut at the right (the mean-MC line repeats its text in its tooltip)."""


def elastic(label: QLabel) -> QLabel:
    """Let the layout shrink `label` below its text's width (it still asks for its text's width)."""
    label.setMinimumWidth(MIN_WIDTH)
    return label
