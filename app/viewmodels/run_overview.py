"""A search's story at a glance, without Qt: where it is, how decided its α is, how good, how long to go."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ddarts.errors import DdartsError
from ddarts.genotype.core import PARSE_METHODS
from ddarts.runs import RunState


@dataclass(frozen=True)
class RunOverview:
    epoch: int | None  # 1-based epoch in progress or last done; None before the first step
    epochs: int | None
    dominant_share: float | None  # σ > 0.9 over all cells, newest α (live or epoch end)
    live_ops: dict[str, int]  # live ops over all cells per parse method, newest α, run's threshold
    best_val_acc: float | None  # best epoch mean of the α-split accuracy so far
    best_val_epoch: int | None  # 1-based
    eta_s: float | None


def live_op_counts(state: RunState) -> dict[str, int]:
    """Ops each parse method keeps in the newest α (only ops on nodes that reach the output count)."""
    counts: dict[str, int] = {}
    for method in PARSE_METHODS:
        try:
            choice = state.genotype_for(None, method)
        except (DdartsError, ValueError):
            continue
        if choice is not None and choice.origin in ("alpha", "live"):
            genotype = choice.genotype
            counts[method] = sum(len(genotype.live_edges(i)) for i in range(genotype.n_cells))
    return counts


def run_overview(state: RunState) -> RunOverview:
    epochs = state.config.get("epochs")
    shares = state.shares.series("dominant_share") if len(state.shares) else np.empty(0)
    val = state.epoch_series("val_acc")
    finite = np.isfinite(val)
    best = int(np.nanargmax(np.where(finite, val, -np.inf))) if finite.any() else None
    started = state.status not in ("new", "preparing") or state.step > 0
    eta = state.eta_s if state.eta_s is not None and math.isfinite(state.eta_s) else None
    return RunOverview(
        epoch=state.epoch + 1 if started else None,
        epochs=epochs if isinstance(epochs, int) else None,
        dominant_share=float(shares[-1]) if len(shares) else None,
        live_ops=live_op_counts(state),
        best_val_acc=float(val[best]) if best is not None else None,
        best_val_epoch=int(state.epoch_series("epoch")[best]) + 1 if best is not None else None,
        eta_s=eta if state.status in ("running", "paused") else None,
    )


def format_duration(seconds: float | None) -> str:
    """'1:05', '1:02:05'; '–' when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def overview_text(overview: RunOverview) -> str:
    """One plain line: 'epoch 3/6 · dominant ops 12.5% · live ops darts 40, sparse 12, edge 18 · …'."""
    if overview.epoch is None:
        return ""
    parts = [f"epoch {overview.epoch}" + (f"/{overview.epochs}" if overview.epochs else "")]
    if overview.dominant_share is not None:
        parts.append(f"dominant ops (σ > 0.9) {100 * overview.dominant_share:.1f}%")
    if overview.live_ops:
        parts.append("live ops " + ", ".join(f"{m} {n}" for m, n in overview.live_ops.items()))
    if overview.best_val_acc is not None:
        parts.append(f"best α-split accuracy {100 * overview.best_val_acc:.1f}% (epoch {overview.best_val_epoch})")
    if overview.eta_s is not None:
        parts.append(f"ETA {format_duration(overview.eta_s)}")
    return " · ".join(parts)
