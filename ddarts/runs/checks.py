"""Whether an event fits the run it is applied to: the last gate before views draw it.

Record decoding (`ddarts.search.events.record_to_event`) checks each field's type; these checks need the run:
the cell count of its start record, the per-cell lengths, the α shape, the known states and mixings.
A `RunState` skips an event that fails them and keeps the reason, so a damaged folder never reaches a view.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ddarts.genotype.parse import MIXINGS
from ddarts.limits import MAX_CELLS
from ddarts.search.events import (
    AlphaSnapshot,
    EpochMetrics,
    Event,
    Finished,
    GenotypeParsed,
    RunStarted,
    StateChanged,
    StepMetrics,
)
from ddarts.space.ops import EDGES, PRIMITIVES

STATES = ("running", "paused", "stopping")
STEP_PER_CELL = ("l01", "mc", "l_ab", "l_t")
EPOCH_PER_CELL = ("dominant_share_per_cell", "low_share_per_cell", "mc", "l_ab")


def _start_problem(event: RunStarted, n_cells: int | None) -> str | None:
    if not 1 <= event.n_cells <= MAX_CELLS:
        return f"start record with {event.n_cells} cells (the limit is 1..{MAX_CELLS})"
    if n_cells is not None and event.resumed and event.n_cells != n_cells:
        return f"resumed start record with {event.n_cells} cells, the run has {n_cells}"
    if any(not 0 <= r < event.n_cells for r in event.reductions):
        return f"start record with reductions {list(event.reductions)[:10]} outside 0..{event.n_cells - 1}"
    if min(event.steps_per_epoch, event.total_steps, event.start_epoch, event.start_step) < 0:
        return "start record with negative steps or epochs"
    return None


def _per_cell_problem(event: Any, names: tuple[str, ...], n_cells: int | None) -> str | None:
    for name in names:
        values = getattr(event, name)
        if values and n_cells is not None and len(values) != n_cells:
            return f"{name} has {len(values)} cells, the run has {n_cells}"
        if len(values) > MAX_CELLS:
            return f"{name} has {len(values)} cells (the limit is {MAX_CELLS})"
    return None


def alpha_problem(alphas: np.ndarray, mixing: str, n_cells: int | None) -> str | None:
    """Why an α array cannot be shown (shape, dtype, NaN/inf, mixing), or None."""
    if mixing not in MIXINGS:
        return f"unknown mixing {mixing!r:.40} (known: {', '.join(MIXINGS)})"
    if not np.issubdtype(alphas.dtype, np.floating):
        return f"α of dtype {alphas.dtype}, expected floating point"
    if alphas.ndim != 3 or alphas.shape[1:] != (len(EDGES), len(PRIMITIVES)):
        return f"α of shape {alphas.shape}, expected cells x {len(EDGES)} x {len(PRIMITIVES)}"
    if not 1 <= alphas.shape[0] <= MAX_CELLS or (n_cells is not None and alphas.shape[0] != n_cells):
        return f"α for {alphas.shape[0]} cells, the run has {n_cells}"
    if not np.isfinite(alphas).all():
        return "α holds NaN or infinite values"
    return None


def event_problem(event: Event, n_cells: int | None) -> str | None:
    """Why `event` does not fit a run of `n_cells` cells (None: not known yet), or None when it does."""
    if isinstance(event, RunStarted):
        return _start_problem(event, n_cells)
    if isinstance(event, StepMetrics):
        if min(event.epoch, event.step) < 0:
            return "step record with a negative epoch or step"
        return _per_cell_problem(event, STEP_PER_CELL, n_cells)
    if isinstance(event, EpochMetrics):
        if event.epoch < 0:
            return "epoch record with a negative epoch"
        return _per_cell_problem(event, EPOCH_PER_CELL, n_cells)
    if isinstance(event, AlphaSnapshot):
        if event.epoch < 0:
            return "alpha record with a negative epoch"
        return alpha_problem(np.asarray(event.alphas), event.mixing, n_cells)
    if isinstance(event, StateChanged) and event.state not in STATES:
        return f"unknown run state {event.state!r:.40}"
    if isinstance(event, GenotypeParsed):
        genotypes = [event.genotype]
    elif isinstance(event, Finished):
        genotypes = list(event.genotypes.values())
    else:
        return None
    for genotype in genotypes:
        if n_cells is not None and genotype.n_cells != n_cells:
            return f"genotype of {genotype.n_cells} cells, the run has {n_cells}"
    return None
