"""Which torch device a `--device` option names, checked up front, and how to describe it to a user.

Shared by search, training and evaluation, so every command accepts and rejects the same specs.
"""

from __future__ import annotations

import torch

from ddarts.config import ConfigError


def resolve_device(spec: str) -> torch.device:
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("device", f"{spec} requested but CUDA is not available here; use cpu or auto")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError("device", f"{spec} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
    return device


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"cpu ({torch.get_num_threads()} threads)"
