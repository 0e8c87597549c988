"""A whole search as a generator of events: data, epochs, steps, checkpoints, pause/stop, failure.

`search` is the raw engine loop; `recorded_search` also writes every event into a run folder. Both are
Qt-free: the GUI iterates them in a worker thread, the CLI in the main thread.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ddarts import atomic
from ddarts.devices import describe_device, resolve_device
from ddarts.distributed import Distributed, agreed, any_process, main_first
from ddarts.errors import DataError, DdartsError, RunFolderError
from ddarts.ops import PRIMITIVES
from ddarts.search.config import PARSE_METHODS, ConfigError, SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.engine import SearchEngine
from ddarts.search.events import (
    AlphaSnapshot, CheckpointSaved, DatasetProgress, EpochMetrics, Event, Failed, Finished, GenotypeParsed,
    RunStarted, StateChanged, StepMetrics, Stopped,
)

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_VERSION = 1
RESUMABLE_OVERRIDES = ("device", "data_dir", "num_workers", "download", "checkpoint_every")
"""Config fields that may differ when resuming: they do not change the searched numbers."""


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a search checkpoint with torch's weights-only loader: tensors and plain data, never code."""
    path = Path(path)
    if not path.is_file():
        raise RunFolderError(f"no checkpoint to resume from at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file
        raise RunFolderError(f"cannot read checkpoint {path}: {exc}") from None
    if not isinstance(state, dict) or state.get("format_version") != CHECKPOINT_VERSION:
        raise RunFolderError(f"{path} is not a ddarts search checkpoint of format version {CHECKPOINT_VERSION}")
    return state


@dataclass
class _Progress:
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
    def from_state(cls, state: dict[str, Any]) -> "_Progress":
        return cls(epoch=int(state["epoch"]), step_in_epoch=int(state["step_in_epoch"]),
                   global_step=int(state["global_step"]), elapsed_s=float(state["elapsed_s"]),
                   count=int(state["count"]), sums={k: np.asarray(v) for k, v in state["sums"].items()})


class SearchRun:
    """Prepare data (`prepare`), then search (`run`); split so nothing is written before the data is there."""

    def __init__(self, config: SearchConfig | None, run_dir: str | os.PathLike | None = None, *,
                 control: SearchControl | None = None, resume_from: str | os.PathLike | None = None,
                 dist: Distributed | None = None):
        self.checkpoint = load_checkpoint(resume_from) if resume_from is not None else None
        if self.checkpoint is not None:
            saved = SearchConfig.from_dict(self.checkpoint["config"])
            if config is None:
                config = saved
            else:
                _check_resumable(saved, config)
        if config is None:
            raise ConfigError("config", "a configuration is needed to start a new search")
        self.config = config
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.control = control or SearchControl()
        self.dist = dist
        if dist is not None and config.batch_size % dist.world_size:
            raise ConfigError("batch_size", f"{config.batch_size} does not split evenly over {dist.world_size} "
                                            f"processes; the batch size is the total over all of them")
        self.device = dist.device if dist is not None else resolve_device(config.device)
        self.data = None
        self._parts: tuple | None = None
        self._last_checkpoint: str | None = None
        if self.checkpoint is not None and resume_from is not None:
            self._last_checkpoint = str(resume_from)

    # ------------------------------------------------------------------ data
    def prepare(self) -> Iterator[DatasetProgress]:
        """Load the dataset in a background thread, yielding its progress reports as they come."""
        from ddarts.data import load_dataset

        reports: queue.Queue = queue.Queue()
        outcome: dict[str, Any] = {}
        cfg = self.config

        def work() -> None:
            try:
                outcome["data"] = load_dataset(cfg.dataset, cfg.data_dir, "train", download=cfg.download,
                                               progress=reports.put, num_workers=cfg.num_workers)
            except BaseException as exc:  # handed to the generator's thread below
                outcome["error"] = exc
            finally:
                reports.put(None)

        thread = threading.Thread(target=work, name="ddarts-dataset", daemon=True)
        thread.start()
        while True:
            report = reports.get()
            if report is None:
                break
            yield report
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        self.data = outcome["data"]

    # ------------------------------------------------------------------ search
    def setup(self) -> None:
        """Build the engine and data streams and restore a checkpoint; every check that can fail before writing."""
        from ddarts.batches import BatchStream
        from ddarts.data import split_indices

        if self.data is None:
            for _ in self.prepare():
                pass
        cfg, device = self.config, self.device
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)
        engine = SearchEngine(cfg, self.data.info.num_classes, device, self.dist)
        train_idx, val_idx = split_indices(len(self.data), cfg.train_portion)
        channels_last = cfg.channels_last and device.type == "cuda"
        shard = (self.dist.rank, self.dist.world_size) if self.dist is not None else (0, 1)
        stream_args = dict(augment=True, device=device, channels_last=channels_last, shard=shard)
        train_stream = BatchStream(self.data, train_idx, cfg.batch_size, seed=cfg.seed, **stream_args)
        val_stream = BatchStream(self.data, val_idx, cfg.batch_size, seed=cfg.seed + 1, **stream_args)
        steps_per_epoch = min(len(train_stream), len(val_stream))
        if steps_per_epoch == 0:
            raise DataError(f"{cfg.dataset}: {len(train_idx)}/{len(val_idx)} images per split are fewer than one "
                            f"batch of {cfg.batch_size}; lower the batch size")
        if cfg.steps_per_epoch is not None:
            steps_per_epoch = min(steps_per_epoch, cfg.steps_per_epoch)
        progress = _Progress()
        if self.checkpoint is not None:
            try:
                engine.load_state_dict(self.checkpoint["engine"])
                train_stream.load_state_dict(self.checkpoint["train_stream"])
                val_stream.load_state_dict(self.checkpoint["val_stream"])
                progress = _Progress.from_state(self.checkpoint["progress"])
            except (KeyError, ValueError, RuntimeError) as exc:
                raise RunFolderError(f"checkpoint does not match this search: {exc}") from None
            if progress.epoch >= cfg.epochs:
                raise RunFolderError("this search already finished; nothing to resume")
        self._parts = (engine, train_stream, val_stream, progress, steps_per_epoch)

    def run(self) -> Iterator[Event]:
        if self._parts is None:
            self.setup()
        cfg, device = self.config, self.device
        engine, train_stream, val_stream, progress, steps_per_epoch = self._parts
        total_steps = steps_per_epoch * cfg.epochs
        loop = _Loop(self, engine, train_stream, val_stream, progress, steps_per_epoch, total_steps)
        described = describe_device(device)
        if self.dist is not None:
            described += f" × {self.dist.describe()}"
        yield RunStarted(
            run_dir=str(self.run_dir) if self.run_dir else None, config=cfg.to_dict(),
            device=described, world_size=self.dist.world_size if self.dist is not None else 1, n_cells=cfg.cells,
            reductions=tuple(engine.model.reductions),
            primitives=PRIMITIVES, steps_per_epoch=steps_per_epoch, total_steps=total_steps,
            start_epoch=progress.epoch, start_step=progress.global_step, resumed=self.checkpoint is not None,
        )
        try:
            yield from loop.run()
        except Exception as exc:
            yield self._failure(exc)

    def _failure(self, exc: Exception) -> Failed:
        tb = traceback.format_exc()
        message = str(exc) or type(exc).__name__
        if isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in message.lower():
            bs = self.config.batch_size
            message = (f"The device ran out of memory at batch size {bs}. Try a smaller batch "
                       f"(--batch-size {max(2, bs // 2)}), fewer cells or fewer initial channels.")
            kind = "oom"
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        elif isinstance(exc, DataError):
            kind = "data"
        elif isinstance(exc, ConfigError):
            kind = "config"
        else:
            kind = "error"
        if self._last_checkpoint:
            message += f" The last checkpoint ({self._last_checkpoint}) resumes the run."
        return Failed(message=message, kind=kind, traceback=tb, checkpoint=self._last_checkpoint)

    def save_checkpoint(self, engine: SearchEngine, train_stream, val_stream, progress: _Progress) -> str | None:
        if self.run_dir is None:
            return None
        state = {
            "format_version": CHECKPOINT_VERSION,
            "config": self.config.to_dict(),
            "engine": engine.state_dict(),
            "train_stream": train_stream.state_dict(),
            "val_stream": val_stream.state_dict(),
            "progress": progress.to_state(),
        }
        path = self.run_dir / CHECKPOINT_NAME
        atomic.write_with(path, lambda handle: torch.save(state, handle))
        self._last_checkpoint = str(path)
        return str(path)


def _check_resumable(saved: SearchConfig, given: SearchConfig) -> None:
    a, b = saved.to_dict(), given.to_dict()
    for name, value in b.items():
        if name not in RESUMABLE_OVERRIDES and a.get(name) != value:
            raise ConfigError(name, f"cannot change from {a.get(name)!r} to {value!r} when resuming")


class _Loop:
    """The epoch/step loop; metrics of step k are read back while step k+1 is already queued."""

    def __init__(self, run: SearchRun, engine: SearchEngine, train_stream, val_stream, progress: _Progress,
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
                if cfg.checkpoint_every and p.global_step % cfg.checkpoint_every == 0 \
                        and p.step_in_epoch < self.steps_per_epoch:
                    yield from self._flush()
                    saved = self._checkpoint()
                    if saved is not None:
                        yield saved
            yield from self._flush()
            yield from self._end_epoch()
        yield from self._finish()

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
        from ddarts.parse import op_shares, parse_alphas

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
        from ddarts.parse import parse_alphas

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


def search(config: SearchConfig | None, run_dir: str | os.PathLike | None = None, *,
           control: SearchControl | None = None, resume_from: str | os.PathLike | None = None,
           dist: Distributed | None = None) -> Iterator[Event]:
    """The raw engine: events only; checkpoints go to `run_dir/checkpoint.pt` when a folder is given.

    Under torchrun (`dist`), pass `run_dir` on rank 0 only: the replicas compute but write nothing.
    """
    run = agreed(dist, lambda: SearchRun(config, run_dir, control=control, resume_from=resume_from, dist=dist))
    yield from main_first(dist, run.prepare)
    agreed(dist, run.setup)
    yield from run.run()


def recorded_search(config: SearchConfig | None, run_dir: str | os.PathLike, *,
                    control: SearchControl | None = None, resume: bool = False,
                    dist: Distributed | None = None) -> Iterator[Event]:
    """`search` plus the run folder: every event is written (atomically where it is a file) before it is yielded.

    A new search refuses an existing non-empty folder before touching the data; `resume=True` continues from
    the folder's checkpoint with the folder's configuration (device and data location may be overridden).
    Under torchrun every process calls this with the same arguments; rank 0 writes the folder, the other
    replicas read its checkpoint when resuming and write nothing.
    """
    from ddarts.runs import RunWriter

    run_dir = Path(run_dir)
    if dist is not None and not dist.is_main:
        resume_from = run_dir / CHECKPOINT_NAME if resume else None
        yield from search(config, None, control=control, resume_from=resume_from, dist=dist)
        return
    run = agreed(dist, lambda: _open_run(config, run_dir, control, resume, dist))
    ready = None
    for report in main_first(dist, run.prepare):
        if report.stage == "ready":
            ready = report  # recorded once the folder exists, so a reader sees the dataset too
        yield report
    agreed(dist, run.setup)
    writer = RunWriter(run_dir, run.config, resume=resume)
    try:
        if ready is not None:
            writer.write(ready)
        for event in run.run():
            writer.write(event)
            yield event
    finally:
        writer.close()


def _open_run(config: SearchConfig | None, run_dir: Path, control: SearchControl | None, resume: bool,
              dist: Distributed | None) -> SearchRun:
    from ddarts.runs import RunReader

    if resume:
        saved = RunReader(run_dir).config
        if config is None:
            config = saved
        else:
            _check_resumable(saved, config)
        return SearchRun(config, run_dir, control=control, resume_from=run_dir / CHECKPOINT_NAME, dist=dist)
    if config is None:
        raise ConfigError("config", "a configuration is needed to start a new search")
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise RunFolderError(f"{run_dir} already exists and is not empty; choose another folder or resume it")
    return SearchRun(config, run_dir, control=control, dist=dist)
