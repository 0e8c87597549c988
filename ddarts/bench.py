"""`python -m ddarts.bench`: search-step time and peak memory of L_F and L_T against one plain training step.

The unit is one forward+backward of the same supernet on the same batch, so the ratios say how much the
search itself costs on top of training the supernet, independent of the machine. Step times are medians
over interleaved rounds (so load changes hit every mode alike). Peak memory is CUDA's allocator peak on a GPU,
and on a CPU the growth of the resident set during the steps, measured in a fresh process per mode.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import torch
import torch.nn.functional as F

from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine
from ddarts.search.run import describe_device, resolve_device

MODES = ("unit", "fair", "ablation", "exact")
NUM_CLASSES = 100


def _config(args: argparse.Namespace, mode: str) -> SearchConfig:
    loss = "fair" if mode in ("unit", "fair") else "ablation"
    return SearchConfig(dataset="cifar100", cells=args.cells, init_channels=args.init_channels,
                        batch_size=args.batch_size, loss=loss, ablation_grad="exact" if mode == "exact" else "none",
                        device=args.device, amp=not args.no_amp)


def _batch(args: argparse.Namespace, device: torch.device, channels_last: bool):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch_size, 3, 32, 32, generator=g)
    y = torch.randint(0, NUM_CLASSES, (args.batch_size,), generator=g)
    x = x.to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y.to(device)


def _make(args: argparse.Namespace, mode: str, device: torch.device) -> SearchEngine:
    torch.manual_seed(0)
    return SearchEngine(_config(args, mode), NUM_CLASSES, device)


def _run_once(engine: SearchEngine, mode: str, batch) -> None:
    if mode == "unit":
        model = engine.model
        model.train()
        model.zero_grad(set_to_none=True)
        with engine._autocast():
            logits = model(batch[0])
        F.cross_entropy(logits.float(), batch[1]).backward()
    else:
        engine.step(batch, batch)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_times(args: argparse.Namespace, modes: tuple[str, ...]) -> dict[str, float]:
    device = resolve_device(args.device)
    engines = {m: _make(args, m, device) for m in modes}
    channels_last = engines[modes[0]].config.channels_last and device.type == "cuda"
    batch = _batch(args, device, channels_last)
    samples: dict[str, list[float]] = {m: [] for m in modes}
    for round_ in range(args.warmup + args.repeats):
        for mode in modes:
            _sync(device)
            start = time.perf_counter()
            _run_once(engines[mode], mode, batch)
            _sync(device)
            if round_ >= args.warmup:
                samples[mode].append(time.perf_counter() - start)
    return {m: statistics.median(v) for m, v in samples.items()}


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_peak_in_process(args: argparse.Namespace, mode: str) -> float:
    """Peak memory (MB) of `steps` steps of one mode, not counting what existed before the first step."""
    device = resolve_device(args.device)
    engine = _make(args, mode, device)
    channels_last = engine.config.channels_last and device.type == "cuda"
    batch = _batch(args, device, channels_last)
    if device.type == "cuda":
        _sync(device)
        torch.cuda.empty_cache()
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        for _ in range(2):
            _run_once(engine, mode, batch)
        _sync(device)
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    base = _rss_mb()
    for _ in range(2):
        _run_once(engine, mode, batch)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return peak - base


def measure_peak(args: argparse.Namespace, mode: str) -> float:
    device = resolve_device(args.device)
    if device.type == "cuda":
        return measure_peak_in_process(args, mode)
    # ru_maxrss is a lifetime peak: each CPU mode needs its own process.
    cmd = [sys.executable, "-m", "ddarts.bench", "--peak-of", mode, "--cells", str(args.cells),
           "--init-channels", str(args.init_channels), "--batch-size", str(args.batch_size), "--device", args.device]
    if args.no_amp:
        cmd.append("--no-amp")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ddarts.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--init-channels", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--repeats", type=int, default=5, help="measured rounds (median)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--exact", action="store_true", help="also time ablation_grad=exact")
    parser.add_argument("--no-amp", action="store_true", help="full precision on CUDA")
    parser.add_argument("--peak-of", choices=MODES, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.peak_of:
        print(f"{measure_peak_in_process(args, args.peak_of):.3f}")
        return 0
    device = resolve_device(args.device)
    modes = ("unit", "fair", "ablation") + (("exact",) if args.exact else ())
    print(f"benchmarking on {describe_device(device)}: {args.cells} cells, C={args.init_channels}, "
          f"batch {args.batch_size}, {args.repeats} rounds", file=sys.stderr)
    times = measure_times(args, modes)
    peaks = {m: measure_peak(args, m) for m in ("fair", "ablation")}
    result: dict[str, Any] = {
        "device": describe_device(device),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs",
        "torch": torch.__version__,
        "cells": args.cells, "init_channels": args.init_channels, "batch_size": args.batch_size,
        "unit_s": round(times["unit"], 5),
        "fair_step_s": round(times["fair"], 5),
        "ablation_step_s": round(times["ablation"], 5),
        "fair_peak_mb": round(peaks["fair"], 2),
        "ablation_peak_mb": round(peaks["ablation"], 2),
        "fair_units": round(times["fair"] / times["unit"], 3),
        "ablation_units": round(times["ablation"] / times["unit"], 3),
        "ablation_peak_ratio": round(peaks["ablation"] / peaks["fair"], 3) if peaks["fair"] > 0 else None,
    }
    if args.exact:
        result["exact_step_s"] = round(times["exact"], 5)
        result["exact_units"] = round(times["exact"] / times["unit"], 3)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
