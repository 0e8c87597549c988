"""Everything known about a search, accumulated from its events.

A live search (events straight from the engine), a run folder being written by another process and a
finished run folder all feed the same `RunState`, so views draw from one structure and one code path
is tested. Plain Python and numpy: no Qt, no files.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ddarts.genotype.core import PARSE_METHODS, Genotype
from ddarts.genotype.parse import op_shares
from ddarts.runs.choice import GenotypeChoice, ParseJob, parse_settings, pick_stored
from ddarts.runs.columns import ColumnTable
from ddarts.runs.checks import event_problem
from ddarts.search.events import (
    AlphaLive,
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
from ddarts.space.ops import reduction_positions

STATUSES = ("new", "preparing", "running", "paused", "stopped", "finished", "failed")

STEP_SCALARS = ("step", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "arch_lr", "elapsed_s")
STEP_PER_CELL = ("l01", "mc", "l_ab", "l_t")
EPOCH_SCALARS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "dominant_share", "low_share",
                 "elapsed_s")
EPOCH_PER_CELL = ("dominant_share_per_cell", "low_share_per_cell", "mc", "l_ab")
SHARE_SCALARS = ("step", "epoch", "dominant_share", "low_share")
SHARE_PER_CELL = ("dominant_share_per_cell", "low_share_per_cell")
PARSE_CACHE_SIZE = 64
"""Parsed genotypes kept per state (epoch × method × threshold): enough to scrub through a run."""


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
        self.live_alpha: AlphaLive | None = None
        """The newest α between epoch ends (None once an epoch's snapshot is newer)."""
        self.shares = ColumnTable(SHARE_SCALARS, SHARE_PER_CELL)
        """Dominant (σ > 0.9) and low (σ < 0.1) op shares of every α seen, live or at epoch ends, by step."""
        self.genotypes: dict[tuple[int, str], Genotype] = {}
        self.final_genotypes: dict[str, Genotype] = {}
        self.last_checkpoint: CheckpointSaved | None = None
        self.failure: Failed | None = None
        self.dataset: DatasetProgress | None = None
        self.version: int = 0
        self.problems: list[str] = []
        """Events skipped because they did not fit the run (damaged or foreign records)."""
        self._parsed: dict[tuple[int, str, float], Genotype] = {}

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
    def current_alphas(self) -> tuple[np.ndarray, int, bool] | None:
        """The newest α of the run, live or from an epoch end: (α, 0-based epoch, is live); None before any."""
        if self.live_alpha is not None:
            return self.live_alpha.alphas, self.live_alpha.epoch, True
        if self.alphas:
            epoch = max(self.alphas)
            return self.alphas[epoch], epoch, False
        return None

    @property
    def progress(self) -> float:
        """Fraction of the planned steps done, in [0, 1]."""
        if not self.total_steps:
            return 0.0
        return min(1.0, self.step / self.total_steps)

    @property
    def reduction_mask(self) -> tuple[bool, ...]:
        return tuple(i in self.reductions for i in range(self.n_cells or 0))

    # ------------------------------------------------------------------ genotypes
    def genotype_epochs(self) -> list[int]:
        """Epochs a genotype can be shown for: those with α, else those with a stored genotype."""
        if self.alphas:
            return sorted(self.alphas)
        return sorted({epoch for epoch, _ in self.genotypes})

    def parse_epoch(self, epoch: int | None, method: str, threshold: float) -> Genotype:
        """All cells' genotype from the α of one epoch (None: the live α), parsed once per method and threshold."""
        job = self.parse_job(epoch, method, threshold)
        genotype = self._parsed.get(job.key)
        if genotype is None:
            genotype = job.run()
            self.store_parse(job, genotype)
        return genotype

    def parse_job(self, epoch: int | None, method: str, threshold: float) -> ParseJob:
        """What `parse_epoch` computes, as a job another thread can run (see `store_parse`)."""
        alphas = self.alphas[epoch] if epoch is not None else self.live_alpha.alphas
        key = (epoch if epoch is not None else -1 - self.live_alpha.step, method, round(float(threshold), 6))
        reductions = tuple(self.reductions) or reduction_positions(int(alphas.shape[0]))
        return ParseJob(key, alphas, method, float(threshold), reductions,
                        self.alpha_mixing or self.config.get("mixing") or "sigmoid")

    def newest_parse_jobs(self) -> list[ParseJob]:
        """The parses of the newest α that views ask for by default (every method at the run's threshold) and
        that are not cached yet: a GUI runs them off its thread, then hands each result to `store_parse`."""
        current = self.current_alphas
        if current is None:
            return []
        threshold = parse_settings(self.config)[1]
        jobs = [self.parse_job(None if current[2] else current[1], method, threshold) for method in PARSE_METHODS]
        return [job for job in jobs if job.key not in self._parsed]

    def store_parse(self, job: ParseJob, genotype: Genotype) -> bool:
        """Cache a job's genotype, unless its α is no longer the one of its epoch (a newer or rewound run)."""
        epoch, live = job.key[0], self.live_alpha
        current = self.alphas.get(epoch) if epoch >= 0 else live.alphas if live and -1 - live.step == epoch else None
        if current is not job.alphas:
            return False
        if len(self._parsed) >= PARSE_CACHE_SIZE:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[job.key] = genotype
        return True

    def genotype_for(self, epoch: int | None = None, method: str | None = None, threshold: float | None = None,
                     *, final_first: bool = False) -> GenotypeChoice | None:
        """The genotype of `epoch` (None: the newest, live α included) parsed with `method`/`threshold`
        (None: the run's).

        α is parsed when the epoch has one, else the engine's stored genotype of that epoch is used, and
        a run with neither shows its final genotypes. `final_first` prefers the final genotypes (export).
        None when the run has no genotype yet; GenotypeError/ValueError for unusable α.
        """
        method, threshold = parse_settings(self.config, method, threshold)
        if final_first and self.final_genotypes:
            return self._final(method)
        if epoch is None and self.live_alpha is not None:
            live = self.live_alpha
            return GenotypeChoice(self.parse_epoch(None, method, threshold), live.epoch, "live", method, threshold,
                                  live.step)
        epochs = self.genotype_epochs()
        if epoch is None and epochs:
            epoch = epochs[-1]
        if epoch is not None and epoch in self.alphas:
            return GenotypeChoice(self.parse_epoch(epoch, method, threshold), epoch, "alpha", method, threshold)
        if epoch is not None:
            picked = pick_stored({m: g for (e, m), g in self.genotypes.items() if e == epoch}, method)
            return GenotypeChoice(picked[1], epoch, "stored", picked[0], None) if picked else None
        return self._final(method)

    def _final(self, method: str) -> GenotypeChoice | None:
        picked = pick_stored(self.final_genotypes, method)
        return GenotypeChoice(picked[1], None, "final", picked[0], None) if picked else None

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
        self.shares.set_width(event.n_cells)

    def _clear_history(self) -> None:
        """A fresh (not resumed) start replaces whatever run was applied before; dataset progress stays."""
        self.steps = ColumnTable(STEP_SCALARS, STEP_PER_CELL)
        self.epochs = ColumnTable(EPOCH_SCALARS, EPOCH_PER_CELL, capacity=64)
        self.alphas = {}
        self.alpha_mixing = None
        self.live_alpha = None
        self.shares = ColumnTable(SHARE_SCALARS, SHARE_PER_CELL)
        self._parsed = {}
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
        self.live_alpha = None
        if len(self.shares):
            self.shares.truncate(self.shares.series("step") <= start_step)
        self._parsed = {}
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
        self._parsed = {k: g for k, g in self._parsed.items() if k[0] != event.epoch}
        if self.live_alpha is not None and self.live_alpha.step <= event.step:
            self.live_alpha = None
        self._add_shares(event.epoch, event.step, alphas, event.mixing)

    def _on_alpha_live(self, event: AlphaLive) -> None:
        alphas = np.array(event.alphas, dtype=np.float32, copy=True)
        alphas.flags.writeable = False
        self._parsed = {k: g for k, g in self._parsed.items() if k[0] >= 0}  # the previous live parses
        self.live_alpha = AlphaLive(event.epoch, event.step, alphas, event.mixing)
        self.alpha_mixing = event.mixing
        self._add_shares(event.epoch, event.step, alphas, event.mixing)

    def _add_shares(self, epoch: int, step: int, alphas: np.ndarray, mixing: str) -> None:
        shares = op_shares(alphas, mixing)
        self.shares.append({"step": step, "epoch": epoch, "dominant_share": shares.dominant,
                            "low_share": shares.low},
                           {"dominant_share_per_cell": tuple(shares.dominant_per_cell),
                            "low_share_per_cell": tuple(shares.low_per_cell)})

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
    AlphaLive: RunState._on_alpha_live,
    GenotypeParsed: RunState._on_genotype,
    CheckpointSaved: RunState._on_checkpoint,
    StateChanged: RunState._on_state,
    Stopped: RunState._on_stopped,
    Finished: RunState._on_finished,
    Failed: RunState._on_failed,
}
