"""`deterministic=True`: PyTorch's deterministic algorithms and cuDNN settings for the length of a run.

The cost is GPU speed: cuDNN may no longer pick the fastest convolution algorithm (benchmark mode off) and cuBLAS
needs a fixed workspace. Ops without a deterministic CUDA kernel warn rather than stop the run (PyTorch names
them), so a warning-free run is reproducible. On CPUs ddarts is already deterministic; the flag changes nothing
there but costs nothing either. Measured figures: docs/determinism.md.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

CUBLAS_WORKSPACE = ":4096:8"


@contextlib.contextmanager
def deterministic_mode(enabled: bool) -> Iterator[None]:
    """Switch determinism on (when `enabled`) and restore the previous process-wide settings afterwards."""
    if not enabled:
        yield
        return
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[2], before[3]
