"""Everything known about a search, accumulated from its events.

A live search (events straight from the engine), a run folder being written by another process and a
finished run folder all feed the same `RunState`, so views draw from one structure and one code path
is tested. Plain Python and numpy: no Qt, no files.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ddarts.genotype.core import Genotype
from ddarts.runs.checks import event_problem
from ddarts.search.events import (
    AlphaSnapshot,
    CheckpointSaved,
    DatasetProgress,
    EpochMetrics,
    Event,
    Failed,
    Finished,
    GenotypeParsed,
    RunStarted,
    StateChanged,
    StepMetrics,
    Stopped,
)

STATUSES = ("new", "preparing", "running", "paused", "stopped", "finished", "failed")

STEP_SCALARS = ("step", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "arch_lr", "elapsed_s")
STEP_PER_CELL = ("l01", "mc", "l_ab", "l_t")
EPOCH_SCALARS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "dominant_share", "low_share",
                 "elapsed_s")
EPOCH_PER_CELL = ("dominant_share_per_cell", "low_share_per_cell", "mc", "l_ab")


class ColumnTable:
    """Growable columnar float64 storage: appends are amortised O(1) and series are views, not copies.

    Scalar columns are 1-D; per-cell columns are 2-D (rows x cells) and an empty tuple (e.g. `mc`
    with loss="fair") is stored as a row of NaN so every column keeps one row per record.
    """

    def __init__(self, scalars: tuple[str, ...], per_cell: tuple[str, ...], capacity: int = 256):
        self._scalars = scalars
        self._per_cell = per_cell
        self._capacity = capacity
        self._rows = 0
        self._width: int | None = None
        self._data: dict[str, np.ndarray] = {name: np.empty(capacity) for name in scalars}

    @property
    def names(self) -> tuple[str, ...]:
        return self._scalars + self._per_cell

    @property
    def width(self) -> int | None:
        """Number of cells of the per-cell columns (None until known)."""
        return self._width

    def set_width(self, width: int) -> None:
        if self._width is None:
            self._width = width
            for name in self._per_cell:
                self._data[name] = np.full((self._capacity, width), np.nan)
        elif width != self._width:
            raise ValueError(f"per-cell metrics have {width} cells, earlier records had {self._width}")

    def __len__(self) -> int:
        return self._rows

    def append(self, scalars: dict[str, float], per_cell: dict[str, tuple[float, ...]]) -> None:
        for name, values in per_cell.items():
            if values:
                self.set_width(len(values))
        if self._rows == self._capacity:
            self._grow()
        row = self._rows
        for name in self._scalars:
            self._data[name][row] = scalars[name]
        if self._width is not None:
            for name in self._per_cell:
                values = per_cell.get(name, ())
                if values and len(values) != self._width:
                    raise ValueError(f"{name} has {len(values)} cells, expected {self._width}")
                self._data[name][row] = values if values else np.nan
        self._rows += 1

    def _grow(self) -> None:
        self._capacity *= 2
        for name, array in self._data.items():
            grown = np.full((self._capacity,) + array.shape[1:], np.nan)
            grown[: self._rows] = array[: self._rows]
            self._data[name] = grown

    def truncate(self, keep: np.ndarray) -> None:
        """Keep only the rows where the boolean mask `keep` (length len(self)) is true."""
        kept = int(keep.sum())
        for name, array in self._data.items():
            array[:kept] = array[: self._rows][keep]
        self._rows = kept

    def series(self, name: str) -> np.ndarray:
        if name not in self._data and name in self._per_cell:
            return np.empty((self._rows, 0))  # no cell count known yet
        try:
            array = self._data[name]
        except KeyError:
            raise KeyError(f"unknown series {name!r}; known: {', '.join(self.names)}") from None
        view = array[: self._rows]
        view.flags.writeable = False
        return view


class RunState:
    """Accumulates search events; `version` changes on every apply so a view knows when to redraw."""

    def __init__(self, config: dict[str, Any] | None = None, run_dir: str | None = None):
        self.config: dict[str, Any] = dict(config or {})
        self.run_dir: str | None = run_dir
        self.device: str | None = None
        self.n_cells: int | None = None
        self.reductions: tuple[int, ...] = ()
        self.primitives: tuple[str, ...] = ()
        self.steps_per_epoch: int | None = None
        self.total_steps: int | None = None
        self.status: str = "new"
        self.stopping: bool = False
        self.resumes: int = 0
        self.epoch: int = 0
        """0-based epoch in progress (or last finished)."""
        self.step: int = 0
        """Global steps done."""
        self.elapsed_s: float = 0.0
        self.steps_per_s: float = 0.0
        self.eta_s: float | None = None
        self.steps = ColumnTable(STEP_SCALARS, STEP_PER_CELL)
        self.epochs = ColumnTable(EPOCH_SCALARS, EPOCH_PER_CELL, capacity=64)
        self.alphas: dict[int, np.ndarray] = {}
        self.alpha_mixing: str | None = None
        self.genotypes: dict[tuple[int, str], Genotype] = {}
        self.final_genotypes: dict[str, Genotype] = {}
        self.last_checkpoint: CheckpointSaved | None = None
        self.failure: Failed | None = None
        self.dataset: DatasetProgress | None = None
        self.version: int = 0
        self.problems: list[str] = []
        """Events skipped because they did not fit the run (damaged or foreign records)."""

    @classmethod
    def from_events(cls, events: Iterable[Event], **kwargs: Any) -> "RunState":
        state = cls(**kwargs)
        for event in events:
            state.apply(event)
        return state

    # ------------------------------------------------------------------ accessors
    def step_series(self, name: str) -> np.ndarray:
        """Read-only view of a step column; per-cell columns are steps x cells."""
        return self.steps.series(name)

    def epoch_series(self, name: str) -> np.ndarray:
        """Read-only view of an epoch column; per-cell columns are epochs x cells."""
        return self.epochs.series(name)

    @property
    def latest_alphas(self) -> np.ndarray | None:
        return self.alphas[max(self.alphas)] if self.alphas else None

    @property
    def latest_alpha_epoch(self) -> int | None:
        return max(self.alphas) if self.alphas else None

    @property
    def progress(self) -> float:
        """Fraction of the planned steps done, in [0, 1]."""
        if not self.total_steps:
            return 0.0
        return min(1.0, self.step / self.total_steps)

    @property
    def reduction_mask(self) -> tuple[bool, ...]:
        return tuple(i in self.reductions for i in range(self.n_cells or 0))

    # ------------------------------------------------------------------ events
    def apply(self, event: Event) -> bool:
        """Apply one event; one that does not fit the run (ddarts.runs.checks) is skipped and its reason kept
        in `problems`, so a damaged folder never reaches a view. Returns whether the event was applied."""
        handler = _HANDLERS.get(type(event))
        if handler is None:
            raise TypeError(f"RunState cannot apply {type(event).__name__}")
        problem = event_problem(event, self.n_cells)
        if problem is not None:
            self.problems.append(f"{type(event).__name__} skipped: {problem}")
            return False
        try:
            handler(self, event)
        except ValueError as exc:  # e.g. per-cell widths that disagree before any start record said the count
            self.problems.append(f"{type(event).__name__} skipped: {exc}")
            return False
        self.version += 1
        return True

    def _on_start(self, event: RunStarted) -> None:
        if event.resumed:
            self._rewind(event.start_epoch, event.start_step)
            self.resumes += 1
        else:
            self._clear_history()
        self.config = dict(event.config)
        self.run_dir = event.run_dir if event.run_dir is not None else self.run_dir
        self.device = event.device
        self.n_cells = event.n_cells
        self.reductions = tuple(event.reductions)
        self.primitives = tuple(event.primitives)
        self.steps_per_epoch = event.steps_per_epoch
        self.total_steps = event.total_steps
        self.epoch = event.start_epoch
        self.step = event.start_step
        self.status = "running"
        self.stopping = False
        self.failure = None
        self.steps.set_width(event.n_cells)
        self.epochs.set_width(event.n_cells)

    def _clear_history(self) -> None:
        """A fresh (not resumed) start replaces whatever run was applied before; dataset progress stays."""
        self.steps = ColumnTable(STEP_SCALARS, STEP_PER_CELL)
        self.epochs = ColumnTable(EPOCH_SCALARS, EPOCH_PER_CELL, capacity=64)
        self.alphas = {}
        self.alpha_mixing = None
        self.genotypes = {}
        self.final_genotypes = {}
        self.last_checkpoint = None
        self.resumes = 0
        self.elapsed_s = 0.0
        self.steps_per_s = 0.0
        self.eta_s = None

    def _rewind(self, start_epoch: int, start_step: int) -> None:
        """Drop what a resumed run will redo: steps after its checkpoint, epochs from its start epoch on."""
        if len(self.steps):
            self.steps.truncate(self.steps.series("step") <= start_step)
        if len(self.epochs):
            self.epochs.truncate(self.epochs.series("epoch") < start_epoch)
        self.alphas = {e: a for e, a in self.alphas.items() if e < start_epoch}
        self.genotypes = {k: g for k, g in self.genotypes.items() if 0 <= k[0] < start_epoch}
        self.final_genotypes = {}

    def _on_dataset(self, event: DatasetProgress) -> None:
        self.dataset = event
        if event.stage != "ready" and self.status == "new":
            self.status = "preparing"

    def _on_step(self, event: StepMetrics) -> None:
        self.steps.append(
            {
                "step": event.step, "epoch": event.epoch, "train_loss": event.train_loss,
                "train_acc": event.train_acc, "val_loss": event.val_loss, "val_acc": event.val_acc,
                "lr": event.lr, "arch_lr": event.arch_lr, "elapsed_s": event.elapsed_s,
            },
            {"l01": event.l01, "mc": event.mc, "l_ab": event.l_ab, "l_t": event.l_t},
        )
        self.epoch = event.epoch
        self.step = event.step
        self.steps_per_epoch = event.steps_per_epoch
        self.total_steps = event.total_steps
        self.elapsed_s = event.elapsed_s
        self.steps_per_s = event.steps_per_s
        self.eta_s = event.eta_s
        if self.status in ("new", "preparing"):
            self.status = "running"

    def _on_epoch(self, event: EpochMetrics) -> None:
        self.epochs.append(
            {
                "epoch": event.epoch, "train_loss": event.train_loss, "train_acc": event.train_acc,
                "val_loss": event.val_loss, "val_acc": event.val_acc, "dominant_share": event.dominant_share,
                "low_share": event.low_share, "elapsed_s": event.elapsed_s,
            },
            {
                "dominant_share_per_cell": event.dominant_share_per_cell,
                "low_share_per_cell": event.low_share_per_cell, "mc": event.mc, "l_ab": event.l_ab,
            },
        )
        self.elapsed_s = max(self.elapsed_s, event.elapsed_s)

    def _on_alpha(self, event: AlphaSnapshot) -> None:
        # float32 like the .npy files, so live and reloaded states hold identical arrays
        alphas = np.array(event.alphas, dtype=np.float32, copy=True)
        alphas.flags.writeable = False
        self.alphas[event.epoch] = alphas
        self.alpha_mixing = event.mixing

    def _on_genotype(self, event: GenotypeParsed) -> None:
        if event.epoch < 0:
            self.final_genotypes[event.method] = event.genotype
        else:
            self.genotypes[(event.epoch, event.method)] = event.genotype

    def _on_checkpoint(self, event: CheckpointSaved) -> None:
        self.last_checkpoint = event

    def _on_state(self, event: StateChanged) -> None:
        if event.state == "stopping":
            self.stopping = True
        elif event.state in ("running", "paused"):
            self.status = event.state
        else:
            raise ValueError(f"unknown run state {event.state!r}")

    def _on_stopped(self, event: Stopped) -> None:
        self.status = "stopped"
        self.stopping = False
        self.epoch, self.step = event.epoch, event.step
        if event.checkpoint:
            self.last_checkpoint = CheckpointSaved(event.epoch, event.step, event.checkpoint)

    def _on_finished(self, event: Finished) -> None:
        self.status = "finished"
        self.stopping = False
        self.epoch, self.step = event.epoch, event.step
        self.elapsed_s = event.elapsed_s
        self.eta_s = 0.0
        self.final_genotypes.update(event.genotypes)

    def _on_failed(self, event: Failed) -> None:
        self.status = "failed"
        self.stopping = False
        self.failure = event
        self.eta_s = None
        if event.checkpoint and (self.last_checkpoint is None or self.last_checkpoint.path != event.checkpoint):
            self.last_checkpoint = CheckpointSaved(self.epoch, self.step, event.checkpoint)


_HANDLERS = {
    RunStarted: RunState._on_start,
    DatasetProgress: RunState._on_dataset,
    StepMetrics: RunState._on_step,
    EpochMetrics: RunState._on_epoch,
    AlphaSnapshot: RunState._on_alpha,
    GenotypeParsed: RunState._on_genotype,
    CheckpointSaved: RunState._on_checkpoint,
    StateChanged: RunState._on_state,
    Stopped: RunState._on_stopped,
    Finished: RunState._on_finished,
    Failed: RunState._on_failed,
}
