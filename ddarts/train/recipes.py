"""Named sets of training defaults (`ddarts train --recipe`); explicit options override them."""

from __future__ import annotations

from typing import Any

LR_SCHEDULES = ("cosine", "step")
RECIPES: dict[str, dict[str, Any]] = {
    # DARTS / FairDARTS / D-DARTS on CIFAR: TrainConfig's own defaults.
    "cifar": {},
    # DARTS' ImageNet mobile setting (≤ 600M multiply-adds), as FairDARTS and D-DARTS train it; the paper
    # trained 400 epochs instead of 250 (its §5.4), so --epochs 400 reproduces that.
    "imagenet-mobile": {
        "dataset": "imagenet", "init_channels": 48, "layers": 14, "batch_size": 128, "lr": 0.1, "momentum": 0.9,
        "weight_decay": 3e-5, "lr_schedule": "step", "lr_decay": 0.97, "epochs": 250, "label_smoothing": 0.1,
        "auxiliary_weight": 0.4, "cutout": 0, "drop_path": 0.0, "grad_clip": 5.0,
    },
}


def default_recipe(dataset: str | None) -> str:
    """imagenet-mobile for ImageNet, cifar for everything else."""
    return "imagenet-mobile" if dataset == "imagenet" else "cifar"
