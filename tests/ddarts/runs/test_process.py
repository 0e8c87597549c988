"""A recorded search in a child process: the same events and folder, pause/stop/resume across the pipe, errors."""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pytest

from ddarts.runs import RunReader, process
from ddarts.runs.child import follow_commands, send
from ddarts.runs.process import SearchChild, SearchProcessError, process_search
from ddarts.runtime.lock import RunLock
from ddarts.search import SearchConfig, SearchControl
from ddarts.search.events import AlphaSnapshot, CheckpointSaved, Finished, RunStarted, StateChanged, Stopped

pytestmark = pytest.mark.slow  # a child process per search: scheduled first

# L_F: these tests are about the process and its pipe, and an L_F step costs half an L_T one.
TINY = dict(dataset="digits", cells=3, init_channels=2, batch_size=4, epochs=3, steps_per_epoch=1, device="cpu",
            num_workers=0, seed=5, loss="fair")


def test_pause_stop_and_resume_reach_the_child_and_the_folder_matches_the_events(tmp_path):
    run = tmp_path / "run"
    control = SearchControl()
    control.pause()  # before the child has read its request: it must still stop at its first step boundary
    seen: list = []
    for event in process_search(SearchConfig(**TINY), run, control=control):
        seen.append(event)
        if isinstance(event, StateChanged) and event.state == "paused":
            control.resume()
        if isinstance(event, AlphaSnapshot):
            control.stop()  # after the first epoch
    states = [e.state for e in seen if isinstance(e, StateChanged)]
    assert states[:3] == ["running", "paused", "running"]
    assert isinstance(seen[-1], Stopped) and seen[-1].checkpoint and seen[-1].step == 1
    first = RunReader(run).read_all()
    assert first.status == "stopped" and first.step == 1

    dead = SearchChild.start()
    dead.close()  # a child started ahead that died meanwhile: the search starts another
    resumed = list(process_search(None, run, control=SearchControl(), resume=True, child=dead))
    assert isinstance(resumed[0], type(seen[0])) and any(isinstance(e, RunStarted) and e.resumed for e in resumed)
    assert isinstance(resumed[-1], Finished) and resumed[-1].step == 3
    state = RunReader(run).read_all()
    assert state.status == "finished" and state.resumes == 1
    np.testing.assert_array_equal(state.step_series("step"), [1, 2, 3])
    last = [e for e in resumed if isinstance(e, AlphaSnapshot)][-1]
    np.testing.assert_array_equal(state.alphas[2], last.alphas)  # the events carry what the folder holds


def test_bad_input_in_a_child_started_ahead_is_a_plain_error_and_the_folder_is_untouched(tmp_path, monkeypatch):
    run = tmp_path / "taken"
    run.mkdir()
    (run / "notes.txt").write_text("someone else's")
    decoy = tmp_path / "elsewhere" / "ddarts"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise ImportError('the child imported a ddarts from its working folder')")
    if sys.version_info >= (3, 11):  # older Pythons have no safe path: -m puts the working folder first
        monkeypatch.chdir(decoy.parent)
    ahead = SearchChild.start(niceness=3)  # started ahead, below normal priority, as the app does
    if hasattr(os, "getpriority"):
        assert os.getpriority(os.PRIO_PROCESS, ahead.popen.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 3)
    monkeypatch.setattr(SearchChild, "start", classmethod(lambda cls: pytest.fail("a second child started")))
    with pytest.raises(SearchProcessError, match="already exists") as caught:
        list(process_search(SearchConfig(**TINY), run, control=SearchControl(), child=ahead))
    assert caught.value.details == ""  # bad input, not a bug: no traceback
    assert not ahead.alive
    assert [p.name for p in run.iterdir()] == ["notes.txt"]


def test_a_child_that_dies_without_a_last_event_is_an_error_with_its_output(tmp_path, monkeypatch):
    monkeypatch.setattr(process, "CHILD_MODULE", "ddarts.runs.no_such_module")
    with pytest.raises(SearchProcessError, match="exit code 1") as caught:
        list(process_search(SearchConfig(**TINY), tmp_path / "run", control=SearchControl()))
    assert "No module named" in caught.value.details


def test_closing_the_stream_early_ends_the_child(tmp_path):
    run = tmp_path / "run"
    events = process_search(SearchConfig(**{**TINY, "epochs": 50}), run, control=SearchControl())
    for event in events:
        if isinstance(event, CheckpointSaved):
            break
    events.close()  # the app's abort: the child gets SIGTERM (stops after its step) or is killed
    with RunLock(run):  # a child still alive would hold the folder's lock
        state = RunReader(run).read_all()
    assert state.status in ("running", "stopped") and state.step >= 1  # killed or stopped, never finished


def test_commands_are_applied_in_order_and_the_end_of_input_stops():
    control = SearchControl()
    paused_after: list[bool] = []

    def lines():
        for line in ("pause", "resume", "no such command", "pause"):
            yield line + "\n"
            paused_after.append(control.paused)  # the line just yielded has been applied

    follow_commands(lines(), control)
    assert paused_after == [True, False, False, True]
    assert control.stop_requested and not control.paused  # end of input: the parent is gone, stop (and wake)


def test_malformed_lines_from_the_child_are_errors_not_events():
    with pytest.raises(SearchProcessError, match="not JSON"):
        process._decode(b"print output\n")
    with pytest.raises(SearchProcessError, match="malformed event"):
        process._decode(b'{"type": "step", "epoch": "one"}\n')
    with pytest.raises(SearchProcessError, match="not an object"):
        process._decode(b"[1, 2]\n")


def test_a_parent_that_stopped_reading_is_not_an_error_in_the_child():
    gone = io.StringIO()
    gone.close()  # what the child's records stream becomes once the window's end of the pipe is gone
    assert send(gone, {"type": "state", "state": "running"}) is False  # the child then stops with a checkpoint
    kept = io.StringIO()
    assert send(kept, {"type": "state", "value": float("nan")})
    assert kept.getvalue() == '{"type": "state", "value": NaN}\n'
