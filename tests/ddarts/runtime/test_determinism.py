"""`deterministic=True` switches PyTorch's deterministic algorithms and cuDNN settings on for the run only."""

from __future__ import annotations

import numpy as np
import torch

from ddarts.runtime.determinism import deterministic_mode
from ddarts.search import search
from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaSnapshot, StepMetrics

TINY = dict(dataset="digits", cells=3, init_channels=2, batch_size=8, epochs=1, steps_per_epoch=2, device="cpu",
            num_workers=0)


def test_the_mode_sets_and_restores_the_process_settings():
    assert not torch.are_deterministic_algorithms_enabled()
    with deterministic_mode(True):
        assert torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
        assert not torch.backends.cudnn.benchmark
    assert not torch.are_deterministic_algorithms_enabled() and not torch.backends.cudnn.deterministic
    with deterministic_mode(False):
        assert not torch.are_deterministic_algorithms_enabled()


def test_a_deterministic_search_runs_with_it_on_and_repeats_exactly():
    seen, alphas = [], []
    for _ in range(2):
        for event in search(SearchConfig(**TINY, deterministic=True)):
            if isinstance(event, StepMetrics):
                seen.append(torch.are_deterministic_algorithms_enabled())
            if isinstance(event, AlphaSnapshot):
                alphas.append(event.alphas)
    assert seen == [True] * 4 and not torch.are_deterministic_algorithms_enabled()
    assert np.array_equal(alphas[0], alphas[1])
