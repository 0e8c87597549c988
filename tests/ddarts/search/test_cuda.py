"""The CUDA path of the engine: mixed precision, channels_last, no host sync inside a step, out of memory.

Skipped on machines without CUDA; `bench/gpu_check.sh` runs these on a GPU together with the benchmark.
"""

from __future__ import annotations

import copy

import pytest
import torch

from ddarts.search import SearchConfig, search
from ddarts.search.engine import SearchEngine
from ddarts.search.events import Failed

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _engine(device: str, **overrides) -> SearchEngine:
    torch.manual_seed(0)
    cfg = SearchConfig(**{"dataset": "digits", "cells": 5, "init_channels": 8, "batch_size": 16, "device": device,
                          **overrides})
    return SearchEngine(cfg, num_classes=10, device=torch.device(device))


def _batch(device: str, channels_last: bool = False):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 3, 32, 32, generator=g).to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, torch.randint(0, 10, (16,), generator=g).to(device)


@pytest.mark.parametrize("loss", ["fair", "ablation"])
def test_a_step_never_waits_for_the_gpu(loss):
    engine = _engine("cuda", loss=loss)
    batch = _batch("cuda", channels_last=True)
    engine.step(batch, batch)  # warm-up: lazy initialisation may synchronise once
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        packed = engine.step(batch, batch)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(packed).all()


@pytest.mark.parametrize("amp_dtype", ["bfloat16", "float16"])
def test_mixed_precision_and_channels_last_train_every_alpha(amp_dtype):
    engine = _engine("cuda", amp_dtype=amp_dtype)
    assert engine.use_amp
    conv = next(m for m in engine.model.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    before = torch.stack([a.detach().clone() for a in engine.alphas])
    for _ in range(3):
        packed = engine.step(_batch("cuda", True), _batch("cuda", True))
    assert torch.isfinite(packed).all()
    after = torch.stack([a.detach() for a in engine.alphas])
    assert (after != before).flatten(1).any(1).all()  # every cell's α moved


def test_full_precision_cuda_step_matches_the_cpu_step():
    cpu = _engine("cpu", amp=False, channels_last=False)
    gpu = _engine("cuda", amp=False, channels_last=False)
    gpu.model.load_state_dict(copy.deepcopy(cpu.model.state_dict()))
    gpu.ablation_rng.set_state(cpu.ablation_rng.get_state())
    cpu_packed = cpu.step(_batch("cpu"), _batch("cpu"))
    gpu_packed = gpu.step(_batch("cuda"), _batch("cuda"))
    torch.testing.assert_close(gpu_packed.cpu(), cpu_packed, rtol=1e-3, atol=1e-4)
    for a, b in zip(gpu.alphas, cpu.alphas):
        torch.testing.assert_close(a.detach().cpu(), b.detach(), rtol=1e-3, atol=1e-5)


def test_real_out_of_memory_ends_with_a_batch_size_hint(tmp_path):
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(min(1.0, (512 << 20) / total))  # 512 MiB for this test
    try:
        cfg = SearchConfig(dataset="digits", cells=8, init_channels=64, batch_size=512, epochs=1,
                           steps_per_epoch=2, device="cuda")
        events = list(search(cfg, tmp_path / "run"))
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()
    failed = [e for e in events if isinstance(e, Failed)]
    assert failed and failed[0].kind == "oom"
    assert "--batch-size 256" in failed[0].message
