"""RunSession: a followed run folder polled as another process writes it, when a run counts as resumable, and
the search process started ahead."""

from __future__ import annotations

import os
import threading
import time

import pytest
from gui_test_support import synthetic_run

import app.session as session_module
from app.run_model import RunModel
from app.session import RunSession
from ddarts.errors import DdartsError
from ddarts.runs import CHECKPOINT_FILE, RunWriter
from ddarts.search.config import SearchConfig
from ddarts.search.events import Stopped


@pytest.fixture
def session(qtbot) -> RunSession:
    return RunSession(RunModel())


def write_run(run_dir, events) -> RunWriter:
    writer = RunWriter(run_dir, SearchConfig.from_dict(events[0].config))
    for event in events:
        writer.write(event)
    return writer


def test_a_followed_folder_grows_with_each_poll(session, tmp_path):
    events = synthetic_run(cells=3, epochs=2, steps_per_epoch=2)
    writer = write_run(tmp_path / "run", events[:4])
    try:
        assert session.open_folder(tmp_path / "run") == str((tmp_path / "run").resolve())
        assert session.following and session.poll_timer.isActive() and not session.searching
        before = session.model.state.step
        for event in events[4:]:
            writer.write(event)
        session.poll()
        assert session.model.state.step > before
    finally:
        writer.close()
    session.stop_following()
    assert not session.following and not session.poll_timer.isActive()


def test_a_quiet_unfinished_run_with_a_checkpoint_is_taken_for_crashed(session, tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    writer = write_run(run_dir, synthetic_run(cells=3, epochs=1)[:3])
    writer.close()
    session.open_folder(run_dir)
    assert session.model.state.status == "running" and not session.resumable()  # no checkpoint
    (run_dir / CHECKPOINT_FILE).write_bytes(b"stand-in")
    assert not session.resumable()  # it wrote a moment ago: maybe still alive
    monkeypatch.setattr(session_module, "CRASH_QUIET_S", 0.0)
    old = time.time() - 5
    os.utime(run_dir / "metrics.jsonl", (old, old))
    assert session.resumable()


def test_a_stopped_run_is_resumable_and_stops_become_notes(session, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / CHECKPOINT_FILE).write_bytes(b"stand-in")
    session.model.reset(run_dir=str(run_dir))
    notes: list[str] = []
    session.notice.connect(notes.append)
    session.apply_events(synthetic_run(cells=3, epochs=1)[:3] + [Stopped(0, 1, str(run_dir / CHECKPOINT_FILE))])
    session.model.flush()
    assert session.model.state.status == "stopped" and session.resumable()
    assert notes and "Resume stopped run" in notes[0]


def test_an_unreadable_folder_is_refused_and_the_run_on_show_stays(session, tmp_path):
    with pytest.raises(DdartsError, match="config.json"):
        session.open_folder(tmp_path)
    assert session.model.run_dir is None and not session.following


def test_timer_polls_read_the_folder_off_the_gui_thread(qtbot, session, tmp_path, monkeypatch):
    events = synthetic_run(cells=3, epochs=2, steps_per_epoch=2)
    writer = write_run(tmp_path / "run", events[:4])
    try:
        session.open_folder(tmp_path / "run")
        reader = session.reader
        threads = []
        read = reader.poll

        def poll_and_note_thread():
            threads.append(threading.current_thread())
            return read()

        monkeypatch.setattr(reader, "poll", poll_and_note_thread)
        before = session.model.state.step
        for event in events[4:]:
            writer.write(event)
        session.poll_in_background()  # what the timer calls
        qtbot.waitUntil(lambda: session.model.state.step > before, timeout=10_000)  # applied on the GUI thread
        assert threads and all(thread is not threading.main_thread() for thread in threads)
        session.stop_following()
        session.poll_in_background()
        assert len(threads) == 1  # nothing is read once the folder is no longer followed
    finally:
        writer.close()


def test_a_search_process_started_ahead_and_not_taken_ends_with_the_block(session):
    with session.process_ahead():  # the search form is open
        assert session.process_ready
        spare = session._spare
    assert not session.process_ready and not spare.alive  # the form was cancelled: nothing left running
