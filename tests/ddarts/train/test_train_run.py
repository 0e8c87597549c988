"""The training run lifecycle: the same guarantees as a search's (lock, resume after a kill, divergence, checks)."""

import json

import numpy as np
import pytest
import torch

from ddarts.config import ConfigError
from ddarts.errors import DivergedError, LockedError
from ddarts.genotype import load_genotype
from ddarts.genotype.parse import parse_alphas
from ddarts.runtime.lock import RunLock
from ddarts.train import TrainCheckpoint, TrainConfig, TrainStep, train
from ddarts.train import loop as train_loop

TINY = dict(dataset="digits", epochs=2, batch_size=8, eval_batch_size=16, steps_per_epoch=2, eval_batches=1,
            init_channels=4, seed=3, device="cpu", log_every=1)


@pytest.fixture(scope="module")
def genotype():
    alphas = np.random.default_rng(1).normal(0.0, 1.0, (3, 14, 7)).astype(np.float32)
    return parse_alphas(alphas, "sparse", 0.3, (1, 2), source="test")


def _steps(run):
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in records if r["type"] == "step"], [r["type"] for r in records]


def _interrupt(run, config, genotype, until):
    seen = []
    events = train(config, run, genotype)
    for event in events:
        seen.append(event)
        if until(seen):
            break
    events.close()


def test_kill_before_the_first_checkpoint_restarts_in_place(tmp_path, genotype):
    run = tmp_path / "run"
    _interrupt(run, TrainConfig(**TINY), genotype, lambda seen: isinstance(seen[-1], TrainStep))
    assert not (run / "checkpoint.pt").exists()
    (run / ".genotype.json.x9.tmp").write_text("{")
    list(train(None, run, resume=True))
    steps, types = _steps(run)
    assert steps == [1, 2, 3, 4] and types.count("start") == 1 and types[-1] == "finished"
    assert not (run / ".genotype.json.x9.tmp").exists()


def test_kill_after_a_checkpoint_leaves_no_duplicate_steps(tmp_path, genotype):
    run = tmp_path / "run"

    def one_step_after_the_checkpoint(seen):
        return isinstance(seen[-1], TrainStep) and any(isinstance(e, TrainCheckpoint) for e in seen)

    _interrupt(run, TrainConfig(**TINY), genotype, one_step_after_the_checkpoint)
    assert _steps(run)[0] == [1, 2, 3]
    with RunLock(run):  # one writer
        with pytest.raises(LockedError, match="is being written by process"):
            next(train(None, run, resume=True))
    list(train(None, run, resume=True))
    assert _steps(run)[0] == [1, 2, 3, 4]


def test_the_input_size_is_checked_before_anything_is_written(tmp_path):
    darts = load_genotype("tests/data/reference-genotypes/DARTS_V2.txt")
    config = TrainConfig(dataset="imagenet", image_size=64, init_channels=8, data_dir=str(tmp_path / "none"))
    with pytest.raises(ConfigError, match=r"64 px input does not fit .* smallest size that works is 193 px.*"
                                          r"--auxiliary-weight 0"):
        next(train(config, tmp_path / "run", darts))
    assert not (tmp_path / "run").exists()


def test_a_nan_loss_stops_training_and_a_resume_says_why(tmp_path, genotype, monkeypatch):
    real = train_loop.TrainingSession._train_step
    calls = {"n": 0}

    def step(self, x, y):
        calls["n"] += 1
        loss, correct = real(self, x, y)
        return (torch.tensor(float("nan")) if calls["n"] == 3 else loss), correct

    monkeypatch.setattr(train_loop.TrainingSession, "_train_step", step)
    run = tmp_path / "run"
    with pytest.raises(DivergedError, match="loss became nan at step 3 .*last good checkpoint"):
        list(train(TrainConfig(**TINY), run, genotype))
    steps, types = _steps(run)
    assert steps == [1, 2] and types[-1] == "failed"
    with pytest.raises(DivergedError, match="configuration diverged"):
        next(train(None, run, resume=True))
