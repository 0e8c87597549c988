"""GuiThreadCollector: shows the defect it guards against (widgets destroyed off the GUI thread), and how it
takes over collection."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref
from pathlib import Path

from app.gui_gc import GuiThreadCollector, collection_is_manual

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import gc, json, sys, threading
from app.application import create_application
from app.gui_gc import GuiThreadCollector
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget
app = create_application([])
if sys.argv[1] == "off":
    from app.application import installed_workarounds
    installed_workarounds().collector.stop()  # back to CPython's automatic collection
where = []
class Holder:  # a widget caught in a reference cycle, as signal lambdas and parents make them
    def __init__(self):
        self.me = self
        self.widget = QWidget()
        self.label = QLabel("x", self.widget)
        QTimer(self.widget).start(1000)
    def __del__(self):
        where.append(threading.current_thread() is threading.main_thread())
def worker():  # Python work off the GUI thread, like a search step: it allocates
    for _ in range(50):
        junk = [[] for _ in range(1000)]
gc.collect()
for _ in range(5):
    for _ in range(40):
        Holder()
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    app.processEvents()
    app.sendPostedEvents()
gc.collect()
print(json.dumps({"off_thread": where.count(False), "gui_thread": where.count(True)}))
"""


def destroyed_where(mode: str) -> dict:
    result = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env={"PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
                                              "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_without_the_collector_widgets_die_on_a_worker_thread_and_with_it_never():
    automatic, collector = destroyed_where("off"), destroyed_where("on")
    assert automatic["off_thread"] > 0, automatic  # the defect: Qt widgets destroyed off the GUI thread
    assert collector == {"off_thread": 0, "gui_thread": 200}, collector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_nested_collectors_share_the_switch(qapp):
    before = gc.isenabled()
    first, second = GuiThreadCollector(), GuiThreadCollector()
    first.start()
    second.start()
    assert not gc.isenabled() and collection_is_manual()
    first.stop()
    assert not gc.isenabled()  # the second one still collects
    second.stop()
    assert gc.isenabled() == before  # the application's own collector (if any) still holds the switch


def test_check_collects_once_a_threshold_is_passed(qapp):
    collector = GuiThreadCollector()
    collector.start()
    try:
        gc.collect()
        assert collector.check() == -1  # nothing allocated since
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


def test_settle_exempts_survivors_and_still_collects_new_cycles(qapp):
    from app.gui_gc import settle

    settle()
    assert gc.get_freeze_count() > 0  # imports and long-lived widgets: never walked again
    cycle = Cycle()
    ref = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert ref() is None  # what is created after settling is collected as before


def test_a_burst_of_new_objects_is_frozen_not_walked(qapp):
    from app.gui_gc import FREEZE_BURST, FROZEN

    collector = GuiThreadCollector()
    collector.start()
    try:
        gc.collect()
        frozen_before = gc.get_freeze_count()
        burst = [[] for _ in range(FREEZE_BURST + 1000)]  # as a first search importing its modules
        assert collector.check() == FROZEN
        assert gc.get_freeze_count() >= frozen_before + FREEZE_BURST
        assert gc.get_count()[0] < FREEZE_BURST  # nothing left to walk
        del burst
    finally:
        collector.stop()


def test_a_burst_that_arrived_over_several_checks_is_frozen_before_an_older_collection(qapp):
    from app.gui_gc import FREEZE_BURST, FROZEN, objects_to_walk

    collector = GuiThreadCollector()
    collector.start()
    try:
        gc.collect()
        frozen_before = gc.get_freeze_count()
        chunks = []
        for _ in range(4):  # each check sees less than a burst; young collections move them to generation 1
            chunks.append([[] for _ in range(FREEZE_BURST // 3)])
            gc.collect(0)
        assert objects_to_walk(1) > FREEZE_BURST
        threshold = gc.get_threshold()
        gc.set_threshold(threshold[0], 0, threshold[2])  # generation 1 is due at the next check
        try:
            assert collector.check() == FROZEN
        finally:
            gc.set_threshold(*threshold)
        assert gc.get_freeze_count() >= frozen_before + FREEZE_BURST
        assert objects_to_walk(1) < FREEZE_BURST  # nothing left for the generation-1 collection to walk
        del chunks
    finally:
        collector.stop()
