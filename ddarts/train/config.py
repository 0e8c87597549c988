"""Training a derived network from scratch: the configuration.

The loop (ddarts.train.loop) is a generator of the frozen events below, like the search engine, so the
CLI draws a progress bar from them and a GUI could plot them; stop and pause requests are honoured at
step boundaries and always leave a checkpoint that resumes the run exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ddarts.config import (
    ConfigError,
    ConfigRecord,
    check_choice,
    check_device,
    check_flags,
    check_number,
)

TRAIN_DATASETS = ("cifar10", "cifar100", "imagenet", "digits")
AMP_DTYPES = ("bfloat16", "float16")
LR_SCHEDULES = ("cosine", "step")
RECIPES: dict[str, dict[str, Any]] = {
    # DARTS / FairDARTS / D-DARTS on CIFAR: TrainConfig's own defaults.
    "cifar": {},
    # DARTS' ImageNet mobile setting (≤ 600M multiply-adds), as FairDARTS and D-DARTS train it; the paper
    # trained 400 epochs instead of 250 (its §5.4), so --epochs 400 reproduces that.
    "imagenet-mobile": {
        "dataset": "imagenet", "init_channels": 48, "layers": 14, "batch_size": 128, "lr": 0.1, "momentum": 0.9, "weight_decay": 3e-5,
        "lr_schedule": "step", "lr_decay": 0.97, "epochs": 250, "label_smoothing": 0.1, "auxiliary_weight": 0.4,
        "cutout": 0, "drop_path": 0.0, "grad_clip": 5.0,
    },
}
"""Named sets of training defaults; explicit options override them, and the run's config records the name."""
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
    lr_schedule: str = "cosine"  # cosine: to lr_min over the epochs; step: ×lr_decay after every epoch
    lr_decay: float = 0.97
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
    recipe: str = "cifar"  # the named defaults this configuration started from (RECIPES)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def number(name: str, lo: float | None = None, hi: float | None = None, **kinds: bool) -> None:
            check_number(self, name, lo, hi, **kinds)

        check_choice(self, "dataset", TRAIN_DATASETS)
        check_choice(self, "amp_dtype", AMP_DTYPES)
        check_choice(self, "lr_schedule", LR_SCHEDULES)
        check_choice(self, "recipe", tuple(RECIPES))
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
        number("lr_decay", 0.0, 1.0, lo_open=True)
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

    @classmethod
    def from_recipe(cls, recipe: str, **given: Any) -> "TrainConfig":
        """The recipe's values, overridden by `given` (explicit options), with the recipe's name recorded."""
        if recipe not in RECIPES:
            raise ConfigError("recipe", f"{recipe!r} is not one of {', '.join(RECIPES)}")
        return cls(**{**RECIPES[recipe], **given, "recipe": recipe})


def default_recipe(dataset: str | None) -> str:
    """imagenet-mobile for ImageNet, cifar for everything else."""
    return "imagenet-mobile" if dataset == "imagenet" else "cifar"


# ---------------------------------------------------------------------------------------------- events
