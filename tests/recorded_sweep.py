"""Sweep folders recorded in-process (no Ray) for tests of everything that reads sweeps: summary, plots, the app."""

from __future__ import annotations

from pathlib import Path

from ddarts.runs import RunWriter, recorded_search
from ddarts.search import SearchControl
from ddarts.search.events import EpochMetrics, Finished, RunStarted, StepMetrics, Stopped
from ddarts.space.ops import PRIMITIVES
from ddarts.sweep import build_spec, new_plan, write_plan
from ddarts.sweep.plan import SweepPlan

TINY = {"dataset": "digits", "cells": 3, "init_channels": 2, "batch_size": 8, "epochs": 2, "steps_per_epoch": 2,
        "device": "cpu"}


def plan_sweep(root: Path, grid: dict[str, tuple[str, ...]], seeds: tuple[int, ...] = (), **base) -> SweepPlan:
    plan = new_plan(build_spec({**TINY, **base}, list(grid.items()), seeds), root)
    write_plan(plan)
    return plan


def record_trial(plan: SweepPlan, name: str, stop_after_step: int | None = None) -> str:
    """Run one trial in this process; `stop_after_step` stops it there, as Ctrl-C would, with a checkpoint."""
    control = SearchControl()
    for event in recorded_search(plan.trial(name).config, plan.run_dir(name), control=control):
        if isinstance(event, StepMetrics) and stop_after_step is not None and event.step >= stop_after_step:
            control.stop()
        if isinstance(event, (Stopped, Finished)):
            return type(event).__name__.lower()
    return "failed"


def synthetic_sweep(root: Path, grid: dict[str, tuple[str, ...]], seeds: tuple[int, ...], numbers, **base) -> SweepPlan:
    """A planned sweep whose trials are written by `write_run` with `numbers(trial)` -> (epochs, status)."""
    plan = plan_sweep(root, grid, seeds, **base)
    for trial in plan.trials:
        epochs, status = numbers(trial)
        if epochs is not None:
            write_run(plan.run_dir(trial), trial.config, epochs, status)
    return plan


def write_run(run_dir: Path, config, epochs: list[tuple[float, float, float, float]], status: str = "finished") -> Path:
    """A run folder written by the real RunWriter from given per-epoch numbers: (α-split L_CE, top-1, σ>0.9, σ<0.1).

    `status` "finished" closes the run, "stopped" stops it, "running" leaves it open (a live trial).
    """
    steps = config.steps_per_epoch or 2
    with RunWriter(run_dir, config) as writer:
        writer.write(RunStarted(str(run_dir), config.to_dict(), "cpu", config.cells, config.reductions, PRIMITIVES,
                                steps, steps * config.epochs, 0, 0))
        for epoch, (loss, acc, dominant, low) in enumerate(epochs):
            cells = config.cells
            writer.write(StepMetrics(epoch, (epoch + 1) * steps, steps, steps, steps * config.epochs, loss + 0.1,
                                     acc, loss, acc, (0.0,) * cells, (), (), (loss,) * cells, 0.01, 0.001,
                                     float(epoch + 1), 1.0, 0.0))
            writer.write(EpochMetrics(epoch, loss + 0.1, acc, loss, acc, dominant, low, (dominant,) * cells,
                                      (low,) * cells, (), (), float(epoch + 1)))
        done = len(epochs) * steps
        if status == "finished":
            writer.write(Finished(len(epochs) - 1, done, float(len(epochs)), {}))
        elif status == "stopped":
            writer.write(Stopped(len(epochs), done, None))
    return run_dir
