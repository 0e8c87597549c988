"""app.latency: the heartbeat notices a blocked GUI thread and says what ran; scenarios run from the event loop."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import numpy as np
from PySide6.QtCore import QTimer

from app.latency import Heartbeat, run_script, search_args, summarise
from ddarts.search import SearchConfig


def test_a_blocked_gui_thread_is_a_stall_named_after_what_blocked_it(qtbot):
    beat = Heartbeat(limit_ms=100)
    beat.phase = "test"
    beat.start()

    def block() -> None:
        beat.note("slow slot")
        time.sleep(0.15)  # a gap of at least 150 ms, whatever the machine

    QTimer.singleShot(20, block)
    ours = lambda: [s for s in beat.stalls if "slow slot" in s.during]  # noqa: E731 - other stalls may come first
    qtbot.waitUntil(lambda: bool(ours()), timeout=5_000)
    qtbot.wait(20)
    beat.stop()
    stall = ours()[0]
    assert stall.gap_ms >= 150 and stall.phase == "test"
    report = beat.report()
    assert report.max_ms >= 150 and report.beats == len(beat.gaps) and report.phases["test"]["stalls"] >= 1
    assert "slow slot" in report.text() and json.loads(json.dumps(asdict(report)))["stalls"][0]["phase"] == "test"


def test_summary_of_gaps():
    figures = summarise(np.array([5.0] * 99 + [300.0]))
    assert figures["median_ms"] == 5.0 and figures["max_ms"] == 300.0
    assert summarise(np.array([]))["max_ms"] == 0.0


def test_a_scenario_waits_and_polls_conditions_on_the_event_loop(qtbot):
    ticks: list[str] = []
    flag = {"up": False}
    QTimer.singleShot(30, lambda: flag.update(up=True))

    def scenario():
        ticks.append("start")
        yield 10
        yield lambda: flag["up"]
        ticks.append("after condition")

    outcome: list = []
    run_script(scenario(), outcome.append)
    qtbot.waitUntil(lambda: bool(outcome), timeout=5_000)
    assert outcome == [None] and ticks == ["start", "after condition"]


def test_the_followed_search_gets_the_same_settings():
    config = SearchConfig(dataset="digits", cells=3, init_channels=2, batch_size=4, epochs=1, steps_per_epoch=2,
                          alpha_live_s=2.0)
    args = search_args(config)
    assert args[args.index("--cells") + 1] == "3" and args[args.index("--alpha-live-s") + 1] == "2.0"
