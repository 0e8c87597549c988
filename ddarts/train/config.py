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
    check_device,
    check_fields,
    check_flags,
)
from ddarts.data.catalogue import DATASETS
from ddarts.train.fields import FIELDS
from ddarts.train.recipes import RECIPES

TRAIN_DATASETS = DATASETS
RESUME_MUTABLE = ("device", "amp", "num_workers", "data_dir", "download", "log_every", "deterministic")
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
    image_size: int | None = None  # ImageNet crop size (default 224) or a folder's image side
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
    stem: str = "auto"  # auto: by input size (ddarts.data.catalogue.stem_for)
    auxiliary_weight: float = 0.4
    cutout: int = 16
    drop_path: float = 0.2
    label_smoothing: float | None = None
    seed: int = 0
    device: str = "auto"
    amp: bool | None = None
    amp_dtype: str = "bfloat16"
    channels_last: bool = True  # where faster: ddarts.runtime.memory_format
    deterministic: bool = False
    log_every: int = 50  # steps between "step" records in metrics.jsonl
    source: str | None = None  # what the genotype was taken from (a run folder or a file)
    recipe: str = "cifar"  # the named defaults this configuration started from (ddarts.train.recipes)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        check_fields(self, FIELDS)
        if not isinstance(self.data_dir, str) or not self.data_dir.strip():
            raise ConfigError("data_dir", "must be a non-empty path")
        if self.lr_min > self.lr:
            raise ConfigError("lr_min", f"must not exceed lr ({self.lr}), got {self.lr_min}")
        if self.drop_path >= 1.0:
            raise ConfigError("drop_path", f"must be < 1, got {self.drop_path}")
        check_flags(self, "download", "channels_last", "deterministic")
        if self.amp is not None and not isinstance(self.amp, bool):
            raise ConfigError("amp", f"expected true, false or null, got {self.amp!r}")
        check_device(self.device)

    @property
    def smoothing(self) -> float:
        if self.label_smoothing is not None:
            return float(self.label_smoothing)
        return 0.1 if self.dataset == "imagenet" else 0.0

    def resolve_stem(self, data_input_kind: str) -> str:
        """The stem for data whose own kind is `data_input_kind` (a folder's depends on its image size)."""
        return self.stem if self.stem != "auto" else data_input_kind

    unknown_field_label = "unknown training configuration field"

    @classmethod
    def from_recipe(cls, recipe: str, **given: Any) -> "TrainConfig":
        """The recipe's values, overridden by `given` (explicit options), with the recipe's name recorded."""
        if recipe not in RECIPES:
            raise ConfigError("recipe", f"{recipe!r} is not one of {', '.join(RECIPES)}")
        return cls(**{**RECIPES[recipe], **given, "recipe": recipe})


# ---------------------------------------------------------------------------------------------- events
