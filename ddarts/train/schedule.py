"""The learning-rate schedule of a training run, stepped once per epoch."""

from __future__ import annotations

import torch

from ddarts.train.config import TrainConfig


def make_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig) -> torch.optim.lr_scheduler.LRScheduler:
    """cosine: CIFAR recipes anneal to lr_min over the epochs; step: ImageNet's ×lr_decay after every epoch."""
    if config.lr_schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=config.lr_decay)
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs, eta_min=config.lr_min)
