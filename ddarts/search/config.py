"""The search configuration: every hyperparameter of a D-DARTS search, validated up front.

Defaults follow the paper and the public reference code (see docs/search.md for each default's source); a bad
value is rejected with a message naming the field before any data is touched or any file written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from ddarts.config import (
    ConfigError,
    ConfigRecord,
    check_choice,
    check_device,
    check_flags,
    check_number,
)

DATASETS = ("cifar10", "cifar100", "imagenet", "digits")
LOSSES = ("fair", "ablation")
ABLATION_GRADS = ("exact", "constant")
LEGACY_ABLATION_GRADS = {"none": "constant"}
"""Earlier names of the ablation-gradient modes, still read from existing configs and run folders."""
MIXINGS = ("sigmoid", "softmax")
PARSE_METHODS = ("darts", "sparse", "edge")
AMP_DTYPES = ("bfloat16", "float16")


@dataclass(frozen=True)
class SearchConfig(ConfigRecord):
    # data
    dataset: str = "cifar100"
    data_dir: str = "data"
    train_portion: float = 0.5
    download: bool = True
    num_workers: int = 2
    # supernet
    cells: int = 8
    init_channels: int = 16
    mixing: str = "sigmoid"
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
    checkpoint_every: int = 0
    """Steps between mid-epoch checkpoints (0: only at epoch ends, on stop and on failure)."""

    def __post_init__(self) -> None:
        if self.ablation_grad in LEGACY_ABLATION_GRADS:  # configs written before the modes were renamed
            object.__setattr__(self, "ablation_grad", LEGACY_ABLATION_GRADS[self.ablation_grad])
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        def choice(name: str, options: tuple[str, ...]) -> None:
            check_choice(self, name, options)

        def number(name: str, lo: float | None = None, hi: float | None = None, **kinds: bool) -> None:
            check_number(self, name, lo, hi, **kinds)

        choice("dataset", DATASETS)
        choice("loss", LOSSES)
        choice("ablation_grad", ABLATION_GRADS)
        choice("mixing", MIXINGS)
        choice("parse", PARSE_METHODS)
        choice("amp_dtype", AMP_DTYPES)
        if not isinstance(self.data_dir, str) or not self.data_dir.strip():
            raise ConfigError("data_dir", "must be a non-empty path")
        number("train_portion", 0.0, 1.0, lo_open=True)
        if self.train_portion >= 1.0:
            raise ConfigError("train_portion", "must leave data for the α split (< 1)")
        number("num_workers", 0, 64, integer=True)
        number("cells", 3, 64, integer=True)
        number("init_channels", 2, 1024, integer=True)
        if self.init_channels % 2:
            raise ConfigError("init_channels", f"must be even (reduction cells halve it twice), got {self.init_channels}")
        number("w01", 0.0)
        number("w_abl")
        number("ablation_eps", 0.0)
        number("epochs", 1, 100_000, integer=True)
        number("batch_size", 2, 65_536, integer=True)
        number("steps_per_epoch", 1, integer=True, optional=True)
        number("lr", 0.0, lo_open=True)
        number("lr_min", 0.0)
        if self.lr_min > self.lr:
            raise ConfigError("lr_min", f"must not exceed lr ({self.lr}), got {self.lr_min}")
        number("momentum", 0.0, 1.0)
        number("weight_decay", 0.0)
        number("grad_clip", 0.0, lo_open=True)
        number("arch_lr", 0.0, lo_open=True)
        number("arch_lr_min", 0.0)
        if self.arch_lr_min > self.arch_lr:
            raise ConfigError("arch_lr_min", f"must not exceed arch_lr ({self.arch_lr}), got {self.arch_lr_min}")
        number("arch_beta1", 0.0, 1.0)
        number("arch_beta2", 0.0, 1.0)
        number("arch_weight_decay", 0.0)
        number("threshold", 0.0, 1.0)
        number("seed", 0, 2**63 - 1, integer=True)
        number("checkpoint_every", 0, integer=True)
        check_flags(self, "download", "amp", "channels_last")
        check_device(self.device)

    # ------------------------------------------------------------------ serialisation
    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @property
    def reductions(self) -> tuple[int, int]:
        return (self.cells // 3, 2 * self.cells // 3)


def field_names() -> list[str]:
    return [f.name for f in fields(SearchConfig)]

