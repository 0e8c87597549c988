"""Python's cyclic garbage collection, run only on the GUI thread.

The search, Graphviz renders and network counts run Python code on other threads. If the collector
fired there, it could destroy a Qt widget that ended up in a reference cycle, off the GUI thread, and
Qt then deadlocks or crashes. While the application window is open, automatic collection is
therefore switched off and a timer on the GUI thread collects instead, generation by generation,
at the interpreter's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 250

_active = 0
_was_enabled = True


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Take over collection (nested collectors share one switch; the last stop gives it back)."""
        global _active, _was_enabled
        if self._running:
            return
        if _active == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _active += 1
        self._running = True
        self._timer.start()

    def stop(self) -> None:
        global _active
        if not self._running:
            return
        self._timer.stop()
        self._running = False
        _active -= 1
        if _active == 0:
            gc.collect()
            if _was_enabled:
                gc.enable()

    def check(self) -> int:
        """Collect the oldest generation whose allocation count passed its threshold; returns it (-1: none)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return generation
        return -1


def collection_is_manual() -> bool:
    """True while some window collects on the GUI thread (automatic collection is off)."""
    return _active > 0
