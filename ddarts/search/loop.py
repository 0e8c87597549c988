"""The epoch/step loop of a search and the running totals it checkpoints.

Metrics of step k are read back while step k+1 is already queued, so a step never waits for the device.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ddarts.errors import DivergedError
from ddarts.genotype.parse import op_shares, parse_alphas
from ddarts.runtime.distributed import any_process
from ddarts.genotype.core import PARSE_METHODS
from ddarts.search.engine import SearchEngine
from ddarts.search.events import (
    AlphaLive,
    AlphaSnapshot,
    CheckpointSaved,
    EpochMetrics,
    Event,
    Finished,
    GenotypeParsed,
    StateChanged,
    StepMetrics,
    Stopped,
)


@dataclass
class SearchProgress:
    """Position and running epoch sums: everything besides the engine needed to resume exactly."""

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    elapsed_s: float = 0.0
    sums: dict[str, Any] = field(default_factory=dict)
    count: int = 0

    def add(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            arr = np.asarray(value, dtype=np.float64)
            self.sums[key] = self.sums.get(key, 0.0) + arr
        self.count += 1

    def means(self, key: str) -> np.ndarray:
        if not self.count or key not in self.sums:
            return np.zeros(0)
        return np.asarray(self.sums[key], dtype=np.float64) / self.count

    def to_state(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch, "step_in_epoch": self.step_in_epoch, "global_step": self.global_step,
            "elapsed_s": self.elapsed_s, "count": self.count,
            "sums": {k: np.asarray(v, dtype=np.float64).tolist() for k, v in self.sums.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "SearchProgress":
        return cls(epoch=int(state["epoch"]), step_in_epoch=int(state["step_in_epoch"]),
                   global_step=int(state["global_step"]), elapsed_s=float(state["elapsed_s"]),
                   count=int(state["count"]), sums={k: np.asarray(v) for k, v in state["sums"].items()})


WATCHED_LOSSES = {"train_loss": "weight-step loss L_CE", "val_loss": "α-step loss L_CE", "l_t": "cell loss L_T",
                  "l01": "zero-one loss L_01"}


def check_finite(values: dict[str, Any], step: int, epoch: int) -> None:
    """Stop at the first step whose loss is NaN or infinite: every later step would only spread it."""
    for key, name in WATCHED_LOSSES.items():
        array = np.asarray(values.get(key, ()), dtype=np.float64)
        if array.size and not np.isfinite(array).all():
            bad = array[~np.isfinite(array)].flat[0]
            raise DivergedError(f"the search diverged: the {name} became {bad} at step {step} (epoch {epoch + 1}); "
                                f"start a new search with a lower --lr or --arch-lr, or a lower --grad-clip.")


class EpochLoop:
    """The epoch/step loop; metrics of step k are read back while step k+1 is already queued."""

    def __init__(self, run: Any, engine: SearchEngine, train_stream, val_stream, progress: SearchProgress,
                 steps_per_epoch: int, total_steps: int):
        self.run_ = run
        self.engine = engine
        self.train_stream = train_stream
        self.val_stream = val_stream
        self.progress = progress
        self.steps_per_epoch = steps_per_epoch
        self.total_steps = total_steps
        self.pending: tuple | None = None
        self.rate = 0.0
        self._clock = time.perf_counter()
        self._live_at = time.monotonic()

    # ------------------------------------------------------------------ timing
    def _tick(self) -> None:
        now = time.perf_counter()
        self.progress.elapsed_s += now - self._clock
        self._clock = now

    # ------------------------------------------------------------------ metrics
    def _stage(self, packed: torch.Tensor, meta: dict[str, Any]) -> None:
        """Start copying this step's metrics to the host without waiting for them."""
        if packed.is_cuda:
            host = packed.to("cpu", non_blocking=True)
            ready = torch.cuda.Event()
            ready.record()
        else:
            host, ready = packed, None
        self.pending = (host, ready, meta)

    def _consume(self) -> StepMetrics | None:
        if self.pending is None:
            return None
        host, ready, meta = self.pending
        self.pending = None
        if ready is not None:
            ready.synchronize()
        values = self.engine.layout.unpack(host.tolist())
        check_finite(values, meta["step"], meta["epoch"])
        self.progress.add({k: values[k] for k in ("train_loss", "train_acc", "val_loss", "val_acc", "mc", "l_ab")})
        self._tick()
        p = self.progress
        done_here = p.global_step - self._start_step
        if done_here > 0 and p.elapsed_s - self._start_elapsed > 0:
            self.rate = done_here / (p.elapsed_s - self._start_elapsed)
        eta = (self.total_steps - meta["step"]) / self.rate if self.rate > 0 else float("nan")
        return StepMetrics(
            epoch=meta["epoch"], step=meta["step"], step_in_epoch=meta["step_in_epoch"],
            steps_per_epoch=self.steps_per_epoch, total_steps=self.total_steps, lr=meta["lr"],
            arch_lr=meta["arch_lr"], elapsed_s=p.elapsed_s, steps_per_s=self.rate, eta_s=eta, **values,
        )

    # ------------------------------------------------------------------ loop
    def run(self) -> Iterator[Event]:
        run, engine, p, cfg = self.run_, self.engine, self.progress, self.run_.config
        control = run.control
        self._start_step, self._start_elapsed = p.global_step, p.elapsed_s
        yield StateChanged("running")
        while p.epoch < cfg.epochs:
            while p.step_in_epoch < self.steps_per_epoch:
                if control.paused and not control.stop_requested and run.dist is None:
                    yield from self._flush()
                    yield StateChanged("paused")
                    while not control.wait_while_paused(0.1):
                        pass
                    self._clock = time.perf_counter()  # paused time is not search time
                    if not control.stop_requested:
                        yield StateChanged("running")
                if any_process(run.dist, control.stop_requested):  # every process stops at the same step
                    yield from self._stop()
                    return
                train_batch = next(self.train_stream)
                val_batch = next(self.val_stream)
                packed = engine.step(train_batch, val_batch)
                p.step_in_epoch += 1
                p.global_step += 1
                meta = {"epoch": p.epoch, "step": p.global_step, "step_in_epoch": p.step_in_epoch,
                        "lr": engine.lr, "arch_lr": engine.arch_lr}
                previous = self._consume()
                self._stage(packed, meta)
                if previous is not None:
                    yield previous
                if p.step_in_epoch < self.steps_per_epoch and self._live_due(cfg, p.global_step):
                    yield AlphaLive(epoch=p.epoch, step=p.global_step, alphas=engine.alphas_numpy(),
                                    mixing=cfg.mixing)
                if cfg.checkpoint_every and p.global_step % cfg.checkpoint_every == 0 \
                        and p.step_in_epoch < self.steps_per_epoch:
                    yield from self._flush()
                    saved = self._checkpoint()
                    if saved is not None:
                        yield saved
            yield from self._flush()
            yield from self._end_epoch()
        yield from self._finish()

    def _live_due(self, cfg: Any, step: int) -> bool:
        """A live α report is due every `alpha_live_steps` steps or `alpha_live_s` seconds (epoch ends
        report α anyway)."""
        now = time.monotonic()
        by_steps = bool(cfg.alpha_live_steps) and step % cfg.alpha_live_steps == 0
        by_time = bool(cfg.alpha_live_s) and now - self._live_at >= cfg.alpha_live_s
        if by_steps or by_time:
            self._live_at = now
            return True
        return False

    def _flush(self) -> Iterator[Event]:
        metrics = self._consume()
        if metrics is not None:
            yield metrics

    def _checkpoint(self) -> CheckpointSaved | None:
        self.engine.synchronise_replicas()  # every process reaches checkpoints at the same step
        self._tick()
        path = self.run_.save_checkpoint(self.engine, self.train_stream, self.val_stream, self.progress)
        return CheckpointSaved(epoch=self.progress.epoch, step=self.progress.global_step, path=path) if path else None

    def _end_epoch(self) -> Iterator[Event]:
        run, engine, p, cfg = self.run_, self.engine, self.progress, self.run_.config
        alphas = engine.alphas_numpy()
        shares = op_shares(alphas, cfg.mixing)
        self._tick()
        yield EpochMetrics(
            epoch=p.epoch, train_loss=float(p.means("train_loss")), train_acc=float(p.means("train_acc")),
            val_loss=float(p.means("val_loss")), val_acc=float(p.means("val_acc")),
            dominant_share=shares.dominant, low_share=shares.low,
            dominant_share_per_cell=tuple(shares.dominant_per_cell), low_share_per_cell=tuple(shares.low_per_cell),
            mc=tuple(p.means("mc").tolist()) if engine.ablating else (),
            l_ab=tuple(p.means("l_ab").tolist()) if engine.ablating else (),
            elapsed_s=p.elapsed_s,
        )
        yield AlphaSnapshot(epoch=p.epoch, step=p.global_step, alphas=alphas, mixing=cfg.mixing)
        genotype = parse_alphas(alphas, cfg.parse, cfg.threshold, engine.model.reductions, cfg.mixing,
                                source=str(run.run_dir) if run.run_dir else None)
        yield GenotypeParsed(epoch=p.epoch, method=cfg.parse, threshold=cfg.threshold, genotype=genotype)
        engine.end_epoch()
        p.epoch += 1
        p.step_in_epoch = 0
        p.sums, p.count = {}, 0
        saved = self._checkpoint()
        if saved is not None:
            yield saved

    def _stop(self) -> Iterator[Event]:
        yield from self._flush()
        yield StateChanged("stopping")
        saved = self._checkpoint()
        if saved is not None:
            yield saved
        yield Stopped(epoch=self.progress.epoch, step=self.progress.global_step,
                      checkpoint=saved.path if saved else None)

    def _finish(self) -> Iterator[Event]:
        run, engine, cfg = self.run_, self.engine, self.run_.config
        alphas = engine.alphas_numpy()
        finals = {}
        for method in PARSE_METHODS:
            genotype = parse_alphas(alphas, method, cfg.threshold, engine.model.reductions, cfg.mixing,
                                    source=str(run.run_dir) if run.run_dir else None)
            finals[method] = genotype
            yield GenotypeParsed(epoch=-1, method=method, threshold=cfg.threshold, genotype=genotype)
        self._tick()
        yield Finished(epoch=self.progress.epoch - 1, step=self.progress.global_step,
                       elapsed_s=self.progress.elapsed_s, genotypes=finals)
