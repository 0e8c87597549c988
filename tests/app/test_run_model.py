"""RunModel: coalesced updates, genotype notifications only for α/genotype events (parsed off the GUI thread
first), selection, reset."""

from __future__ import annotations

import threading

from app.run_model import RunModel
from ddarts.genotype.core import PARSE_METHODS
from ddarts.runs import RunState
from ddarts.runs.choice import ParseJob
from ddarts.search.events import StepMetrics


def test_updates_are_coalesced_to_the_timer(qtbot, make_run):
    model = RunModel(interval_ms=50)
    updates: list[int] = []
    model.updated.connect(lambda: updates.append(model.state.version))
    events = make_run(cells=5, epochs=2, steps_per_epoch=6)
    for event in events:  # one apply per event, as a fast engine would deliver them
        model.apply([event])
    assert updates == []  # nothing before the timer fires
    qtbot.waitUntil(lambda: len(updates) == 1, timeout=2000)
    qtbot.wait(120)
    assert updates == [len(events)]  # a single redraw for the whole burst, with everything applied


def test_genotype_changed_only_for_alpha_and_genotype_events(qtbot, make_run):
    model = RunModel(interval_ms=10)
    events = make_run(cells=4, epochs=1, steps_per_epoch=3)
    start, steps = events[0], [e for e in events if isinstance(e, StepMetrics)]
    model.apply([start])
    model.flush()
    genotype: list[bool] = []
    model.genotype_changed.connect(lambda: genotype.append(True))
    model.apply(steps)
    with qtbot.waitSignal(model.updated, timeout=1000):
        pass
    assert genotype == []
    with qtbot.waitSignal(model.genotype_changed, timeout=1000):
        model.apply(events[1 + len(steps):])
    assert model.state.latest_alpha_epoch == 0


def test_selection_is_bounded_by_the_cells(qtbot, make_run):
    model = RunModel()
    model.apply(make_run(cells=4, epochs=1)[:1])
    with qtbot.waitSignal(model.selected_cell_changed) as blocker:
        model.set_selected_cell(3)
    assert blocker.args == [3] and model.selected_cell == 3
    for bad in (-1, 4):
        try:
            model.set_selected_cell(bad)
        except ValueError as exc:
            assert str(bad) in str(exc)
        else:
            raise AssertionError(f"cell {bad} was accepted")


def test_reset_replaces_the_state_and_selection(qtbot, make_run):
    model = RunModel()
    model.apply(make_run(cells=6, epochs=1))
    model.set_selected_cell(5)
    fresh = RunState(config={"cells": 3}, run_dir="/tmp/elsewhere")
    with qtbot.waitSignals([model.run_replaced, model.selected_cell_changed, model.updated]):
        model.reset(fresh, run_dir="/tmp/elsewhere")
    assert model.state is fresh and model.selected_cell == 0 and model.run_dir == "/tmp/elsewhere"
    assert model.n_cells == 0


def test_a_new_alpha_is_parsed_off_the_gui_thread_before_the_views_hear_of_it(qtbot, make_run, monkeypatch):
    threads: list[threading.Thread] = []
    parse = ParseJob.run
    monkeypatch.setattr(ParseJob, "run", lambda job: threads.append(threading.current_thread()) or parse(job))
    model = RunModel(interval_ms=10, parse_off_thread=True)
    events = make_run(cells=5, epochs=2, steps_per_epoch=3)
    left_to_parse: list[list] = []
    model.genotype_changed.connect(lambda: left_to_parse.append(model.state.newest_parse_jobs()))
    with qtbot.waitSignal(model.genotype_changed, timeout=10_000):
        model.apply(events)
    assert left_to_parse == [[]]  # what the views ask for by default is in the state's cache already
    assert threads and all(thread is not threading.main_thread() for thread in threads)
    synchronous = RunState.from_events(events)  # parsed on this thread when asked, as before
    for method in PARSE_METHODS:
        assert model.state.genotype_for(None, method) == synchronous.genotype_for(None, method)


def test_flush_does_not_wait_for_a_parse(qtbot, make_run):
    model = RunModel(interval_ms=10, parse_off_thread=True)
    heard: list[bool] = []
    model.genotype_changed.connect(lambda: heard.append(True))
    model.apply(make_run(cells=5, epochs=1, steps_per_epoch=3))
    model.flush()
    assert heard == [True] and model.state.genotype_for() is not None
