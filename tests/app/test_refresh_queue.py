"""RefreshQueue: view refreshes run later, one per turn, once however often asked, never for a deleted widget."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QWidget

from app.refresh_queue import RefreshQueue


class Counter:
    def __init__(self, queue: RefreshQueue | None = None, name: str = "", log: list | None = None):
        self.calls = 0
        self.queue, self.name, self.log = queue, name, log
        self.pending_when_run: int | None = None

    def refresh(self) -> None:
        self.calls += 1
        if self.log is not None:
            self.log.append(self.name)
        if self.queue is not None:
            self.pending_when_run = self.queue.pending


def test_a_refresh_asked_for_three_times_runs_once_and_later(qtbot):
    queue = RefreshQueue()
    counter = Counter()
    for _ in range(3):
        queue.post(counter.refresh)
    assert counter.calls == 0 and queue.pending == 1
    qtbot.waitUntil(lambda: counter.calls == 1)
    qtbot.wait(20)
    assert counter.calls == 1 and queue.pending == 0


def test_each_turn_runs_one_refresh_in_the_order_asked(qtbot):
    queue = RefreshQueue()
    log: list[str] = []
    first, second, third = (Counter(queue, name, log) for name in ("first", "second", "third"))
    for counter in (first, second, third):
        queue.post(counter.refresh)
    qtbot.waitUntil(lambda: len(log) == 3)
    assert log == ["first", "second", "third"]
    assert (first.pending_when_run, second.pending_when_run, third.pending_when_run) == (2, 1, 0)


def test_flush_runs_everything_now_including_what_refreshes_queue_meanwhile(qtbot):
    queue = RefreshQueue()
    later = Counter()
    chained = Counter()
    queue.post(lambda: queue.post(later.refresh))
    queue.post(chained.refresh)
    queue.flush()
    assert later.calls == 1 and chained.calls == 1 and queue.pending == 0


def test_a_deleted_widget_is_not_refreshed(qtbot):
    queue = RefreshQueue()
    refreshed: list[int] = []

    class View(QWidget):
        def refresh(self) -> None:
            refreshed.append(1)

    view = View()
    queue.post(view.refresh)
    shiboken6.delete(view)  # the C++ widget goes while its refresh waits
    qtbot.waitUntil(lambda: queue.pending == 0)
    assert refreshed == []


def test_a_failing_refresh_does_not_strand_the_others(qtbot):
    queue = RefreshQueue()
    after = Counter()

    def fail() -> None:
        raise RuntimeError("broken view")

    with qtbot.capture_exceptions() as exceptions:
        queue.post(fail)
        queue.post(after.refresh)
        qtbot.waitUntil(lambda: after.calls == 1)
    assert len(exceptions) == 1 and "broken view" in str(exceptions[0][1])
