"""Many run folders side by side: a sweep folder's trials or any run folders, each with what varies between them.

The CLI summary, `ddarts plot` and the app's comparison all read runs through `load_runs`, so a run counts as
finished, early-stopped or interrupted in one place.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ddarts.errors import RunFolderError
from ddarts.runs import RunReader, RunState
from ddarts.runtime.folders import CONFIG_FILE
from ddarts.sweep.plan import EARLY_STOP_FILE, is_sweep_dir, read_plan

RUN_STATUSES = ("pending", "preparing", "running", "paused", "interrupted", "stopped", "early_stopped", "finished",
                "failed")
DONE_STATUSES = ("finished", "early_stopped")
"""Trials a resumed sweep leaves alone."""


@dataclass
class RunEntry:
    """One run (or a planned trial without a folder yet) and its state so far."""

    name: str
    run_dir: Path
    varied: dict[str, Any]
    state: RunState | None = None
    reader: RunReader | None = None
    early_stop: dict[str, Any] | None = None
    error: str | None = None
    ended: bool = False
    """Known not to be running (the sweep that ran it has returned): an unfinished run is then interrupted."""

    @property
    def status(self) -> str:
        if self.early_stop is not None:
            return "early_stopped"
        if self.state is None:
            return "failed" if self.error else "pending"
        status = self.state.status
        if status == "new":
            return "pending"
        if status in ("running", "paused", "preparing") and (
                self.ended or (self.reader is not None and not self.reader.is_live(120.0))):
            return "interrupted"
        return status

    def refresh(self) -> bool:
        """Read what the run appended since the last call (opening the folder once it exists); True if it changed."""
        if self.reader is None:
            if not (self.run_dir / CONFIG_FILE).is_file():
                return False
            try:
                self.reader = RunReader(self.run_dir)
            except RunFolderError as exc:
                self.error = str(exc)
                return False
            self.state = RunState(config=self.reader.header.get("config"), run_dir=str(self.run_dir))
            self.error = None
        changed = False
        try:
            for event in self.reader.poll():
                self.state.apply(event)  # type: ignore[union-attr]
                changed = True
        except RunFolderError as exc:
            self.error = str(exc)
        if self.early_stop is None:
            self.early_stop = read_early_stop(self.run_dir)
            changed = changed or self.early_stop is not None
        return changed

    # ------------------------------------------------------------------ per-epoch series
    def epoch_series(self, name: str) -> np.ndarray:
        if self.state is None or not len(self.state.epochs):
            return np.empty(0)
        return np.asarray(self.state.epoch_series(name), dtype=float)

    def metrics(self) -> dict[str, float]:
        """Final and best α-split loss and accuracy, final dominant and low shares (NaN before the first epoch)."""
        loss, acc = self.epoch_series("val_loss"), self.epoch_series("val_acc")
        dominant, low = self.epoch_series("dominant_share"), self.epoch_series("low_share")
        nan = math.nan
        return {
            "epochs": float(len(loss)),
            "final_val_loss": float(loss[-1]) if len(loss) else nan,
            "best_val_loss": float(np.nanmin(loss)) if len(loss) and not np.isnan(loss).all() else nan,
            "final_val_acc": float(acc[-1]) if len(acc) else nan,
            "best_val_acc": float(np.nanmax(acc)) if len(acc) and not np.isnan(acc).all() else nan,
            "final_dominant_share": float(dominant[-1]) if len(dominant) else nan,
            "final_low_share": float(low[-1]) if len(low) else nan,
        }

    @property
    def progress(self) -> float:
        if self.status in DONE_STATUSES:
            return 1.0
        return self.state.progress if self.state is not None else 0.0

    def genotype_path(self) -> Path | None:
        """The final genotype of the configured parse, else the latest epoch's (an early-stopped trial)."""
        folder = self.run_dir / "genotypes"
        parse = (self.state.config if self.state is not None else {}).get("parse", "edge")
        final = folder / f"final_{parse}.json"
        if final.is_file():
            return final
        epochs = sorted(folder.glob("epoch_*.json")) if folder.is_dir() else []
        return epochs[-1] if epochs else None


def read_early_stop(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / EARLY_STOP_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {"reason": "unreadable marker"}
    return data if isinstance(data, dict) else {"reason": "unreadable marker"}


@dataclass
class RunSet:
    """The runs to compare and the configuration fields whose values tell them apart."""

    entries: list[RunEntry]
    varied_fields: tuple[str, ...]
    sweep_dir: Path | None = None
    problems: list[str] = field(default_factory=list)

    def refresh(self) -> list[RunEntry]:
        return [entry for entry in self.entries if entry.refresh()]


def load_runs(paths: list[str | os.PathLike], *, read: bool = True, ended: bool = False) -> RunSet:
    """A sweep folder (its planned trials) or run folders (varied fields: those whose values differ).

    Sweep folders and run folders may be mixed; each sweep folder adds all its trials. `ended`: nothing is
    running them any more (a sweep that has just returned), so an unfinished run counts as interrupted at once.
    """
    if not paths:
        raise RunFolderError("give a sweep folder or run folders")
    entries: list[RunEntry] = []
    varied: list[str] = []
    sweep_dir: Path | None = None
    loose: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if is_sweep_dir(path):
            plan = read_plan(path)
            sweep_dir = sweep_dir or path
            for name in plan.varied_fields:
                if name not in varied:
                    varied.append(name)
            entries += [RunEntry(t.name, plan.run_dir(t), dict(t.varied)) for t in plan.trials]
        elif (path / CONFIG_FILE).is_file():
            loose.append(path)
        elif path.is_dir():
            raise RunFolderError(f"neither a sweep folder nor a run folder: {path}")
        else:
            raise RunFolderError(f"run or sweep folder not found: {path}")
    if loose:
        configs = {path: RunReader(path).header["config"] for path in loose}
        keys = sorted({k for c in configs.values() for k in c})
        differing = [k for k in keys if len({json.dumps(c.get(k), sort_keys=True) for c in configs.values()}) > 1]
        for name in differing:
            if name not in varied:
                varied.append(name)
        names = [path.name for path in loose]
        for path in loose:
            name = path.name if names.count(path.name) == 1 else str(path)
            entries.append(RunEntry(name, path, {k: configs[path].get(k) for k in differing}))
    for entry in entries:
        entry.ended = ended
    runs = RunSet(entries, tuple(varied), sweep_dir)
    if read:
        runs.refresh()
    return runs
