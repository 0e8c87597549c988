"""The frozen events the training loop yields, and the JSON records metrics.jsonl stores for them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Union

from ddarts.data.progress import DatasetProgress
from ddarts.genotype.core import Genotype


@dataclass(frozen=True)
class TrainStarted:
    run_dir: str
    config: dict[str, Any]
    device: str
    genotype: Genotype
    params: int  # trainable parameters, auxiliary head included
    steps_per_epoch: int
    total_steps: int
    epochs: int
    start_epoch: int  # 0-based epoch the run (re)starts in
    start_step: int  # global steps already done
    resumed: bool


@dataclass(frozen=True)
class TrainStep:
    epoch: int  # 0-based
    step: int  # global, 1-based count of finished steps
    step_in_epoch: int  # 1-based
    steps_per_epoch: int
    total_steps: int
    loss: float  # the optimised loss (auxiliary term included)
    top1: float  # fraction of the batch, main head
    lr: float
    elapsed_s: float
    steps_per_s: float
    eta_s: float


@dataclass(frozen=True)
class TrainEpoch:
    epoch: int  # 0-based
    epochs: int
    train_loss: float
    train_top1: float
    test_loss: float
    test_top1: float
    test_top5: float
    lr: float  # used during the epoch
    drop_path_prob: float
    best_top1: float
    elapsed_s: float


@dataclass(frozen=True)
class TrainCheckpoint:
    epoch: int  # epochs completed
    step: int
    path: str


@dataclass(frozen=True)
class TrainStopped:
    """Stopped on request after a finished step; `checkpoint` resumes it."""

    epoch: int
    step: int
    checkpoint: str


@dataclass(frozen=True)
class TrainFinished:
    epochs: int
    step: int
    best_top1: float
    final_top1: float
    final_top5: float
    elapsed_s: float


TrainEvent = Union[TrainStarted, DatasetProgress, TrainStep, TrainEpoch, TrainCheckpoint, TrainStopped, TrainFinished]

RECORD_TYPES: dict[type, str] = {
    TrainStarted: "start", TrainStep: "step", TrainEpoch: "epoch", TrainCheckpoint: "checkpoint",
    TrainStopped: "stopped", TrainFinished: "finished",
}


def train_event_record(event: TrainEvent) -> dict[str, Any]:
    """The JSON line metrics.jsonl stores for an event (genotypes as their JSON form)."""
    record: dict[str, Any] = {"type": RECORD_TYPES[type(event)]}
    for f in fields(event):
        value = getattr(event, f.name)
        if isinstance(value, Genotype):
            value = value.to_json()
        record[f.name] = value
    return record
