"""Data-parallel search across processes started by `torchrun` (PyTorch distributed), never a scheduler of ours.

Every process holds a full replica of the supernet and a 1/world_size slice of every batch. Gradients, marginal
contributions and logged metrics are averaged with `all_reduce`, so every replica takes the same optimizer step
and the searched numbers match a single process seeing the whole batch (up to BatchNorm, whose batch statistics
are per process, as with `DistributedDataParallel`). Rank 0 alone writes the run folder.

Control decisions (stop) travel through a separate gloo group on the host, so agreeing on them never waits for
the GPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from ddarts.errors import DdartsError

T = TypeVar("T")


class DistributedError(DdartsError):
    """The torchrun environment is inconsistent, or another process reported a failure."""


@dataclass(frozen=True)
class LaunchInfo:
    """Where this process sits in a torchrun launch."""

    rank: int
    world_size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launch_info(environ: dict[str, str] | None = None) -> LaunchInfo | None:
    """The torchrun placement of this process, or None for a plain single-process run."""
    env = os.environ if environ is None else environ
    if "WORLD_SIZE" not in env:
        return None
    try:
        info = LaunchInfo(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", env["RANK"])))
    except (KeyError, ValueError):
        raise DistributedError("WORLD_SIZE is set but RANK/LOCAL_RANK are missing or not integers; "
                               "start distributed searches with torchrun") from None
    if info.world_size < 1 or not 0 <= info.rank < info.world_size:
        raise DistributedError(f"rank {info.rank} is outside a world of {info.world_size} processes")
    return info if info.world_size > 1 else None


def device_for(spec: str, info: LaunchInfo) -> torch.device:
    """One GPU per process (cuda:LOCAL_RANK); `cpu` runs every process on the host (gloo)."""
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "auto" and not torch.cuda.is_available():
        return torch.device("cpu")
    if spec not in ("auto", "cuda"):
        raise DistributedError(f"--device {spec}: under torchrun every process takes cuda:LOCAL_RANK; "
                               f"use --device cuda (or auto), or CUDA_VISIBLE_DEVICES to pick the GPUs")
    if not torch.cuda.is_available():
        raise DistributedError("--device cuda requested but CUDA is not available here; use --device cpu")
    if info.local_rank >= torch.cuda.device_count():
        raise DistributedError(f"local rank {info.local_rank} has no GPU: only {torch.cuda.device_count()} visible; "
                               f"start at most that many processes per node (--nproc_per_node)")
    return torch.device("cuda", info.local_rank)


class Distributed:
    """A started process group plus the few collectives the search needs."""

    def __init__(self, info: LaunchInfo, device: torch.device):
        self.info = info
        self.device = device
        self._owns_group = not dist.is_initialized()
        if self._owns_group:
            backend = "nccl" if device.type == "cuda" else "gloo"
            if device.type == "cuda":
                torch.cuda.set_device(device)
                dist.init_process_group(backend, device_id=device)
            else:
                dist.init_process_group(backend)
        # Host-side decisions (stop, errors) must not queue behind GPU work: a gloo group of their own.
        self.control_group = dist.new_group(backend="gloo") if device.type == "cuda" else None

    @property
    def rank(self) -> int:
        return self.info.rank

    @property
    def world_size(self) -> int:
        return self.info.world_size

    @property
    def is_main(self) -> bool:
        return self.info.is_main

    def describe(self) -> str:
        return f"{self.world_size} processes (torchrun, {dist.get_backend()})"

    # ------------------------------------------------------------------ tensors
    def mean_(self, tensors: Sequence[torch.Tensor]) -> None:
        """Average tensors across processes in place, one all_reduce per dtype (no host sync on CUDA)."""
        def average(flat: torch.Tensor) -> None:
            dist.all_reduce(flat)
            flat.div_(self.world_size)

        _flattened(tensors, average)

    def sum_(self, tensor: torch.Tensor) -> None:
        """Add a tensor up across processes in place."""
        dist.all_reduce(tensor)

    def gather_objects(self, value: Any) -> list[Any]:
        """Every process's `value`, in rank order, on every process (small host objects only)."""
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, value, group=self.control_group)
        return out

    def broadcast_(self, tensors: Sequence[torch.Tensor]) -> None:
        """Copy rank 0's values into every replica: one broadcast per dtype, not one per tensor."""
        _flattened(tensors, lambda flat: dist.broadcast(flat, src=0))

    def replicas_agree(self, tensors: Sequence[torch.Tensor]) -> bool:
        """Whether every process holds the same values (compares a checksum, max minus min over ranks)."""
        total = torch.stack([t.detach().double().sum() for t in tensors]).sum().reshape(1)
        high, low = total.clone(), total.clone()
        dist.all_reduce(high, op=dist.ReduceOp.MAX)
        dist.all_reduce(low, op=dist.ReduceOp.MIN)
        return bool((high - low).abs().item() <= 1e-9 * max(1.0, float(high.abs().item())))

    # ------------------------------------------------------------------ host decisions
    def any(self, flag: bool) -> bool:
        """True on every process when it is true on any (used to stop all replicas at the same step)."""
        value = torch.tensor([1 if flag else 0], dtype=torch.int32)
        dist.all_reduce(value, op=dist.ReduceOp.MAX, group=self.control_group)
        return bool(value.item())

    def agree(self, error: BaseException | None) -> None:
        """Collective error check: if any process failed, every process raises (its own error, or one naming
        the failed rank), so no replica is left waiting in a collective the others will never join."""
        own = None if error is None else (str(error) or type(error).__name__)
        messages: list[Any] = [None] * self.world_size
        dist.all_gather_object(messages, own, group=self.control_group)
        if error is not None:
            raise error
        failed = [(rank, m) for rank, m in enumerate(messages) if m is not None]
        if failed:
            rank, message = failed[0]
            raise DistributedError(f"process {rank} failed: {message}")

    def close(self) -> None:
        if self._owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self._owns_group = False


def _flattened(tensors: Sequence[torch.Tensor], collective: Callable[[torch.Tensor], None]) -> None:
    """Run `collective` on one flat buffer per dtype and copy the result back into `tensors`."""
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for group in by_dtype.values():
        flat = torch.cat([t.reshape(-1) for t in group])
        collective(flat)
        offset = 0
        for t in group:
            t.copy_(flat[offset:offset + t.numel()].view_as(t))
            offset += t.numel()


def any_process(dist: Distributed | None, flag: bool) -> bool:
    """`flag` on a single process; under torchrun, true everywhere if true on any process."""
    return dist.any(flag) if dist is not None else flag


def start(spec: str, info: LaunchInfo | None = None) -> Distributed | None:
    """Join the torchrun process group when launched by torchrun; None for a single process."""
    info = info if info is not None else launch_info()
    if info is None:
        return None
    return Distributed(info, device_for(spec, info))


def agreed(dist: Distributed | None, work: Callable[[], T]) -> T:
    """Run `work` here; under torchrun, fail on every process if it failed on any."""
    if dist is None:
        return work()
    result, error = None, None
    try:
        result = work()
    except Exception as exc:
        error = exc
    dist.agree(error)
    return result  # type: ignore[return-value]


def main_first(dist: Distributed | None, reports: Callable[[], Iterator[T]]) -> Iterator[T]:
    """Run a reporting step (loading or downloading data) on rank 0 first, yielding its reports, then on the
    other processes silently: one process downloads, the others read the files it left."""
    if dist is None:
        yield from reports()
        return
    error = None
    if dist.is_main:
        try:
            yield from reports()
        except Exception as exc:
            error = exc
    dist.agree(error)
    agreed(dist, lambda: None if dist.is_main else [None for _ in reports()])
