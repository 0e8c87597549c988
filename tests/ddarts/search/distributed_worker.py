"""One process of a 2-process gloo group: runs engine steps on its half of a batch and saves what it got.

Spawned by test_distributed.py; kept out of the test module so the child imports nothing of pytest.
"""

from __future__ import annotations

import os

import torch

from ddarts.runtime.distributed import Distributed, LaunchInfo
from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine

WORLD = 2
CELLS, CLASSES, PER_PROCESS = 4, 5, 4


def make_engine(loss: str, grad: str, dist: Distributed | None) -> SearchEngine:
    torch.manual_seed(1)
    cfg = SearchConfig(dataset="digits", cells=CELLS, init_channels=2, batch_size=PER_PROCESS * WORLD, loss=loss,
                       ablation_grad=grad, w01=7.0, w_abl=0.5, device="cpu", grad_clip=0.05)
    engine = SearchEngine(cfg, num_classes=CLASSES, device=torch.device("cpu"), dist=dist)
    with torch.no_grad():  # α away from 0 so every term has a non-trivial gradient
        for a in engine.alphas:
            a.normal_(0, 0.5)
    return engine


def global_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    n = PER_PROCESS * WORLD
    return torch.randn(n, 3, 8, 8, generator=g, dtype=torch.float64), torch.randint(0, CLASSES, (n,), generator=g)


def shard(batch: tuple[torch.Tensor, torch.Tensor], rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    rows = slice(rank * PER_PROCESS, (rank + 1) * PER_PROCESS)
    return x[rows], y[rows]


MODES = (("fair", "constant"), ("ablation", "constant"), ("ablation", "exact"))


def run(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD))
    if os.path.exists("/sys/class/net/lo"):  # loopback: gloo must not depend on the host name resolving
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # two processes on a 2-core machine: more threads only thrash
    dist = Distributed(LaunchInfo(rank, WORLD, rank), torch.device("cpu"))
    try:
        for loss, grad in MODES:
            _steps(rank, dist, out_dir, loss, grad)
    finally:
        dist.close()


def _steps(rank: int, dist: Distributed, out_dir: str, loss: str, grad: str) -> None:
    engine = make_engine(loss, grad, dist)
    _, _, _, mc, lab, _ = engine.alpha_step(*shard(global_batch(3), rank))
    alpha_grads = [a.grad.clone() for a in engine.alphas]

    engine = make_engine(loss, grad, dist)
    engine.weight_step(*shard(global_batch(4), rank))
    weight_grads = [p.grad.clone() for p in engine.weights]

    engine = make_engine(loss, grad, dist)
    packed = engine.step(shard(global_batch(4), rank), shard(global_batch(3), rank))
    engine.synchronise_replicas()
    torch.save({"alpha_grads": alpha_grads, "mc": mc, "lab": lab, "weight_grads": weight_grads,
                "packed": packed, "state": engine.model.state_dict(), "stop": dist.any(rank == 1)},
               os.path.join(out_dir, f"{loss}-{grad}-rank{rank}.pt"))
