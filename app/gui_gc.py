"""Python's cyclic garbage collection, run only on the GUI thread; installed by
`app.application.create_application`.

Needed for: PySide6-Essentials 6.12.0 / shiboken6 6.12.0 on CPython 3.11.7 (the versions measured;
no PySide6 release so far behaves otherwise). The search, Graphviz renders, network counts and
exports run Python code on other threads. CPython's collector runs on whichever thread happens to
allocate past its threshold, and PySide6 deletes the C++ object of a collected wrapper right there:
a widget caught in a reference cycle is then destroyed off the GUI thread, which Qt forbids (it
deadlocks or crashes, depending on what the widget was doing). tests/app/test_gui_gc.py shows such
off-thread destruction without the collector and none with it.

While the application runs, automatic collection is therefore switched off and a timer on the GUI
thread collects instead, generation by generation, at the interpreter's own thresholds.

A full collection walks every tracked object, and with torch, numpy and pyqtgraph loaded that is a
quarter of a million objects: about 0.1-0.3 s on the GUI thread, each time. Objects that exist when the
collector starts (imported modules) and when the main window is built (`settle`) live as long as the
application, so they are moved to the permanent generation (`gc.freeze`) and full collections only walk
what was created since. The same holds for a burst: when more than FREEZE_BURST objects appeared since
the last check (the first search imports some two thousand modules on its thread: scikit-learn, SciPy,
pandas, torch parts), they are frozen instead of collected, which costs nothing; the few garbage cycles
among them are kept. A burst that arrives over several checks, each below FREEZE_BURST, ends up in the
older generations all the same (0.1-0.25 s collections a few seconds into the first search): before
collecting generation 1 or 2 the collector counts what that collection would walk, and freezes it instead
when it is more than FREEZE_BURST objects.

Remove it when no Python code runs off the GUI thread while widgets exist, or when a PySide6 release
defers deleting collected QObjects to their own thread (the test's case without the collector then
finds no off-thread destruction).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 250
FREEZE_BURST = 50_000
"""More new live objects than this since the last check are frozen, not walked (a collection of that many
takes 0.1-0.3 s on the GUI thread)."""
FROZEN = 3
"""What `check` returns when it froze a burst instead of collecting."""

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
            settle()
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
            gc.unfreeze()
            gc.collect()
            if _was_enabled:
                gc.enable()

    def check(self) -> int:
        """Collect the oldest generation whose allocation count passed its threshold; returns it (-1: none,
        FROZEN: a burst was frozen instead)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] > FREEZE_BURST:
            gc.freeze()
            return FROZEN
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                if generation and objects_to_walk(generation) > FREEZE_BURST:
                    gc.freeze()
                    return FROZEN
                gc.collect(generation)
                return generation
        return -1


def objects_to_walk(generation: int) -> int:
    """Tracked objects a collection of `generation` walks (that generation and the younger ones)."""
    return sum(len(gc.get_objects(g)) for g in range(generation + 1))


def settle() -> None:
    """Collect, then exempt every survivor from later collections: call once long-lived objects exist
    (after imports, after the main window is built) so full collections stay short."""
    gc.collect()
    gc.freeze()


def collection_is_manual() -> bool:
    """True while some window collects on the GUI thread (automatic collection is off)."""
    return _active > 0
