import time

import pytest
from recorded_sweep import TINY

from ddarts.errors import RunFolderError
from ddarts.search import SearchControl
from ddarts.search.config import SearchConfig
from ddarts.sweep.trial import StopWatcher, prepare_folder, run_trial


def test_a_trial_does_not_start_once_the_sweep_is_stopping(tmp_path):
    stop = tmp_path / ".stop-requested"
    stop.touch()
    reports = []
    assert run_trial(SearchConfig(**TINY), tmp_path / "t", stop, reports.append) == "pending"
    assert not (tmp_path / "t").exists() and reports == []


def test_the_stop_file_stops_the_search_control(tmp_path):
    control = SearchControl()
    stop = tmp_path / "stop"
    with StopWatcher(stop, control, poll_s=0.01):
        time.sleep(0.05)
        assert not control.stop_requested
        stop.touch()
        deadline = time.monotonic() + 5
        while not control.stop_requested and time.monotonic() < deadline:
            time.sleep(0.01)
    assert control.stop_requested


def test_folders_resume_restart_or_refuse(tmp_path):
    assert prepare_folder(tmp_path / "new") is False
    empty = tmp_path / "empty"
    empty.mkdir()
    assert prepare_folder(empty) is False
    resumable = tmp_path / "resumable"
    resumable.mkdir()
    (resumable / "config.json").write_text("{}")
    (resumable / "checkpoint.pt").write_bytes(b"x")
    assert prepare_folder(resumable) is True
    no_checkpoint = tmp_path / "no-checkpoint"
    no_checkpoint.mkdir()
    (no_checkpoint / "config.json").write_text("{}")
    assert prepare_folder(no_checkpoint) is False and not no_checkpoint.exists()
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="not a run folder"):
        prepare_folder(stranger)
    assert (stranger / "notes.txt").read_text() == "mine"
