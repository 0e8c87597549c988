"""How a sweep uses Ray: where it runs, how many trials at once, on what share of a machine, and early stopping.

Kept apart from `ray_runner` so the command line can offer these options without importing Ray.
"""

from __future__ import annotations

from dataclasses import dataclass

from ddarts.config import ConfigError

EARLY_STOPS = ("none", "asha")
METRICS = {"val_acc": "max", "best_val_acc": "max", "val_loss": "min"}


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None
    """An existing cluster (`ray start --head` prints it; "auto" finds a local one); None starts a local Ray."""
    cpus: int | None = None
    """CPUs of the local Ray (None: all of this machine's)."""
    gpus: int | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    max_concurrent: int | None = None
    early_stop: str = "none"
    metric: str = "val_acc"
    grace_epochs: int = 1
    reduction_factor: int = 2

    def __post_init__(self) -> None:
        if self.early_stop not in EARLY_STOPS:
            raise ConfigError("early_stop", f"{self.early_stop!r} is not one of {', '.join(EARLY_STOPS)}")
        if self.metric not in METRICS:
            raise ConfigError("metric", f"{self.metric!r} is not one of {', '.join(METRICS)}")
        if self.cpus_per_trial <= 0:
            raise ConfigError("cpus_per_trial", f"must be > 0, got {self.cpus_per_trial}")
        if self.gpus_per_trial < 0:
            raise ConfigError("gpus_per_trial", f"must be >= 0, got {self.gpus_per_trial}")
        if self.gpus_per_trial > 1 and self.gpus_per_trial != int(self.gpus_per_trial):
            raise ConfigError("gpus_per_trial", f"above 1 must be whole GPUs, got {self.gpus_per_trial}")
        for name in ("cpus", "gpus", "max_concurrent"):
            value = getattr(self, name)
            if value is not None and value < (0 if name == "gpus" else 1):
                raise ConfigError(name, f"must be >= {0 if name == 'gpus' else 1}, got {value}")
        if self.grace_epochs < 1 or self.reduction_factor < 2:
            raise ConfigError("grace_epochs" if self.grace_epochs < 1 else "reduction_factor",
                              "ASHA needs a grace period >= 1 epoch and a reduction factor >= 2")
