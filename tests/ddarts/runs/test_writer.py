"""Run folders written by RunWriter: files, records, resumes, refusals."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from ddarts import __version__
from ddarts.errors import RunFolderError
from ddarts.genotype import load_genotype
from ddarts.runs import RUN_FORMAT_VERSION, RunReader, RunWriter
from ddarts.search.events import (
    AlphaSnapshot,
    CheckpointSaved,
    DatasetProgress,
    RunStarted,
    StateChanged,
    StepMetrics,
    event_to_record,
)

sys.path.insert(0, str(Path(__file__).parent))
from run_events import CONFIG, N_CELLS, full_run, genotype, started, step, write_events  # noqa: E402


def test_writer_writes_config_and_files(tmp_path):
    run = tmp_path / "run"
    write_events(run, full_run(run))
    header = json.loads((run / "config.json").read_text())
    assert header["format_version"] == RUN_FORMAT_VERSION == 1
    assert header["kind"] == "search"
    assert header["ddarts_version"] == __version__
    assert datetime.fromisoformat(header["created"].replace("Z", "+00:00")).tzinfo is not None
    assert header["config"] == CONFIG.to_dict()

    for epoch in (0, 1):
        saved = np.load(run / "alphas" / f"epoch_{epoch + 1:03d}.npy")
        assert saved.dtype == np.float32 and saved.shape == (N_CELLS, 14, 7)
        assert load_genotype(run / "genotypes" / f"epoch_{epoch + 1:03d}.json") == genotype(epoch)
    for i, method in enumerate(("darts", "sparse", "edge")):
        assert load_genotype(run / "genotypes" / f"final_{method}.json") == genotype(10 + i, method)
    assert not list(run.rglob("*.tmp")), "an atomic write left its temp file behind"


def test_metrics_records(tmp_path):
    run = tmp_path / "run"
    events = full_run(run)
    write_events(run, events)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    types = [r["type"] for r in records]
    # the chatty "load" progress is dropped, the final "ready" one kept
    assert types[:2] == ["dataset", "start"] and records[0]["stage"] == "ready"
    alpha = [r for r in records if r["type"] == "alpha"]
    assert alpha[1] == {"type": "alpha", "epoch": 1, "step": 4, "mixing": "sigmoid", "path": "alphas/epoch_002.npy"}
    assert types.count("genotype") == 3 and types[-1] == "finished"
    assert records[1] == json.loads(json.dumps(event_to_record(events[2])))


def test_writer_refuses_non_empty_folder(tmp_path):
    run = tmp_path / "run"
    write_events(run, full_run(run)[:3])
    before = (run / "config.json").read_bytes(), (run / "metrics.jsonl").read_bytes()
    with pytest.raises(RunFolderError, match="already exists and is not empty"):
        RunWriter(run, CONFIG)
    assert ((run / "config.json").read_bytes(), (run / "metrics.jsonl").read_bytes()) == before

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match=str(other)):
        RunWriter(other, CONFIG)
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_writer_accepts_empty_existing_folder(tmp_path):
    (tmp_path / "run").mkdir()
    RunWriter(tmp_path / "run", CONFIG).close()
    assert (tmp_path / "run" / "config.json").is_file()


def test_resume_appends_and_keeps_history(tmp_path):
    run = tmp_path / "run"
    events = full_run(run)
    first, rest = events[:9], events[9:]  # up to epoch 0's checkpoint
    assert isinstance(first[-1], CheckpointSaved)
    write_events(run, first)
    created = json.loads((run / "config.json").read_text())["created"]
    write_events(run, [started(run, resumed=True, start_epoch=1, start_step=2), *rest], resume=True)

    state = RunReader(run).read_all()
    assert state.status == "finished" and state.resumes == 1
    np.testing.assert_array_equal(state.step_series("step"), [1, 2, 3, 4])
    np.testing.assert_array_equal(state.epoch_series("epoch"), [0, 1])
    assert sorted(state.alphas) == [0, 1]
    assert json.loads((run / "config.json").read_text())["created"] == created


def test_resume_with_a_new_config_updates_config_json(tmp_path):
    run = tmp_path / "run"
    write_events(run, full_run(run)[:3])
    longer = CONFIG.replace(epochs=5)
    RunWriter(run, longer, resume=True).close()
    header = json.loads((run / "config.json").read_text())
    assert header["config"]["epochs"] == 5 and "updated" in header
    assert RunReader(run).config == longer


def test_resume_needs_a_search_run_folder(tmp_path):
    with pytest.raises(RunFolderError, match="not found"):
        RunWriter(tmp_path / "missing", CONFIG, resume=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFolderError, match="not a ddarts run folder"):
        RunWriter(tmp_path / "empty", CONFIG, resume=True)
    train = tmp_path / "train"
    train.mkdir()
    (train / "config.json").write_text(json.dumps({"format_version": 1, "kind": "train", "config": {}}))
    with pytest.raises(RunFolderError, match="'train', expected 'search'"):
        RunWriter(train, CONFIG, resume=True)


def test_resume_after_a_torn_last_line(tmp_path):
    run = tmp_path / "run"
    events = full_run(run)
    write_events(run, events[:3])
    with open(run / "metrics.jsonl", "ab") as handle:  # the process died mid-write
        handle.write(b'{"type": "step", "epoch": 0, "ste')
    write_events(run, [events[3]], resume=True)
    reader = RunReader(run)
    got = reader.poll()
    assert [type(e) for e in got] == [DatasetProgress, RunStarted, StepMetrics]
    assert reader.skipped == 1 and "metrics.jsonl:3" in reader.problems[0]


def test_write_failure_names_the_path(tmp_path):
    run = tmp_path / "run"
    writer = RunWriter(run, CONFIG)
    (run / "alphas").write_text("a file where the folder should be")
    with pytest.raises(RunFolderError, match="alphas"):
        writer.write(AlphaSnapshot(epoch=0, step=1, alphas=np.zeros((N_CELLS, 14, 7)), mixing="sigmoid"))
    writer.close()
    with pytest.raises(RunFolderError, match="closed"):
        writer.write(StateChanged("paused"))


def test_numpy_scalars_are_written_as_numbers(tmp_path):
    run = tmp_path / "run"
    event = StateChanged("running")
    metrics = step(0, 1)
    numpy_metrics = StepMetrics(**{**metrics.__dict__, "train_loss": np.float32(0.5), "step": np.int64(1)})
    write_events(run, [event, numpy_metrics])
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["train_loss"] == 0.5 and last["step"] == 1
