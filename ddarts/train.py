"""Training a derived network from scratch: the configuration, the events the loop yields, and `train`.

The loop (ddarts.train_loop) is a generator of the frozen events below, like the search engine, so the
CLI draws a progress bar from them and a GUI could plot them; stop and pause requests are honoured at
step boundaries and always leave a checkpoint that resumes the run exactly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any, Iterator, Union

from ddarts.genotype import DartsGenotype, Genotype
from ddarts.config_fields import ConfigError, ConfigRecord, check_choice, check_device, check_flags, check_number
from ddarts.search.events import DatasetProgress

TRAIN_DATASETS = ("cifar10", "cifar100", "imagenet", "digits")
AMP_DTYPES = ("bfloat16", "float16")
RESUME_MUTABLE = ("device", "amp", "num_workers", "data_dir", "download", "log_every")
"""Fields a resumed run may change: where and how it runs, never what it computes."""


@dataclass(frozen=True)
class TrainConfig(ConfigRecord):
    """Defaults follow the DARTS/FairDARTS/D-DARTS CIFAR recipe (600 epochs, SGD 0.025 cosine to 0, cutout 16,
    drop path 0.2, auxiliary 0.4). `label_smoothing=None` means 0.1 on ImageNet, 0 elsewhere; `amp=None` means
    mixed precision on CUDA only."""

    dataset: str = "cifar10"
    data_dir: str = "data"
    download: bool = True
    num_workers: int = 4
    image_size: int | None = None  # ImageNet crop size override (default 224)
    epochs: int = 600
    batch_size: int = 96
    eval_batch_size: int | None = None  # default: batch_size
    steps_per_epoch: int | None = None  # cap, for quick runs
    eval_batches: int | None = None  # cap on test batches per evaluation, for quick runs
    lr: float = 0.025
    lr_min: float = 0.0
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    init_channels: int = 36
    layers: int | None = None  # as derived; informational once the genotype is fixed
    auxiliary_weight: float = 0.4
    cutout: int = 16
    drop_path: float = 0.2
    label_smoothing: float | None = None
    seed: int = 0
    device: str = "auto"
    amp: bool | None = None
    amp_dtype: str = "bfloat16"
    channels_last: bool = True  # CUDA only
    log_every: int = 50  # steps between "step" records in metrics.jsonl
    source: str | None = None  # what the genotype was taken from (a run folder or a file)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def number(name: str, lo: float | None = None, hi: float | None = None, **kinds: bool) -> None:
            check_number(self, name, lo, hi, **kinds)

        check_choice(self, "dataset", TRAIN_DATASETS)
        check_choice(self, "amp_dtype", AMP_DTYPES)
        if not isinstance(self.data_dir, str) or not self.data_dir.strip():
            raise ConfigError("data_dir", "must be a non-empty path")
        number("num_workers", 0, 64, integer=True)
        number("image_size", 8, 1024, integer=True, optional=True)
        number("epochs", 1, 100_000, integer=True)
        number("batch_size", 1, 65_536, integer=True)
        number("eval_batch_size", 1, 65_536, integer=True, optional=True)
        number("steps_per_epoch", 1, integer=True, optional=True)
        number("eval_batches", 1, integer=True, optional=True)
        number("lr", 0.0, lo_open=True)
        number("lr_min", 0.0)
        if self.lr_min > self.lr:
            raise ConfigError("lr_min", f"must not exceed lr ({self.lr}), got {self.lr_min}")
        number("momentum", 0.0, 1.0)
        number("weight_decay", 0.0)
        number("grad_clip", 0.0, lo_open=True)
        number("init_channels", 2, 1024, integer=True)
        number("layers", 3, 256, integer=True, optional=True)
        number("auxiliary_weight", 0.0)
        number("cutout", 0, 1024, integer=True)
        number("drop_path", 0.0, 1.0)
        if self.drop_path >= 1.0:
            raise ConfigError("drop_path", f"must be < 1, got {self.drop_path}")
        number("label_smoothing", 0.0, 1.0, optional=True)
        number("seed", 0, 2**63 - 1, integer=True)
        number("log_every", 1, integer=True)
        check_flags(self, "download", "channels_last")
        if self.amp is not None and not isinstance(self.amp, bool):
            raise ConfigError("amp", f"expected true, false or null, got {self.amp!r}")
        check_device(self.device)

    @property
    def smoothing(self) -> float:
        if self.label_smoothing is not None:
            return float(self.label_smoothing)
        return 0.1 if self.dataset == "imagenet" else 0.0

    @property
    def input_kind(self) -> str:
        return "imagenet" if self.dataset == "imagenet" else "cifar"

    unknown_field_label = "unknown training configuration field"


# ---------------------------------------------------------------------------------------------- events
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


def train(config: TrainConfig | None, run_dir: str | os.PathLike,
          genotype: Genotype | DartsGenotype | None = None, *, control: Any = None,
          resume: bool = False, dist: "Distributed | None" = None) -> Iterator[TrainEvent]:
    """Train `genotype` (a DartsGenotype is stacked to `config.layers`, default 20 / 14 on ImageNet) into `run_dir`.

    resume=True continues the run in `run_dir` from its checkpoint; `config` may then be None (the stored one)
    or differ from it only in RESUME_MUTABLE fields. `control` is a `SearchControl` (pause/stop). While the
    data loads (and downloads) its `DatasetProgress` reports are yielded first. Under torchrun every process
    calls this with the same arguments and its `ddarts.distributed.Distributed`; rank 0 writes the run folder.
    """
    from ddarts.train_loop import run_training

    return run_training(config, run_dir, genotype, control=control, resume=resume, dist=dist)
