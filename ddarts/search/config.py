"""The search configuration: every hyperparameter of a D-DARTS search, validated up front.

Defaults follow the paper and the public reference code (see docs/search.md); a bad value is
rejected with a message naming the field before any data is touched or any file written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from ddarts.config import (
    ConfigError,
    ConfigRecord,
    check_device,
    check_fields,
    check_flags,
)
from ddarts.data.catalogue import DATASETS
from ddarts.search.fields import (
    ABLATION_GRADS,
    AMP_DTYPES,
    FIELDS,
    LEGACY_ABLATION_GRADS,
    LOSSES,
    MIXINGS,
    PARSE_METHODS,
    STEMS,
)

__all__ = ["ABLATION_GRADS", "AMP_DTYPES", "DATASETS", "FIELDS", "LOSSES", "MIXINGS", "PARSE_METHODS", "STEMS",
           "ConfigError", "SearchConfig", "field_names"]


@dataclass(frozen=True)
class SearchConfig(ConfigRecord):
    # data
    dataset: str = "cifar100"
    data_dir: str = "data"
    image_size: int | None = None  # folder datasets: resize to this side (None: the first image's)
    train_portion: float = 0.5
    download: bool = True
    num_workers: int = 2
    # supernet
    cells: int = 8
    init_channels: int = 16
    mixing: str = "sigmoid"
    stem: str = "auto"
    # loss
    loss: str = "ablation"
    w01: float = 7.0
    w_abl: float = -0.5
    """Weight of L_AB^i; positive adds it (paper Eq. 8), negative subtracts it (the public code's sign, the
    default: with the paper's sign α ascends L_CE whenever |mean(MC)| is small; docs/ablation-loss.md)."""
    ablation_grad: str = "exact"
    """exact: the true ∂L_T^i/∂α_i, L_AB included; constant: L_AB only shifts the logged loss (public code)."""
    ablation_eps: float = 0.0
    """Floor on |mean(MC)| in L_AB's denominator (0: Eq. 7 as written); guards the 1/mean(MC) factor."""
    # schedule
    epochs: int = 50
    batch_size: int = 72
    steps_per_epoch: int | None = None
    # network weights (SGD, cosine)
    lr: float = 0.005
    lr_min: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    # each cell's α (Adam, own cosine schedule)
    arch_lr: float = 3e-3
    arch_lr_min: float = 0.001
    arch_beta1: float = 0.9
    arch_beta2: float = 0.999
    arch_weight_decay: float = 1e-3
    # genotype parsing
    parse: str = "edge"
    threshold: float = 0.8
    # execution
    seed: int = 2
    device: str = "auto"
    amp: bool = True
    amp_dtype: str = "bfloat16"
    channels_last: bool = True
    deterministic: bool = False
    checkpoint_every: int = 0
    """Steps between mid-epoch checkpoints (0: only at epoch ends, on stop and on failure)."""
    # live α between epoch ends (for views; the run folder keeps per-epoch α unless alpha_live_record)
    alpha_live_steps: int = 0
    """Report α every N steps (0: not by step count)."""
    alpha_live_s: float = 0.0
    """Report α when this many seconds passed since the last report (0: not by time; the app asks for 2)."""
    alpha_live_record: bool = False
    """Also write the live α reports to metrics.jsonl (about cells × 98 numbers each)."""

    def __post_init__(self) -> None:
        if self.ablation_grad in LEGACY_ABLATION_GRADS:  # configs written before the modes were renamed
            object.__setattr__(self, "ablation_grad", LEGACY_ABLATION_GRADS[self.ablation_grad])
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        check_fields(self, FIELDS)
        if not isinstance(self.data_dir, str) or not self.data_dir.strip():
            raise ConfigError("data_dir", "must be a non-empty path")
        if self.train_portion >= 1.0:
            raise ConfigError("train_portion", "must leave data for the α split (< 1)")
        if self.init_channels % 2:
            raise ConfigError("init_channels", f"must be even (reduction cells halve it twice), got {self.init_channels}")
        if self.lr_min > self.lr:
            raise ConfigError("lr_min", f"must not exceed lr ({self.lr}), got {self.lr_min}")
        if self.arch_lr_min > self.arch_lr:
            raise ConfigError("arch_lr_min", f"must not exceed arch_lr ({self.arch_lr}), got {self.arch_lr_min}")
        check_flags(self, "download", "amp", "channels_last", "deterministic", "alpha_live_record")
        check_device(self.device)

    # ------------------------------------------------------------------ serialisation
    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @property
    def reductions(self) -> tuple[int, int]:
        return (self.cells // 3, 2 * self.cells // 3)


def field_names() -> list[str]:
    return [f.name for f in fields(SearchConfig)]

