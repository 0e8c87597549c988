"""View refreshes run one per event-loop turn, each at most once however often it was asked for.

A cell selection, a new α or a newly opened run touches every view of the window. Run in one go, their
updates and the painting they cause add up to one long pause of the event loop; queued, each view
updates in its own turn and Qt paints it before the next one starts, so input and timers are answered
in between. A refresh asked for again while it waits runs once (a reset asks every view three times).
"""

from __future__ import annotations

from typing import Callable

import shiboken6
from PySide6.QtCore import QObject, QTimer


class RefreshQueue(QObject):
    """FIFO of callables run one per event-loop turn; `flush` runs what waits now (tests, shutdown)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pending: dict[Callable[[], None], None] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_next)

    def post(self, fn: Callable[[], None]) -> None:
        """Run `fn` in a later turn; a bound method already waiting is not queued twice."""
        self._pending.setdefault(fn, None)
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Run everything that waits, now, in order (including what those refreshes queue meanwhile)."""
        self._timer.stop()
        while self._pending:
            _call(self._pop())

    def clear(self) -> None:
        self._timer.stop()
        self._pending.clear()

    def _pop(self) -> Callable[[], None]:
        fn = next(iter(self._pending))
        del self._pending[fn]
        return fn

    def _run_next(self) -> None:
        if not self._pending:
            return
        fn = self._pop()
        if self._pending:
            self._timer.start()  # before running: a failing refresh must not strand the others
        _call(fn)


def _call(fn: Callable[[], None]) -> None:
    """Run a queued refresh unless its widget was deleted while it waited."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, QObject) and not shiboken6.isValid(owner):
        return
    fn()
