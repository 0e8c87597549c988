"""Which memory format a network runs in: channels-last where it is the faster one.

On CUDA channels-last lets cuDNN use its NHWC kernels (and tensor cores under autocast). On a CPU, oneDNN's
depthwise and 1×1 convolutions vectorise over channels in NHWC: measured on 2 x86 cores at 8 cells, C = 8,
batch 16, one supernet forward+backward takes half the time in channels-last, while with 2 channels per
feature map (fewer than one 256-bit vector of float32) it is no faster and a little slower. Hence the rule:
channels-last on CUDA, and on a CPU with oneDNN when the narrowest feature map has at least
`CPU_MIN_CHANNELS` channels.
"""

from __future__ import annotations

import torch
from torch import nn

CPU_MIN_CHANNELS = 8
"""Narrowest feature map (in channels) from which channels-last pays on a CPU: one AVX2 vector of float32."""


def use_channels_last(device: torch.device, requested: bool, min_channels: int) -> bool:
    """True where channels-last is the faster format for a network whose narrowest feature map has
    `min_channels` channels; `requested=False` (the config's switch) always means contiguous NCHW."""
    if not requested:
        return False
    if device.type == "cuda":
        return True
    if device.type == "cpu":
        return (torch.backends.mkldnn.is_available() and bool(torch.backends.mkldnn.enabled)
                and min_channels >= CPU_MIN_CHANNELS)
    return False


def in_memory_format(module: nn.Module, channels_last: bool) -> nn.Module:
    """The module with its 4-d parameters and buffers in channels-last (in place), or unchanged."""
    return module.to(memory_format=torch.channels_last) if channels_last else module

