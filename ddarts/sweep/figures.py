"""The numbers behind the paper's experiment figures, from many runs: mean and spread over seeds per group.

Fig. 3: minimal α-split L_CE against w_abl; Fig. 4: final shares of σ > 0.9 and σ < 0.1 against w01; Fig. 5: best
α-split top-1 so far per epoch; curves: per-epoch loss, accuracy and dominant share. Runs are grouped by every
varied field except the seed (and the figure's x field); `ddarts plot` draws these with matplotlib, the app
with pyqtgraph, so both show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ddarts.errors import DdartsError
from ddarts.sweep.runs import RunEntry, RunSet
from ddarts.sweep.spec import format_value

FIGURES = ("fig3", "fig4", "fig5", "curves")
CURVE_METRICS = {
    "val_loss": ("α-split cross-entropy L_CE", 1.0),
    "val_acc": ("α-split top-1 accuracy (%)", 100.0),
    "dominant_share": ("operations with σ(α) > 0.9 (%)", 100.0),
}


@dataclass(frozen=True)
class Series:
    """One line with its band: `mean` ± `spread` (population std over the runs at each x); `n` runs per x."""

    label: str
    x: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    n: np.ndarray
    style: str = "solid"
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]


def config_value(entry: RunEntry, field: str) -> Any:
    if field in entry.varied:
        return entry.varied[field]
    return (entry.state.config if entry.state is not None else {}).get(field)


def group_label(key: tuple[tuple[str, Any], ...]) -> str:
    return ", ".join(f"{name}={format_value(value)}" for name, value in key) or "all runs"


def groups(runs: RunSet, exclude: tuple[str, ...] = ()) -> dict[tuple[tuple[str, Any], ...], list[RunEntry]]:
    """Runs with at least one epoch, grouped by their varied values other than the seed and `exclude`."""
    fields = [f for f in runs.varied_fields if f != "seed" and f not in exclude]
    out: dict[tuple[tuple[str, Any], ...], list[RunEntry]] = {}
    for entry in runs.entries:
        if entry.state is None or not len(entry.state.epochs):
            continue
        key = tuple((f, config_value(entry, f)) for f in fields)
        out.setdefault(key, []).append(entry)
    return out


def _stats(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, std and count per column of ragged rows (shorter rows are padded with NaN)."""
    width = max(len(r) for r in rows)
    table = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        table[i, : len(row)] = row
    n = np.sum(~np.isnan(table), axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.array([np.nanmean(c) if k else np.nan for c, k in zip(table.T, n)])
        spread = np.array([np.nanstd(c) if k else np.nan for c, k in zip(table.T, n)])
    return mean, spread, n


def _against(runs: RunSet, x_field: str, measures: list[tuple[str, str, Callable[[RunEntry], float]]]) -> list[Series]:
    """Per group and measure: the measure's mean ± spread over runs sharing each x value."""
    out: list[Series] = []
    found = {config_value(e, x_field) for es in groups(runs, (x_field,)).values() for e in es}
    if len(found) < 2:
        raise DdartsError(f"this figure needs runs with at least two values of {x_field} "
                          f"(found {', '.join(format_value(v) for v in found) or 'no run with a finished epoch'})")
    for key, entries in groups(runs, (x_field,)).items():
        xs = sorted({float(config_value(e, x_field)) for e in entries})
        for label, style, measure in measures:
            rows = [[measure(e) for e in entries if float(config_value(e, x_field)) == x] for x in xs]
            mean = np.array([np.nanmean(r) if not np.isnan(r).all() else np.nan for r in map(np.array, rows)])
            spread = np.array([np.nanstd(r) if not np.isnan(r).all() else np.nan for r in map(np.array, rows)])
            n = np.array([int(np.sum(~np.isnan(r))) for r in map(np.array, rows)])
            name = group_label(key)
            out.append(Series(f"{label} ({name})" if key and label else (label or name), np.array(xs), mean, spread,
                              n, style, tuple(e.name for e in entries)))
    return out


def fig3(runs: RunSet) -> Panel:
    series = _against(runs, "w_abl", [("", "solid", lambda e: e.metrics()["best_val_loss"])])
    return Panel("Minimal α-split loss against the ablation weight (Fig. 3)", "ablation-loss weight w_abl",
                 "minimal α-split cross-entropy L_CE", tuple(series))


def fig4(runs: RunSet) -> Panel:
    series = _against(runs, "w01", [
        ("σ(α) > 0.9", "solid", lambda e: e.metrics()["final_dominant_share"] * 100),
        ("σ(α) < 0.1", "dashed", lambda e: e.metrics()["final_low_share"] * 100),
    ])
    return Panel("Dominant and weak operations against the zero-one weight (Fig. 4)", "zero-one-loss weight w01",
                 "share of operations in the final α (%)", tuple(series))


def _per_epoch(runs: RunSet, values: Callable[[RunEntry], np.ndarray]) -> list[Series]:
    out = []
    for key, entries in groups(runs).items():
        mean, spread, n = _stats([values(e) for e in entries])
        out.append(Series(group_label(key), np.arange(1, len(mean) + 1, dtype=float), mean, spread, n,
                          members=tuple(e.name for e in entries)))
    if not out:
        raise DdartsError("no run has finished an epoch yet")
    return out


def fig5(runs: RunSet) -> Panel:
    series = _per_epoch(runs, lambda e: np.fmax.accumulate(e.epoch_series("val_acc")) * 100)
    return Panel("Best α-split top-1 accuracy so far (Fig. 5)", "epoch", "best α-split top-1 accuracy (%)",
                 tuple(series))


def curves(runs: RunSet) -> tuple[Panel, ...]:
    panels = []
    for metric, (label, scale) in CURVE_METRICS.items():
        series = _per_epoch(runs, lambda e, m=metric, s=scale: e.epoch_series(m) * s)
        title = label[0].upper() + label[1:] if label[0].isascii() else label  # never "A-split" for "α-split"
        panels.append(Panel(title, "epoch", label, tuple(series)))
    return tuple(panels)


def figure(runs: RunSet, name: str) -> tuple[Panel, ...]:
    if name not in FIGURES:
        raise DdartsError(f"unknown figure {name!r}; one of {', '.join(FIGURES)}")
    if name == "curves":
        return curves(runs)
    return ({"fig3": fig3, "fig4": fig4, "fig5": fig5}[name](runs),)

