"""Training a derived network from scratch: the configuration.

The loop (ddarts.train.loop) is a generator of the frozen events below, like the search engine, so the
CLI draws a progress bar from them and a GUI could plot them; stop and pause requests are honoured at
step boundaries and always leave a checkpoint that resumes the run exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    channels_last: bool = True  # where faster: ddarts.runtime.memory_format
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
