"""`python -m ddarts.bench`: seconds per search step, images per second and peak memory of L_F and every L_T
mode, in each memory format, optionally side by side with another checkout of ddarts.

Besides seconds, every step is given in units: one plain forward+backward of the same supernet on the same
batch in the same memory format, so that the ratios say what the search costs on top of training the
supernet, whatever the machine. Step times are medians over interleaved rounds: each round runs every case of
every checkout once, so load changes on a shared machine hit all of them alike. Peak memory is CUDA's
allocator peak on a GPU and the growth of the resident set on a CPU, each in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import torch

from ddarts.bench.workers import THIS_CHECKOUT, Worker, check_checkout, describe_checkout, measure_peak
from ddarts.errors import DdartsError
from ddarts.search import config as search_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ddarts.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--init-channels", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads of every worker (default: torch's)")
    parser.add_argument("--repeats", type=int, default=5, help="measured rounds (median)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--formats", choices=("all", "default"), default="all",
                        help="time every memory format the engine can run in, or only the one it picks")
    parser.add_argument("--baseline", metavar="PATH", help="another ddarts checkout (e.g. a git worktree of an "
                        "older commit) measured side by side in the same rounds")
    parser.add_argument("--no-peak", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--no-amp", action="store_true", help="full precision on CUDA")
    return parser


def worker_flags(args: argparse.Namespace) -> list[str]:
    flags = ["--cells", str(args.cells), "--init-channels", str(args.init_channels),
             "--batch-size", str(args.batch_size), "--device", args.device,
             "--threads", str(args.threads or torch.get_num_threads())]
    return flags + (["--no-amp"] if args.no_amp else [])


def case_specs(info: dict[str, Any], formats: str) -> list[dict[str, Any]]:
    """Unit, L_F and L_T in each of the checkout's gradient modes, default memory format first."""
    default = bool(info["default_channels_last"])
    requests = (default,) if formats == "default" else (default, not default)
    grads = info["grads"] or [None]
    specs = []
    for channels_last in requests:
        specs.append({"loss": "unit", "ablation_grad": None, "channels_last": channels_last})
        specs.append({"loss": "fair", "ablation_grad": None, "channels_last": channels_last})
        specs.extend({"loss": "ablation", "ablation_grad": g, "channels_last": channels_last} for g in grads)
    return specs


def case_name(case: dict[str, Any]) -> str:
    return case["loss"] if case["ablation_grad"] is None else f"{case['loss']}:{case['ablation_grad']}"


class Side:
    """One checkout in the comparison: its worker, its distinct cases and their samples."""

    def __init__(self, label: str, checkout: Path, args: argparse.Namespace):
        self.label = label
        self.checkout = checkout
        self.flags = worker_flags(args)
        self.worker = Worker(checkout, self.flags)
        self.info = self.worker.info
        specs = case_specs(self.info, args.formats)
        formats = self.worker.ask({"build": specs})["formats"]
        self.cases: list[dict[str, Any]] = []
        self.indices: list[int] = []
        seen = set()
        for i, (spec, fmt) in enumerate(zip(specs, formats)):
            key = (case_name(spec), fmt)  # a format the engine does not use collapses onto the one it does
            if key not in seen:
                seen.add(key)
                self.cases.append({**spec, "memory_format": fmt})
                self.indices.append(i)
        self.default_format = formats[0]
        self.samples: list[list[float]] = [[] for _ in self.cases]

    def step(self, k: int, keep: bool) -> None:
        seconds = self.worker.ask({"step": self.indices[k]})["s"]
        if keep:
            self.samples[k].append(seconds)

    def results(self, batch_size: int) -> list[dict[str, Any]]:
        medians = [statistics.median(s) for s in self.samples]
        unit = {c["memory_format"]: m for c, m in zip(self.cases, medians) if c["loss"] == "unit"}
        out = []
        for case, median in zip(self.cases, medians):
            images = batch_size if case["loss"] == "unit" else 2 * batch_size  # α batch + weight batch
            out.append({"case": case_name(case), "loss": case["loss"], "ablation_grad": case["ablation_grad"],
                        "memory_format": case["memory_format"], "default_format": case["memory_format"] == self.default_format,
                        "step_s": round(median, 5), "images_per_s": round(images / median, 2),
                        "units": round(median / unit[case["memory_format"]], 3)})
        return out

    def peak(self, loss: str, grad: str | None) -> float:
        return measure_peak(self.checkout, self.flags, {"loss": loss, "ablation_grad": grad,
                                                        "channels_last": bool(self.info["default_channels_last"])})


def summary(side: Side, results: list[dict[str, Any]], peaks: bool) -> dict[str, Any]:
    """The headline keys: the engine's default memory format, L_T in the checkout's default mode."""
    default = {r["case"]: r for r in results if r["default_format"]}
    grad = side.info["default_grad"]
    ablation = default["ablation" if grad is None else f"ablation:{grad}"]
    out: dict[str, Any] = {
        "memory_format": side.default_format, "default_ablation_grad": grad,
        "unit_s": default["unit"]["step_s"], "fair_step_s": default["fair"]["step_s"],
        "ablation_step_s": ablation["step_s"],
        "fair_units": default["fair"]["units"], "ablation_units": ablation["units"],
    }
    if peaks:
        fair_peak, ablation_peak = side.peak("fair", None), side.peak("ablation", grad)
        out.update(fair_peak_mb=round(fair_peak, 2), ablation_peak_mb=round(ablation_peak, 2),
                   ablation_peak_ratio=round(ablation_peak / fair_peak, 3) if fair_peak > 0 else None)
    return out


def speedups(new: list[dict[str, Any]], old: list[dict[str, Any]], new_summary: dict, old_summary: dict) -> dict:
    """Old seconds over new seconds, each checkout in its default memory format, case by case (L_T modes matched
    by name, renamed ones by their old name) and for the headline keys (each checkout's default L_T mode)."""
    renamed = getattr(search_config, "LEGACY_ABLATION_GRADS", {})  # an old mode's name → its name today
    old_by_case = {}
    for r in old:
        if r["default_format"]:
            grad = renamed.get(r["ablation_grad"], r["ablation_grad"])
            old_by_case[case_name({**r, "ablation_grad": grad})] = r["step_s"]
    out = {r["case"]: round(old_by_case[r["case"]] / r["step_s"], 3)
           for r in new if r["default_format"] and r["case"] in old_by_case}
    for key in ("unit_s", "fair_step_s", "ablation_step_s"):
        out[key] = round(old_summary[key] / new_summary[key], 3)
    return out


def print_table(sides: list[Side], results: list[list[dict[str, Any]]]) -> None:
    print(f"{'checkout':<10} {'case':<18} {'memory format':<14} {'s/step':>8} {'images/s':>9} {'units':>6}",
          file=sys.stderr)
    for side, rows in zip(sides, results):
        for r in rows:
            print(f"{side.label:<10} {r['case']:<18} {r['memory_format']:<14} {r['step_s']:>8.3f} "
                  f"{r['images_per_s']:>9.2f} {r['units']:>6.2f}", file=sys.stderr)


def run(args: argparse.Namespace) -> dict[str, Any]:
    baseline = check_checkout(args.baseline) if args.baseline else None
    sides = [Side("this", THIS_CHECKOUT, args)]
    try:
        if baseline is not None:
            sides.append(Side("baseline", baseline, args))
        info = sides[0].info
        print(f"benchmarking on {info['device']}: {args.cells} cells, C={args.init_channels}, batch "
              f"{args.batch_size}, {args.repeats} rounds of {sum(len(s.cases) for s in sides)} cases", file=sys.stderr)
        for round_ in range(args.warmup + args.repeats):
            for k in range(max(len(s.cases) for s in sides)):
                for side in sides:
                    if k < len(side.cases):
                        side.step(k, keep=round_ >= args.warmup)
    finally:
        for side in sides:
            side.worker.close()
    results = [side.results(args.batch_size) for side in sides]
    print_table(sides, results)
    head = summary(sides[0], results[0], not args.no_peak)
    report: dict[str, Any] = {
        "device": info["device"], "machine": f"{platform.processor() or platform.machine()}, "
                                             f"{os.cpu_count()} logical CPUs",
        "torch": info["torch"], "cells": args.cells, "init_channels": args.init_channels,
        "batch_size": args.batch_size, "threads": info["threads"], "repeats": args.repeats,
        "checkout": describe_checkout(sides[0].checkout), **head, "cases": results[0],
    }
    if len(sides) > 1:
        base = summary(sides[1], results[1], not args.no_peak)
        report["baseline"] = {"checkout": describe_checkout(sides[1].checkout), "path": str(sides[1].checkout),
                              **base, "cases": results[1]}
        report["speedup"] = speedups(results[0], results[1], head, base)
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = run(args)
    except DdartsError as exc:
        print(f"python -m ddarts.bench: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 0
