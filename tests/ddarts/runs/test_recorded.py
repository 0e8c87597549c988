"""The search run lifecycle: one writer, resume after any kill, divergence, full disk, finished runs."""

import errno
import json

import pytest
import torch

from ddarts.cli import main
from ddarts.errors import DivergedError, LockedError
from ddarts.runs import recorded_search
from ddarts.runtime import checkpoints
from ddarts.runtime.lock import RunLock
from ddarts.search import SearchConfig
from ddarts.search.engine import SearchEngine
from ddarts.search.events import CheckpointSaved, Failed, StepMetrics

pytestmark = pytest.mark.slow  # many real searches, each killed and resumed: scheduled first

# L_F: these tests are about the run folder, and an L_F step costs half an L_T one.
TINY = dict(dataset="digits", cells=3, init_channels=2, batch_size=8, epochs=1, steps_per_epoch=2, device="cpu",
            num_workers=0, loss="fair")
FLAGS = [f"--{k.replace('_', '-')}={v}" for k, v in TINY.items()]


def _records(run):
    """metrics.jsonl read as strict JSON: a bare NaN fails here."""
    def refuse(name):
        raise ValueError(f"non-JSON constant {name}")

    return [json.loads(line, parse_constant=refuse) for line in (run / "metrics.jsonl").read_text().splitlines()]


def _steps(run):
    return [r["step"] for r in _records(run) if r["type"] == "step"]


def _interrupt(run, config, until):
    """Run until `until(event)` is true, then abandon the search as a kill would (no stop, no final checkpoint)."""
    events = recorded_search(config, run)
    for event in events:
        if until(event):
            break
    events.close()


def test_a_second_writer_gets_one_line_naming_the_holder(tmp_path, capsys):
    run = tmp_path / "run"
    _interrupt(run, SearchConfig(**TINY), lambda e: isinstance(e, StepMetrics))
    with RunLock(run):
        with pytest.raises(LockedError, match="is being written by process"):
            next(recorded_search(None, run, resume=True))
        assert main(["search", "--resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is being written by process" in err


def test_kill_before_the_first_checkpoint_restarts_in_place(tmp_path, capsys):
    run = tmp_path / "run"
    _interrupt(run, SearchConfig(**TINY), lambda e: isinstance(e, StepMetrics))
    assert not (run / "checkpoint.pt").exists() and _steps(run) == [1]
    (run / ".checkpoint.pt.a1b2c3.tmp").write_bytes(b"half")  # an interrupted atomic write
    assert main(["search", "--resume", str(run), "-q"]) == 0, capsys.readouterr().err
    assert _steps(run) == [1, 2]
    assert [r["type"] for r in _records(run)].count("start") == 1
    assert not (run / ".checkpoint.pt.a1b2c3.tmp").exists()


def test_kill_after_a_checkpoint_leaves_no_duplicate_steps(tmp_path, capsys):
    run = tmp_path / "run"
    seen = []

    def after_checkpoint_and_a_step(event):
        seen.append(event)
        return isinstance(event, StepMetrics) and any(isinstance(e, CheckpointSaved) for e in seen)

    _interrupt(run, SearchConfig(**{**TINY, "checkpoint_every": 1}), after_checkpoint_and_a_step)
    assert _steps(run) == [1, 2]  # step 2 is not in the checkpoint (taken at step 1)
    assert main(["search", "--resume", str(run), "-q"]) == 0, capsys.readouterr().err
    assert _steps(run) == [1, 2]


def _nan_at_step(monkeypatch, bad_step):
    real = SearchEngine.step
    calls = {"n": 0}

    def step(self, train_batch, val_batch):
        calls["n"] += 1
        packed = real(self, train_batch, val_batch)
        return packed.fill_(float("nan")) if calls["n"] == bad_step else packed

    monkeypatch.setattr(SearchEngine, "step", step)
    return calls


def test_divergence_stops_at_the_first_nan_keeps_the_checkpoint_and_refuses_resume(tmp_path, monkeypatch, capsys):
    calls = _nan_at_step(monkeypatch, 2)
    run = tmp_path / "run"
    events = list(recorded_search(SearchConfig(**{**TINY, "epochs": 2, "checkpoint_every": 1}), run))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.kind == "diverged"
    assert "at step 2" in failed.message and "--lr" in failed.message and "last good checkpoint" in failed.message
    records = _records(run)  # strict JSON throughout (the first step's unknown ETA is null)
    assert _steps(run) == [1] and records[-1]["type"] == "failed"
    assert checkpoints.load_checkpoint(run / "checkpoint.pt", "search")["progress"]["global_step"] == 1
    with pytest.raises(DivergedError, match="configuration diverged"):
        next(recorded_search(None, run, resume=True))
    assert main(["search", "--resume", str(run)]) == 2
    assert "diverged" in capsys.readouterr().err
    calls["n"] = 0
    code = main(["search", *FLAGS, "--out", str(tmp_path / "cli")])
    err = capsys.readouterr().err
    assert code == 1 and "the search diverged" in err and "Traceback" not in err


def test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(tmp_path, monkeypatch, capsys):
    real = checkpoints.write_with
    calls = {"n": 0}

    def fill_up(path, writer):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, writer)

    monkeypatch.setattr(checkpoints, "write_with", fill_up)
    run = tmp_path / "run"
    code = main(["search", *FLAGS, "--epochs", "2", "--out", str(run), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and "no space left on device while writing" in err and "last checkpoint is kept" in err
    assert "Traceback" not in err
    assert checkpoints.load_checkpoint(run / "checkpoint.pt", "search")["progress"]["epoch"] == 1


def test_resume_of_a_finished_run_says_so_before_loading_data(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    list(recorded_search(SearchConfig(**TINY), run))

    def no_data(*args, **kwargs):
        raise AssertionError("data loaded")

    monkeypatch.setattr("ddarts.search.run.load_dataset", no_data)
    assert main(["search", "--resume", str(run)]) == 2
    assert "already finished" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (b"", "is empty (0 bytes)"), (b"\x80\x04junk", "damaged or not a ddarts search checkpoint")])
def test_a_bad_checkpoint_on_resume_is_one_line(tmp_path, capsys, content, message):
    run = tmp_path / "run"
    _interrupt(run, SearchConfig(**TINY), lambda e: isinstance(e, StepMetrics))
    (run / "checkpoint.pt").write_bytes(content)
    assert main(["search", "--resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "weights_only" not in err
    assert torch.tensor(1)  # torch stays importable after the refusal (no partial state)
