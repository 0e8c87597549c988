"""The search loop end to end on the offline `digits` dataset, with tiny supernets."""

import threading
import time

import numpy as np
import pytest
import torch

from ddarts.errors import RunFolderError
from ddarts.runs import RunReader, recorded_search
from ddarts.search import SearchConfig, SearchControl, load_checkpoint, search
from ddarts.search.config import ConfigError
from ddarts.search.events import (
    AlphaSnapshot,
    CheckpointSaved,
    EpochMetrics,
    Finished,
    GenotypeParsed,
    RunStarted,
    StateChanged,
    StepMetrics,
    Stopped,
)

TINY = dict(dataset="digits", cells=3, init_channels=2, batch_size=8, epochs=2, steps_per_epoch=2, device="cpu",
            num_workers=0)


def _final_alphas(run_dir):
    return load_checkpoint(run_dir / "checkpoint.pt")["engine"]["model"]


def _alpha_tensors(model_state):
    return torch.stack([v for k, v in sorted(model_state.items()) if k.startswith("alphas.")])


def test_search_yields_the_event_sequence_and_per_cell_metrics(tmp_path):
    events = list(search(SearchConfig(**TINY), tmp_path / "run"))
    kinds = [type(e) for e in events]
    assert kinds[kinds.index(RunStarted) + 1] is StateChanged
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert [s.step for s in steps] == [1, 2, 3, 4]
    assert all(len(s.mc) == 3 and len(s.l_ab) == 3 and len(s.l01) == 3 and len(s.l_t) == 3 for s in steps)
    assert all(np.isfinite(s.train_loss) and np.isfinite(s.val_loss) for s in steps)
    epochs = [e for e in events if isinstance(e, EpochMetrics)]
    assert [e.epoch for e in epochs] == [0, 1] and len(epochs[0].dominant_share_per_cell) == 3
    snapshots = [e for e in events if isinstance(e, AlphaSnapshot)]
    assert [s.alphas.shape for s in snapshots] == [(3, 14, 7)] * 2 and snapshots[0].alphas.dtype == np.float32
    finals = [e for e in events if isinstance(e, GenotypeParsed) and e.epoch == -1]
    assert sorted(e.method for e in finals) == ["darts", "edge", "sparse"]
    assert isinstance(events[-1], Finished) and set(events[-1].genotypes) == {"darts", "sparse", "edge"}
    assert sum(isinstance(e, CheckpointSaved) for e in events) == 2
    # α really moved, and the two epochs saw different arch learning rates (each cell's cosine schedule)
    assert not np.allclose(snapshots[0].alphas, 0)
    assert steps[0].arch_lr > steps[-1].arch_lr


def test_fair_loss_logs_no_contributions(tmp_path):
    events = list(search(SearchConfig(**{**TINY, "loss": "fair", "epochs": 1})))
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert steps and all(s.mc == (0.0, 0.0, 0.0) for s in steps)
    assert [e.mc for e in events if isinstance(e, EpochMetrics)] == [()]


@pytest.mark.slow
def test_stop_then_resume_gives_the_same_alphas_as_an_uninterrupted_run(tmp_path):
    config = SearchConfig(**{**TINY, "steps_per_epoch": 3})
    list(search(config, tmp_path / "straight"))

    control = SearchControl()
    events = []
    for event in search(config, tmp_path / "split", control=control):
        events.append(event)
        if isinstance(event, StepMetrics) and event.step == 1:
            control.stop()  # metrics arrive one step late: the stop lands after step 2, mid-epoch
    assert isinstance(events[-1], Stopped) and events[-1].step == 2
    resumed = list(search(None, tmp_path / "split", resume_from=tmp_path / "split" / "checkpoint.pt"))
    started = resumed[0] if isinstance(resumed[0], RunStarted) else resumed[1]
    assert started.resumed and started.start_step == 2 and started.start_epoch == 0
    assert [e.step for e in resumed if isinstance(e, StepMetrics)] == [3, 4, 5, 6]
    straight = _alpha_tensors(_final_alphas(tmp_path / "straight"))
    split = _alpha_tensors(_final_alphas(tmp_path / "split"))
    assert (straight - split).abs().max().item() <= 1e-6
    assert straight.abs().max().item() > 0


def test_pause_blocks_between_steps_until_resumed(tmp_path):
    control = SearchControl()
    states = []
    gen = search(SearchConfig(**{**TINY, "epochs": 1, "steps_per_epoch": 3, "loss": "fair"}), control=control)
    blocked = 0.0
    steps = []
    for event in gen:
        if isinstance(event, StepMetrics):
            steps.append(event.step)
            if event.step == 1:
                control.pause()
        if isinstance(event, StateChanged):
            states.append(event.state)
            if event.state == "paused":
                threading.Timer(0.5, control.resume).start()
                started = time.perf_counter()
                following = next(gen)  # blocks until the timer resumes the search
                blocked = time.perf_counter() - started
                states.append(following.state)
    assert states == ["running", "paused", "running"]
    assert blocked >= 0.4
    assert steps == [1, 2, 3]


def test_recorded_search_writes_a_run_folder_that_the_reader_rebuilds(tmp_path):
    run_dir = tmp_path / "run"
    events = list(recorded_search(SearchConfig(**TINY), run_dir))
    assert isinstance(events[-1], Finished)
    for name in ("config.json", "metrics.jsonl", "checkpoint.pt", "alphas/epoch_001.npy", "alphas/epoch_002.npy",
                 "genotypes/epoch_001.json", "genotypes/epoch_002.json", "genotypes/final_darts.json",
                 "genotypes/final_sparse.json", "genotypes/final_edge.json"):
        assert (run_dir / name).is_file(), name
    state = RunReader(run_dir).read_all()
    assert state.status == "finished"
    assert len(state.step_series("val_loss")) == 4
    np.testing.assert_array_equal(np.load(run_dir / "alphas/epoch_002.npy"),
                                  [e for e in events if isinstance(e, AlphaSnapshot)][-1].alphas)
    assert not list(run_dir.rglob("*.tmp"))
    with pytest.raises(RunFolderError, match="already exists"):
        next(recorded_search(SearchConfig(**TINY), run_dir))
    with pytest.raises(RunFolderError, match="finished"):
        list(recorded_search(None, run_dir, resume=True))


def test_bad_device_and_missing_checkpoint_are_clear_errors(tmp_path):
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device.*CUDA is not available"):
            next(search(SearchConfig(**{**TINY, "device": "cuda"})))
    with pytest.raises(RunFolderError, match="no checkpoint"):
        next(search(None, resume_from=tmp_path / "nothing.pt"))
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RunFolderError, match="damaged or not a ddarts search checkpoint"):
        next(search(None, resume_from=tmp_path / "bad.pt"))
    with pytest.raises(ConfigError, match="cells: cannot change"):
        run = tmp_path / "r"
        list(search(SearchConfig(**{**TINY, "epochs": 1}), run))
        next(search(SearchConfig(**{**TINY, "epochs": 1, "cells": 4}), resume_from=run / "checkpoint.pt"))


def test_out_of_memory_ends_with_a_batch_size_hint_and_keeps_the_last_checkpoint(tmp_path, monkeypatch, capsys):
    from ddarts.cli import main
    from ddarts.search.engine import SearchEngine

    real_step = SearchEngine.step
    calls = {"n": 0}

    def failing_step(self, train_batch, val_batch):
        calls["n"] += 1
        if calls["n"] == 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_step(self, train_batch, val_batch)

    monkeypatch.setattr(SearchEngine, "step", failing_step)
    run_dir = tmp_path / "run"
    events = list(recorded_search(SearchConfig(**{**TINY, "checkpoint_every": 1}), run_dir))
    failed = events[-1]
    assert failed.kind == "oom" and "--batch-size 4" in failed.message
    assert failed.checkpoint == str(run_dir / "checkpoint.pt")
    assert load_checkpoint(run_dir / "checkpoint.pt")["progress"]["global_step"] == 1
    assert RunReader(run_dir).read_all().status == "failed"

    calls["n"] = 0
    code = main(["search", *[f"--{k.replace('_', '-')}={v}" for k, v in TINY.items()], "--out", str(tmp_path / "cli")])
    err = capsys.readouterr().err
    assert code == 3 and "ran out of memory" in err and "--batch-size 4" in err
    assert "Resume with: ddarts search --resume" not in err  # no checkpoint was written before the failure
