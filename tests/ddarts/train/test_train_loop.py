"""Derived-network training on digits with a tiny network: events, run folder, stop/resume equivalence."""

import json

import numpy as np
import pytest
import torch

from ddarts.errors import RunFolderError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.parse import parse_alphas
from ddarts.search.config import ConfigError
from ddarts.search.control import SearchControl
from ddarts.search.events import DatasetProgress
from ddarts.train import (
    TrainCheckpoint,
    TrainConfig,
    TrainEpoch,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
    train,
)
from ddarts.train.folder import load_checkpoint
from ddarts.train.run import prepare_genotype

TINY = dict(dataset="digits", epochs=2, batch_size=8, eval_batch_size=16, steps_per_epoch=3, eval_batches=2,
            init_channels=4, seed=3, device="cpu", log_every=1)


@pytest.fixture(scope="module")
def genotype() -> Genotype:
    alphas = np.random.default_rng(1).normal(0.0, 1.0, (5, 14, 7)).astype(np.float32)
    g = parse_alphas(alphas, "sparse", 0.3, (1, 3), source="test")
    g.check_buildable()
    return g


def _events(*args, **kwargs):
    return list(train(*args, **kwargs))


def test_one_epoch_events_and_run_folder(tmp_path, genotype):
    run = tmp_path / "run"
    events = _events(TrainConfig(**{**TINY, "epochs": 1}), run, genotype)
    loading, events = events[:2], events[2:]
    assert [(type(e), e.stage, e.total) for e in loading] == [(DatasetProgress, "ready", 1437), (DatasetProgress, "ready", 360)]
    kinds = [type(e) for e in events]
    assert kinds == [TrainStarted, TrainStep, TrainStep, TrainStep, TrainEpoch, TrainCheckpoint, TrainFinished]
    start, epoch, finished = events[0], events[4], events[-1]
    assert (start.steps_per_epoch, start.total_steps, start.resumed, start.device) == (3, 3, False, "cpu")
    assert [e.step for e in events[1:4]] == [1, 2, 3] and events[1].lr == pytest.approx(0.025)
    assert 0.0 <= epoch.test_top1 <= epoch.test_top5 <= 1.0 and epoch.drop_path_prob == 0.0
    assert finished.final_top1 == epoch.test_top1 == finished.best_top1

    header = json.loads((run / "config.json").read_text())
    assert header["format_version"] == 1 and header["kind"] == "train" and header["config"]["init_channels"] == 4
    assert {"ddarts_version", "created"} <= set(header)
    assert Genotype.from_json(json.loads((run / "genotype.json").read_text())) == genotype
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["type"] for r in records] == ["start", "step", "step", "step", "epoch", "checkpoint", "finished"]
    assert records[4]["test_top5"] == epoch.test_top5
    ck = load_checkpoint(run / "checkpoint.pt")
    assert ck["finished"] and ck["epoch"] == 1 and ck["step"] == 3 and ck["config"] == header["config"]
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.pt", "config.json", "dataset.json", "genotype.json",
                                                    "metrics.jsonl"]


def test_stop_then_resume_matches_an_uninterrupted_run(tmp_path, genotype):
    config = TrainConfig(**TINY)
    straight = _events(config, tmp_path / "straight", genotype)

    control = SearchControl()
    first = []
    for event in train(config, tmp_path / "cut", genotype, control=control):
        first.append(event)
        if isinstance(event, TrainStep) and event.step == 4:  # mid-way through the second epoch
            control.stop()
    assert isinstance(first[-1], TrainStopped) and first[-1].step == 4 and first[-1].epoch == 1

    second = [e for e in train(None, tmp_path / "cut", resume=True) if not isinstance(e, DatasetProgress)]
    assert isinstance(second[0], TrainStarted) and second[0].resumed
    assert (second[0].start_epoch, second[0].start_step) == (1, 4)
    assert [e.step for e in second if isinstance(e, TrainStep)] == [5, 6]

    a = load_checkpoint(tmp_path / "straight" / "checkpoint.pt")["model"]
    b = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["model"]
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key].double(), b[key].double(), atol=1e-6, rtol=0), key
    ends = [e for e in straight if isinstance(e, TrainEpoch)], [e for e in first + second if isinstance(e, TrainEpoch)]
    assert [e.train_loss for e in ends[0]] == pytest.approx([e.train_loss for e in ends[1]], abs=1e-6)
    assert ends[1][-1].drop_path_prob == pytest.approx(0.1)

    records = [json.loads(line) for line in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["type"] == "step"] == [1, 2, 3, 4, 5, 6]
    assert [r["type"] for r in records].count("stopped") == 1 and records[-1]["type"] == "finished"

    with pytest.raises(RunFolderError, match="already finished"):
        _events(None, tmp_path / "cut", resume=True)


def test_resume_refuses_a_change_that_alters_the_computation(tmp_path, genotype):
    config = TrainConfig(**{**TINY, "epochs": 1, "steps_per_epoch": 1})
    control = SearchControl()
    control.stop()
    _events(config.replace(epochs=2), tmp_path / "run", genotype, control=control)
    with pytest.raises(RunFolderError, match="'batch_size' cannot change"):
        _events(config.replace(epochs=2, batch_size=4), tmp_path / "run", resume=True)


def test_existing_folder_is_refused_and_left_alone(tmp_path, genotype):
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="not empty"):
        _events(TrainConfig(**TINY), run, genotype)
    assert [p.name for p in run.iterdir()] == ["notes.txt"]


def test_prepare_genotype_derives_and_stacks(genotype):
    deeper = prepare_genotype(genotype, 8, "digits")
    assert deeper.n_cells == 8 and deeper.reductions == (2, 5)
    assert prepare_genotype(genotype, None, "digits") is genotype
    pair = DartsGenotype(normal=genotype.cells[0], reduce=genotype.cells[1])
    assert prepare_genotype(pair, None, "cifar10").n_cells == 20
    assert prepare_genotype(pair, None, "imagenet").n_cells == 14


def test_config_rejects_bad_values_by_field():
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="drop_path"):
        TrainConfig(drop_path=1.0)
    with pytest.raises(ConfigError, match="dataset"):
        TrainConfig(dataset="mnist")
    with pytest.raises(ConfigError, match="bogus"):
        TrainConfig.from_dict({"bogus": 1})
    assert TrainConfig(dataset="imagenet").smoothing == 0.1 and TrainConfig().smoothing == 0.0


def test_bfloat16_autocast_on_cpu_and_float16_refused(tmp_path, genotype):
    config = TrainConfig(**{**TINY, "epochs": 1, "steps_per_epoch": 1, "eval_batches": 1, "amp": True})
    events = _events(config, tmp_path / "bf16", genotype)
    epoch = next(e for e in events if isinstance(e, TrainEpoch))
    assert isinstance(events[-1], TrainFinished) and np.isfinite(epoch.test_loss) and np.isfinite(epoch.train_loss)
    with pytest.raises(ConfigError, match="float16 mixed precision needs CUDA"):
        _events(config.replace(amp_dtype="float16"), tmp_path / "fp16", genotype)
    assert not (tmp_path / "fp16").exists()


def test_resume_drops_log_records_newer_than_the_checkpoint(tmp_path, genotype):
    config = TrainConfig(**{**TINY, "epochs": 1})
    control = SearchControl()
    for event in train(config, tmp_path / "run", genotype, control=control):
        if isinstance(event, TrainStep) and event.step == 1:
            control.stop()
    log = tmp_path / "run" / "metrics.jsonl"
    kept = log.read_text()
    with log.open("a") as handle:  # a crash after the checkpoint: steps it does not hold, a torn last line
        handle.write('{"type": "step", "step": 2}\n{"type": "st')
    _events(None, tmp_path / "run", resume=True)
    text = log.read_text()
    assert text.startswith(kept) and '"step": 2}' not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["step"] for r in records if r["type"] == "step"] == [1, 2, 3]
