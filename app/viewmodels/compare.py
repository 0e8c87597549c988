"""What the run comparison shows, without Qt: rows of the runs table, per-run and per-group curves, figure panels.

Built on `ddarts.sweep.load_runs`, the same reading the CLI summary and `ddarts plot` use; `refresh()` polls every
run folder for what was appended, so trials still running are followed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ddarts.errors import DdartsError
from ddarts.runtime.folders import CONFIG_FILE
from ddarts.sweep import is_sweep_dir, load_runs
from ddarts.sweep.figures import Panel, figure, group_label, groups
from ddarts.sweep.runs import RunEntry, RunSet
from ddarts.sweep.spec import format_value

METRICS = {
    "val_loss": ("α-split L_CE", "α-split cross-entropy L_CE", 1.0),
    "val_acc": ("α-split top-1", "α-split top-1 accuracy (%)", 100.0),
    "train_loss": ("train L_CE", "weight-split cross-entropy L_CE", 1.0),
    "dominant_share": ("σ > 0.9 share", "operations with σ(α) > 0.9 (%)", 100.0),
    "low_share": ("σ < 0.1 share", "operations with σ(α) < 0.1 (%)", 100.0),
}
LIVE = ("pending", "preparing", "running", "paused")
FIGURE_VIEWS = ("fig3", "fig4", "fig5")
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173", "#e7969c", "#6b6ecf")


@dataclass(frozen=True)
class Row:
    name: str
    values: tuple[str, ...]
    """The varied values, in the order of `CompareModel.varied_fields`."""
    status: str
    progress: float
    best_acc: float
    final_dominant: float
    run_dir: str


@dataclass(frozen=True)
class Band:
    label: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    members: tuple[str, ...]


def paths_to_compare(folder: str | os.PathLike) -> list[Path]:
    """A sweep folder or a run folder as itself; any other folder: the run folders directly inside it."""
    folder = Path(folder)
    if is_sweep_dir(folder) or (folder / CONFIG_FILE).is_file():
        return [folder]
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and (p / CONFIG_FILE).is_file()) if folder.is_dir() else []
    if not runs:
        raise DdartsError(f"{folder} is not a sweep folder and holds no run folders")
    return runs


class CompareModel:
    def __init__(self, paths: list[str | os.PathLike]):
        self.paths = [Path(p) for p in paths]
        self.runs: RunSet = load_runs(self.paths)
        self.version = 0

    @property
    def title(self) -> str:
        if self.runs.sweep_dir is not None and len(self.paths) == 1:
            return f"Sweep {self.runs.sweep_dir.name}"
        return f"{len(self.runs.entries)} runs"

    @property
    def varied_fields(self) -> tuple[str, ...]:
        return self.runs.varied_fields

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.runs.entries]

    def entry(self, name: str) -> RunEntry:
        for entry in self.runs.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def colour(self, name: str) -> str:
        """A fixed colour per run (its place in the list), shared by the table and every plot."""
        return COLOURS[self.names.index(name) % len(COLOURS)]

    def refresh(self) -> list[str]:
        """Names of the runs that changed since the last call."""
        changed = [e.name for e in self.runs.refresh()]
        if changed:
            self.version += 1
        return changed

    @property
    def live(self) -> bool:
        """Whether any run may still change (worth polling)."""
        return any(e.status in LIVE for e in self.runs.entries)

    # ------------------------------------------------------------------ table
    def columns(self) -> list[str]:
        return ["run", *self.varied_fields, "status", "progress", "best top-1", "σ > 0.9"]

    def rows(self) -> list[Row]:
        out = []
        for entry in self.runs.entries:
            metrics = entry.metrics()
            out.append(Row(entry.name, tuple(format_value(entry.varied.get(f)) for f in self.varied_fields),
                           entry.status, entry.progress, metrics["best_val_acc"], metrics["final_dominant_share"],
                           str(entry.run_dir)))
        return out

    def legend_label(self, name: str) -> str:
        """A run by its varied values (plain text: the view escapes it for pyqtgraph's HTML labels)."""
        entry = self.entry(name)
        text = ", ".join(f"{k}={format_value(v)}" for k, v in entry.varied.items())
        return text or name

    # ------------------------------------------------------------------ curves
    def curve(self, name: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-epoch values of one run (1-based epochs), scaled for display."""
        _, _, scale = METRICS[metric]
        y = self.entry(name).epoch_series(metric) * scale
        return np.arange(1, len(y) + 1, dtype=float), y

    def bands(self, names: list[str], metric: str) -> list[Band]:
        """The selected runs grouped by their varied values except the seed: mean ± std per epoch."""
        _, _, scale = METRICS[metric]
        chosen = RunSet([e for e in self.runs.entries if e.name in names], self.varied_fields)
        out = []
        for key, entries in groups(chosen).items():
            rows = [e.epoch_series(metric) * scale for e in entries]
            width = max(len(r) for r in rows)
            table = np.full((len(rows), width), np.nan)
            for i, row in enumerate(rows):
                table[i, : len(row)] = row
            counts = np.sum(~np.isnan(table), axis=0)
            mean = np.array([np.nanmean(c) if n else math.nan for c, n in zip(table.T, counts)])
            spread = np.array([np.nanstd(c) if n else math.nan for c, n in zip(table.T, counts)])
            out.append(Band(f"{group_label(key)} (n={len(entries)})", np.arange(1, width + 1, dtype=float), mean,
                            mean - spread, mean + spread, tuple(e.name for e in entries)))
        return out

    # ------------------------------------------------------------------ figures
    def figure_panel(self, name: str) -> tuple[Panel | None, str]:
        """The figure's panel, or None and the reason it cannot be drawn from these runs."""
        try:
            return figure(self.runs, name)[0], ""
        except DdartsError as exc:
            return None, str(exc)
