"""How many threads torch's CPU kernels use: the cores this process may really run on.

torch's default counts the machine's cores, which oversubscribes a container limited by a CPU quota or an
affinity mask, and a desktop app that computes on every core starves its own event loop. An explicit
`OMP_NUM_THREADS` is the user's choice and always wins.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def _allowed_cpus() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _physical_cores(cpus: list[int]) -> int:
    """Distinct physical cores among `cpus` (hyperthread siblings count once); len(cpus) where unknown."""
    cores = set()
    for cpu in cpus:
        try:
            cores.add(Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list").read_text().strip())
        except OSError:
            return len(cpus)
    return len(cores) or len(cpus)


def _quota_cores(path: Path = CGROUP_CPU_MAX) -> int | None:
    """The cgroup v2 CPU quota in whole cores (rounded up), or None where there is none."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(1, math.ceil(int(quota) / int(period)))
    except (ValueError, ZeroDivisionError):
        return None


def available_cores() -> int:
    """Physical cores this process may run on, capped by its CPU quota."""
    cores = _physical_cores(_allowed_cpus())
    quota = _quota_cores()
    return max(1, min(cores, quota) if quota is not None else cores)


def use_cores(reserve: int = 0) -> int:
    """Set torch's intra-op threads to the available cores less `reserve` (at least one); returns the count.

    The desktop app reserves one core for its event loop. With `OMP_NUM_THREADS` set nothing changes.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    threads = max(1, available_cores() - reserve)
    if threads != torch.get_num_threads():
        torch.set_num_threads(threads)
    return threads
