"""Run folders: RunWriter -> files -> RunReader, including a folder that is still being written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from ddarts import __version__
from ddarts.errors import RunFolderError
from ddarts.genotype import Genotype, load_genotype
from ddarts.runs import RUN_FORMAT_VERSION, RunReader, RunState, RunWriter
from ddarts.search.config import SearchConfig
from ddarts.search.events import (
    AlphaSnapshot,
    CheckpointSaved,
    DatasetProgress,
    EpochMetrics,
    Finished,
    GenotypeParsed,
    RunStarted,
    StateChanged,
    StepMetrics,
    event_to_record,
)
from ddarts.space.ops import PRIMITIVES

N_CELLS = 3
REDUCTIONS = (1, 2)
CONFIG = SearchConfig(dataset="digits", cells=N_CELLS, init_channels=4, epochs=2, batch_size=4, steps_per_epoch=2)


def genotype(seed: int, method: str = "edge") -> Genotype:
    ops = PRIMITIVES
    cell = lambda k: (  # noqa: E731 - a tiny, varied but valid cell per index
        (ops[(seed + k) % 7], 2, 0), (ops[(seed + k + 1) % 7], 2, 1), (ops[(seed + k + 2) % 7], 3, 2),
        (ops[(seed + k + 3) % 7], 4, 3), (ops[(seed + k + 4) % 7], 5, 1),
    )
    return Genotype(cells=[cell(k) for k in range(N_CELLS)], reductions=REDUCTIONS, method=method,
                    threshold=0.85, source="test")


def started(run_dir: Path, resumed: bool = False, start_epoch: int = 0, start_step: int = 0) -> RunStarted:
    return RunStarted(run_dir=str(run_dir), config=CONFIG.to_dict(), device="cpu", n_cells=N_CELLS,
                      reductions=REDUCTIONS, primitives=PRIMITIVES, steps_per_epoch=2, total_steps=4,
                      start_epoch=start_epoch, start_step=start_step, resumed=resumed)


def step(epoch: int, step_no: int, loss: float | None = None) -> StepMetrics:
    base = float(step_no)
    return StepMetrics(
        epoch=epoch, step=step_no, step_in_epoch=(step_no - 1) % 2 + 1, steps_per_epoch=2, total_steps=4,
        train_loss=2.0 / base if loss is None else loss, train_acc=0.1 * base, val_loss=2.5 / base,
        val_acc=0.05 * base, l01=tuple(-0.01 * base * (c + 1) for c in range(N_CELLS)),
        mc=tuple(0.1 * c - 0.02 * base for c in range(N_CELLS)), l_ab=tuple(0.3 * c for c in range(N_CELLS)),
        l_t=tuple(2.0 / base + 0.1 * c for c in range(N_CELLS)), lr=0.005 - 0.001 * base, arch_lr=0.003,
        elapsed_s=1.5 * base, steps_per_s=0.66, eta_s=1.5 * (4 - base),
    )


def epoch_events(run_dir: Path, epoch: int) -> list:
    alphas = np.random.default_rng(epoch).normal(size=(N_CELLS, 14, 7)).astype(np.float32)
    return [
        step(epoch, 2 * epoch + 1, loss=float("nan") if epoch == 1 else None),
        step(epoch, 2 * epoch + 2),
        EpochMetrics(epoch=epoch, train_loss=1.0 / (epoch + 1), train_acc=0.5, val_loss=1.1, val_acc=0.4,
                     dominant_share=0.2 * epoch, low_share=0.3, dominant_share_per_cell=(0.1, 0.2, 0.3),
                     low_share_per_cell=(0.4, 0.5, 0.6), mc=(0.01, 0.02, 0.03), l_ab=(0.1, -0.1, 0.0),
                     elapsed_s=3.0 * (epoch + 1)),
        AlphaSnapshot(epoch=epoch, step=2 * epoch + 2, alphas=alphas, mixing="sigmoid"),
        GenotypeParsed(epoch=epoch, method="edge", threshold=0.85, genotype=genotype(epoch)),
        CheckpointSaved(epoch=epoch, step=2 * epoch + 2, path=str(run_dir / "checkpoint.pt")),
    ]


def full_run(run_dir: Path) -> list:
    finals = {m: genotype(10 + i, m) for i, m in enumerate(("darts", "sparse", "edge"))}
    return [
        DatasetProgress(dataset="digits", stage="load", done=1, total=2, message="loading"),
        DatasetProgress(dataset="digits", stage="ready", done=2, total=2),
        started(run_dir),
        *epoch_events(run_dir, 0),
        StateChanged("paused"),
        StateChanged("running"),
        *epoch_events(run_dir, 1),
        GenotypeParsed(epoch=-1, method="edge", threshold=0.85, genotype=finals["edge"]),
        Finished(epoch=1, step=4, elapsed_s=6.5, genotypes=finals),
    ]


def write_events(run_dir: Path, events: list, resume: bool = False) -> None:
    with RunWriter(run_dir, CONFIG, resume=resume) as writer:
        for event in events:
            writer.write(event)


def assert_same_state(a: RunState, b: RunState) -> None:
    for name in a.steps.names:
        np.testing.assert_array_equal(a.step_series(name), b.step_series(name), err_msg=name)
    for name in a.epochs.names:
        np.testing.assert_array_equal(a.epoch_series(name), b.epoch_series(name), err_msg=name)
    assert a.alphas.keys() == b.alphas.keys()
    for epoch in a.alphas:
        np.testing.assert_array_equal(a.alphas[epoch], b.alphas[epoch])
        assert a.alphas[epoch].dtype == b.alphas[epoch].dtype == np.float32
    for field in ("config", "run_dir", "device", "n_cells", "reductions", "primitives", "steps_per_epoch",
                  "total_steps", "status", "epoch", "step", "elapsed_s", "steps_per_s", "eta_s", "genotypes",
                  "final_genotypes", "last_checkpoint", "failure", "alpha_mixing", "resumes"):
        assert getattr(a, field) == getattr(b, field), field


# ---------------------------------------------------------------------- writer
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


# ---------------------------------------------------------------------- reader
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
