"""GuiThreadCollector: automatic collection is off while a window lives and collection runs on the GUI thread."""

from __future__ import annotations

import gc

from app.gui_gc import GuiThreadCollector, collection_is_manual


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_nested_collectors_share_the_switch(qapp):
    assert gc.isenabled()
    first, second = GuiThreadCollector(), GuiThreadCollector()
    first.start()
    second.start()
    assert not gc.isenabled() and collection_is_manual()
    first.stop()
    assert not gc.isenabled()  # the second one still collects
    second.stop()
    assert gc.isenabled() and not collection_is_manual()


def test_check_collects_once_a_threshold_is_passed(qapp):
    collector = GuiThreadCollector()
    collector.start()
    try:
        gc.collect()
        assert collector.check() == -1  # nothing allocated since
        import weakref

        cycle = Cycle()
        ref = weakref.ref(cycle)
        del cycle
        junk = [[] for _ in range(gc.get_threshold()[0] + 10)]
        assert ref() is not None  # automatic collection is off: the cycle survives ...
        assert collector.check() >= 0
        assert ref() is None  # ... until the GUI thread collects
        del junk
    finally:
        collector.stop()


def test_timer_drives_the_collection(qtbot):
    collector = GuiThreadCollector(interval_ms=10)
    collector.start()
    try:
        seen = []
        original = collector.check
        collector._timer.timeout.disconnect(collector.check)
        collector._timer.timeout.connect(lambda: seen.append(original()))
        qtbot.waitUntil(lambda: len(seen) >= 2, timeout=2000)
    finally:
        collector.stop()
