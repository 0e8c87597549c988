"""Data-parallel search: two gloo processes on halves of a batch take exactly the step of the whole batch.

"The whole batch" means: every loss is the mean over the two halves, each half forwarded on its own (BatchNorm
batch statistics are per process, as with DistributedDataParallel). The references below are brute-force
autograd on that definition, independent of the engine's fast paths.
"""

from __future__ import annotations

import socket

import distributed_worker as worker
import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from ddarts.runtime.distributed import (
    DistributedError,
    LaunchInfo,
    device_for,
    launch_info,
)
from ddarts.search.losses import ablation_losses, zero_one_loss

pytestmark = pytest.mark.slow  # two processes per test: scheduled first


@pytest.fixture
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def spawned(tmp_path_factory):
    """One 2-process group runs every mode (starting processes is the slow part)."""
    out = tmp_path_factory.mktemp("ranks")
    mp.spawn(worker.run, args=(_free_port(), str(out)), nprocs=worker.WORLD, join=True)
    return out


def _results(folder, loss, grad):
    return [torch.load(folder / f"{loss}-{grad}-rank{r}.pt", weights_only=True) for r in range(worker.WORLD)]


def _halves(seed):
    batch = worker.global_batch(seed)
    return [worker.shard(batch, r) for r in range(worker.WORLD)]


def _mean(values):
    return sum(values) / len(values)


def _ablated(model, x, y, j, random_weights, weights):
    mixed = list(weights)
    mixed[j] = random_weights[j]
    return F.cross_entropy(model(x, mixed), y)


@pytest.mark.parametrize("loss,grad", worker.MODES)
def test_two_processes_take_the_step_of_the_whole_batch(spawned, float64, loss, grad):
    ranks = _results(spawned, loss, grad)

    reference = worker.make_engine(loss, grad, None)
    model, cfg = reference.model, reference.config
    random_weights = torch.rand(worker.CELLS, 14, 7, generator=reference.ablation_rng)
    weights = model.op_weights()
    halves = _halves(3)
    loss_full = _mean([F.cross_entropy(model(x, weights), y) for x, y in halves])
    if loss == "ablation":
        ablated = torch.stack([_mean([_ablated(model, x, y, j, random_weights, weights) for x, y in halves])
                               for j in range(worker.CELLS)])
        mc = loss_full - ablated
        lab = ablation_losses(mc)
        for rank in ranks:
            torch.testing.assert_close(rank["mc"], mc.detach())
            torch.testing.assert_close(rank["lab"], lab.detach())
    for i in range(worker.CELLS):
        l_t = loss_full + cfg.w01 * zero_one_loss(weights[i])
        if grad == "exact":
            l_t = l_t + cfg.w_abl * lab[i]
        (expected,) = torch.autograd.grad(l_t, [model.alphas[i]], retain_graph=True)
        for rank in ranks:
            torch.testing.assert_close(rank["alpha_grads"][i], expected, rtol=1e-7, atol=1e-10)

    # weight step: gradient of the mean loss, then clipped (grad_clip is small enough to bite)
    fresh = worker.make_engine(loss, grad, None)
    with torch.no_grad():
        op_weights = fresh.model.op_weights()
    train_loss = _mean([F.cross_entropy(fresh.model(x, op_weights), y) for x, y in _halves(4)])
    expected = torch.autograd.grad(train_loss, fresh.weights)
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in expected]))
    assert norm > cfg.grad_clip
    for rank in ranks:
        for got, want in zip(rank["weight_grads"], expected):
            torch.testing.assert_close(got, want * (cfg.grad_clip / (norm + 1e-6)), rtol=1e-6, atol=1e-10)

    # a full step leaves identical replicas, identical averaged metrics, and agreed host decisions
    first, second = ranks
    torch.testing.assert_close(first["packed"], second["packed"], rtol=0, atol=0)
    for key, value in first["state"].items():
        torch.testing.assert_close(second["state"][key], value, rtol=0, atol=0, msg=key)
    assert first["stop"] and second["stop"]


def test_launch_info_reads_torchrun_variables():
    assert launch_info({}) is None
    assert launch_info({"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0"}) is None
    info = launch_info({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert info == LaunchInfo(rank=3, world_size=4, local_rank=1) and not info.is_main
    with pytest.raises(DistributedError, match="RANK"):
        launch_info({"WORLD_SIZE": "2"})
    with pytest.raises(DistributedError, match="outside"):
        launch_info({"RANK": "2", "WORLD_SIZE": "2"})


def test_each_process_gets_its_local_gpu_or_a_clear_error():
    info = LaunchInfo(rank=1, world_size=2, local_rank=1)
    assert device_for("cpu", info) == torch.device("cpu")
    with pytest.raises(DistributedError, match="cuda:LOCAL_RANK"):
        device_for("cuda:3", info)
    if not torch.cuda.is_available():
        assert device_for("auto", info) == torch.device("cpu")
        with pytest.raises(DistributedError, match="not available"):
            device_for("cuda", info)


def test_a_batch_that_does_not_split_over_the_processes_names_the_field():
    from types import SimpleNamespace

    from ddarts.search import ConfigError, SearchConfig, SearchRun

    two = SimpleNamespace(world_size=2, device=torch.device("cpu"))
    with pytest.raises(ConfigError, match="batch_size: 9 does not split evenly over 2 processes"):
        SearchRun(SearchConfig(dataset="digits", batch_size=9, device="cpu"), None, dist=two)


def test_start_records_from_before_world_size_read_as_one_process():
    from ddarts.search.events import record_to_event

    record = {"type": "start", "run_dir": "r", "config": {}, "device": "cpu", "n_cells": 3, "reductions": [1, 2],
              "primitives": ["skip_connect"], "steps_per_epoch": 2, "total_steps": 4, "start_epoch": 0,
              "start_step": 0, "resumed": False}
    assert record_to_event(record).world_size == 1
    assert record_to_event({**record, "world_size": 4}).world_size == 4
