"""Run folders read back by RunReader, including a folder that is still being written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ddarts.errors import RunFolderError
from ddarts.runs import RunReader, RunState, RunWriter
from ddarts.search.events import (
    AlphaSnapshot,
    DatasetProgress,
    Finished,
    RunStarted,
    StateChanged,
    StepMetrics,
    event_to_record,
)

sys.path.insert(0, str(Path(__file__).parent))
from run_events import CONFIG, assert_same_state, full_run, step, write_events  # noqa: E402


def test_state_from_folder_equals_live_state(tmp_path):
    run = tmp_path / "run"
    events = full_run(run)
    live = RunState.from_events(events)
    write_events(run, events)
    reader = RunReader(run)
    from_folder = reader.read_all()
    assert reader.skipped == 0
    assert_same_state(live, from_folder)
    assert from_folder.status == "finished" and len(from_folder.final_genotypes) == 3
    assert np.isnan(from_folder.step_series("train_loss")[2])
    assert from_folder.dataset == DatasetProgress(dataset="digits", stage="ready", done=2, total=2)


def test_live_following(tmp_path):
    run = tmp_path / "run"
    events = full_run(run)
    writer = RunWriter(run, CONFIG)
    reader = RunReader(run)
    assert reader.poll() == []
    for event in events[:5]:
        writer.write(event)
    first = reader.poll()
    assert [type(e) for e in first] == [DatasetProgress, RunStarted, StepMetrics, StepMetrics]
    assert reader.poll() == []
    for event in events[5:]:
        writer.write(event)
    writer.close()
    second = reader.poll()
    assert len(first) + len(second) == len(events) - 1  # the "load" progress is not persisted
    assert isinstance(second[-1], Finished)
    snapshots = [e for e in second if isinstance(e, AlphaSnapshot)]
    np.testing.assert_array_equal(snapshots[0].alphas, [e for e in events if isinstance(e, AlphaSnapshot)][0].alphas)


def test_read_all_then_poll_continues(tmp_path):
    run = tmp_path / "run"
    events = full_run(run)
    writer = RunWriter(run, CONFIG)
    for event in events[:6]:
        writer.write(event)
    reader = RunReader(run)
    state = reader.read_all()
    assert len(state.steps) == 2 and state.status == "running"
    for event in events[6:]:
        writer.write(event)
    writer.close()
    for event in reader.poll():
        state.apply(event)
    assert_same_state(RunState.from_events(events), state)


def test_partial_last_line_waits_for_the_rest(tmp_path):
    run = tmp_path / "run"
    write_events(run, full_run(run)[:3])
    reader = RunReader(run)
    assert len(reader.poll()) == 2
    line = (json.dumps(event_to_record(step(0, 1))) + "\n").encode()
    metrics = run / "metrics.jsonl"
    with open(metrics, "ab") as other_process:
        other_process.write(line[:40])
    assert reader.poll() == []
    with open(metrics, "ab") as other_process:
        other_process.write(line[40:])
    assert reader.poll() == [step(0, 1)]
    assert reader.skipped == 0


def test_malformed_lines_are_skipped_and_counted(tmp_path):
    run = tmp_path / "run"
    write_events(run, [])
    good = json.dumps(event_to_record(StateChanged("paused")))
    lines = [good, "{not json", "[1, 2]", json.dumps({"type": "nonsense"}), json.dumps({"type": "step"}),
             b"\xff\xfe".decode("latin-1"), good]
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n", encoding="latin-1")
    reader = RunReader(run)
    assert reader.poll() == [StateChanged("paused"), StateChanged("paused")]
    assert reader.skipped == 5
    for line_no, problem in zip(range(2, 7), reader.problems):
        assert f"metrics.jsonl:{line_no}: " in problem


def test_alpha_file_not_there_yet_is_retried(tmp_path):
    run = tmp_path / "run"
    write_events(run, [StateChanged("running")])
    record = {"type": "alpha", "epoch": 0, "step": 2, "mixing": "softmax", "path": "alphas/epoch_001.npy"}
    with open(run / "metrics.jsonl", "a") as handle:
        handle.write(json.dumps(record) + "\n" + json.dumps(event_to_record(StateChanged("paused"))) + "\n")
    reader = RunReader(run)
    assert reader.poll() == [StateChanged("running")]  # order kept: nothing after the waiting record
    alphas = np.arange(2 * 14 * 7, dtype=np.float32).reshape(2, 14, 7)
    (run / "alphas").mkdir()
    np.save(run / "alphas" / "epoch_001.npy", alphas)
    snapshot, paused = reader.poll()
    assert isinstance(snapshot, AlphaSnapshot) and snapshot.mixing == "softmax" and snapshot.step == 2
    np.testing.assert_array_equal(snapshot.alphas, alphas)
    assert paused == StateChanged("paused")


def test_alpha_file_missing_in_an_old_run_is_skipped(tmp_path):
    run = tmp_path / "run"
    write_events(run, [])
    records = [{"type": "alpha", "epoch": 0, "step": 2, "mixing": "sigmoid", "path": "alphas/epoch_001.npy"},
               {"type": "alpha", "epoch": 1, "step": 4, "mixing": "sigmoid", "path": "../../outside.npy"},
               event_to_record(StateChanged("paused"))]
    metrics = run / "metrics.jsonl"
    metrics.write_text("".join(json.dumps(r) + "\n" for r in records))
    old = time.time() - 3600
    os.utime(metrics, (old, old))
    reader = RunReader(run)
    assert reader.poll() == [StateChanged("paused")]
    assert reader.skipped == 2
    assert "missing" in reader.problems[0] and "outside the run folder" in reader.problems[1]


def test_reader_rejects_foreign_folders(tmp_path):
    with pytest.raises(RunFolderError, match="not found"):
        RunReader(tmp_path / "nope")
    with pytest.raises(RunFolderError, match="not a ddarts run folder"):
        RunReader(tmp_path)
    (tmp_path / "config.json").write_text("{broken")
    with pytest.raises(RunFolderError, match="invalid JSON"):
        RunReader(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format_version": 1, "kind": "train", "config": {}}))
    with pytest.raises(RunFolderError, match="run kind is 'train'"):
        RunReader(tmp_path)


def test_reader_rejects_unknown_format_version(tmp_path):
    run = tmp_path / "run"
    write_events(run, [])
    header = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**header, "format_version": 99}))
    with pytest.raises(RunFolderError, match=r"format_version 99 .*version 1"):
        RunReader(run)
    (run / "config.json").write_text(json.dumps({**header, "format_version": True}))
    with pytest.raises(RunFolderError, match="format_version True"):
        RunReader(run)


def test_reader_config_property(tmp_path):
    run = tmp_path / "run"
    write_events(run, [])
    assert RunReader(run).config == CONFIG
    header = json.loads((run / "config.json").read_text())
    header["config"]["cells"] = 1
    (run / "config.json").write_text(json.dumps(header))
    with pytest.raises(RunFolderError, match="config.json: bad search configuration: cells"):
        RunReader(run).config


def test_is_live(tmp_path):
    run = tmp_path / "run"
    events = full_run(run)
    writer = RunWriter(run, CONFIG)
    for event in events[:4]:
        writer.write(event)
    assert RunReader(run).is_live()
    metrics = run / "metrics.jsonl"
    old = time.time() - 3600
    os.utime(metrics, (old, old))
    assert not RunReader(run).is_live()  # nothing written for an hour: the writer is gone
    for event in events[4:]:
        writer.write(event)
    writer.close()
    reader = RunReader(run)
    assert not reader.is_live()  # finished, even though just modified
    reader.read_all()
    assert not reader.is_live()


def test_run_modules_stay_qt_free():
    code = ("import sys, ddarts.runs, ddarts.genotype.diagram; "
            "sys.exit(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
