"""A whole search as a generator of events: data, epochs, steps, checkpoints, pause/stop, failure.

`search` is the raw engine loop; `ddarts.runs.recorded_search` also writes every event into a run folder. Both
are Qt-free: the GUI iterates them in a worker thread, the CLI in the main thread.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ddarts.data.batches import BatchStream
from ddarts.data.catalogue import split_indices
from ddarts.data.load import load_dataset
from ddarts.errors import DataError, DdartsError, DivergedError, RunFolderError
from ddarts.runtime.background import run_reporting
from ddarts.runtime.checkpoints import load_checkpoint as load_any_checkpoint
from ddarts.runtime.checkpoints import save_checkpoint
from ddarts.runtime.determinism import deterministic_mode
from ddarts.runtime.devices import describe_device, resolve_device
from ddarts.runtime.distributed import Distributed, agreed, main_first
from ddarts.runtime.folders import CHECKPOINT_FILE
from ddarts.search.config import ConfigError, SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.engine import SearchEngine
from ddarts.search.events import (
    DatasetProgress,
    Event,
    Failed,
    RunStarted,
)
from ddarts.search.loop import EpochLoop, SearchProgress
from ddarts.space.ops import PRIMITIVES

RESUMABLE_OVERRIDES = ("device", "data_dir", "num_workers", "download", "checkpoint_every", "deterministic",
                       "alpha_live_steps", "alpha_live_s", "alpha_live_record")
"""Config fields that may differ when resuming: they do not change the searched numbers."""


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a search checkpoint with torch's weights-only loader: tensors and plain data, never code."""
    return load_any_checkpoint(path, "search", required=("config", "engine", "train_stream", "val_stream",
                                                         "progress"))


def checkpoint_position(checkpoint: dict[str, Any]) -> tuple[int, int]:
    """(epochs done, global step) a checkpoint resumes from; RunFolderError when its progress is damaged."""
    try:
        progress = SearchProgress.from_state(checkpoint["progress"])
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise RunFolderError(f"the checkpoint's progress record is damaged ({exc})") from None
    return progress.epoch, progress.global_step


class SearchRun:
    """Prepare data (`prepare`), then search (`run`); split so nothing is written before the data is there."""

    def __init__(self, config: SearchConfig | None, run_dir: str | os.PathLike | None = None, *,
                 control: SearchControl | None = None, resume_from: str | os.PathLike | None = None,
                 dist: Distributed | None = None, data: Any = None):
        self.checkpoint = load_checkpoint(resume_from) if resume_from is not None else None
        if self.checkpoint is not None:
            try:
                saved = SearchConfig.from_dict(self.checkpoint["config"])
            except (ConfigError, TypeError, AttributeError) as exc:
                raise RunFolderError(f"{resume_from}: the checkpoint's configuration is damaged ({exc})") from None
            if config is None:
                config = saved
            else:
                check_resumable(saved, config)
            epochs_done, _ = checkpoint_position(self.checkpoint)
            if epochs_done >= saved.epochs:  # said before any data is loaded
                raise RunFolderError("this search already finished all its epochs; nothing to resume")
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
        self.data = data  # an ImageData given by the caller (ddarts.data.folders.from_tensors), else loaded
        self._parts: tuple | None = None
        self._last_checkpoint: str | None = None
        self.log_position: Callable[[], int] | None = None
        """Size of the run's metrics.jsonl, recorded in each checkpoint so a resume can drop later records."""
        if self.checkpoint is not None and resume_from is not None:
            self._last_checkpoint = str(resume_from)

    # ------------------------------------------------------------------ data
    def prepare(self) -> Iterator[DatasetProgress]:
        """Load the dataset off-thread, yielding its progress reports as they come."""
        cfg = self.config
        if self.data is not None:
            info = self.data.info
            yield DatasetProgress(info.name, "ready", len(self.data), len(self.data),
                                  f"{info.name} train: {len(self.data)} images of {info.image_size} px")
            return

        def work(report) -> Any:
            return load_dataset(cfg.dataset, cfg.data_dir, "train", download=cfg.download, progress=report,
                                num_workers=cfg.num_workers, image_size=cfg.image_size)

        out: dict[str, Any] = {}
        yield from run_reporting(work, out, name="ddarts-dataset")
        self.data = out["result"]

    # ------------------------------------------------------------------ search
    def setup(self) -> None:
        """Build the engine and data streams and restore a checkpoint; every check that can fail before writing."""
        if self.data is None:
            for _ in self.prepare():
                pass
        cfg, device = self.config, self.device
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)
        engine = SearchEngine(cfg, self.data.info.num_classes, device, self.dist, stem=self.stem)
        train_idx, val_idx = split_indices(len(self.data), cfg.train_portion)
        shard = (self.dist.rank, self.dist.world_size) if self.dist is not None else (0, 1)
        stream_args = dict(augment=True, device=device, channels_last=engine.channels_last, shard=shard)
        train_stream = BatchStream(self.data, train_idx, cfg.batch_size, seed=cfg.seed, **stream_args)
        val_stream = BatchStream(self.data, val_idx, cfg.batch_size, seed=cfg.seed + 1, **stream_args)
        steps_per_epoch = min(len(train_stream), len(val_stream))
        if steps_per_epoch == 0:
            raise DataError(f"{cfg.dataset}: {len(train_idx)}/{len(val_idx)} images per split are fewer than one "
                            f"batch of {cfg.batch_size}; lower the batch size")
        if cfg.steps_per_epoch is not None:
            steps_per_epoch = min(steps_per_epoch, cfg.steps_per_epoch)
        progress = SearchProgress()
        if self.checkpoint is not None:
            try:
                engine.load_state_dict(self.checkpoint["engine"])
                train_stream.load_state_dict(self.checkpoint["train_stream"])
                val_stream.load_state_dict(self.checkpoint["val_stream"])
                progress = SearchProgress.from_state(self.checkpoint["progress"])
            except (KeyError, ValueError, RuntimeError, TypeError, AttributeError, IndexError) as exc:
                raise RunFolderError(f"checkpoint does not match this search: {exc}") from None
            if progress.epoch >= cfg.epochs:
                raise RunFolderError("this search already finished; nothing to resume")
        self._parts = (engine, train_stream, val_stream, progress, steps_per_epoch)

    @property
    def stem(self) -> str:
        """The supernet's stem: as configured, else the data's kind (by image size for folders)."""
        return self.config.stem if self.config.stem != "auto" else self.data.info.input_kind

    def run(self) -> Iterator[Event]:
        if self._parts is None:
            self.setup()
        cfg, device = self.config, self.device
        engine, train_stream, val_stream, progress, steps_per_epoch = self._parts
        total_steps = steps_per_epoch * cfg.epochs
        loop = EpochLoop(self, engine, train_stream, val_stream, progress, steps_per_epoch, total_steps)
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
            with deterministic_mode(cfg.deterministic):
                yield from loop.run()
        except Exception as exc:
            yield self._failure(exc)

    def _failure(self, exc: Exception) -> Failed:
        tb = traceback.format_exc()
        message = str(exc) or type(exc).__name__
        resumes = True
        if isinstance(exc, DivergedError):
            kind, resumes = "diverged", False
        elif isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in message.lower():
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
        elif isinstance(exc, DdartsError):
            kind = "io"
        else:
            kind = "error"
        if self._last_checkpoint and resumes:
            message += f" The last checkpoint ({self._last_checkpoint}) resumes the run."
        elif self._last_checkpoint:
            message += f" The last good checkpoint ({self._last_checkpoint}) is kept."
        return Failed(message=message, kind=kind, traceback=tb, checkpoint=self._last_checkpoint)

    def save_checkpoint(self, engine: SearchEngine, train_stream, val_stream, progress: SearchProgress) -> str | None:
        if self.run_dir is None:
            return None
        state = {
            "config": self.config.to_dict(),
            "engine": engine.state_dict(),
            "train_stream": train_stream.state_dict(),
            "val_stream": val_stream.state_dict(),
            "progress": progress.to_state(),
        }
        if self.log_position is not None:
            state["log_bytes"] = self.log_position()
        path = save_checkpoint(self.run_dir / CHECKPOINT_FILE, "search", state)
        self._last_checkpoint = path
        return path


def check_resumable(saved: SearchConfig, given: SearchConfig) -> None:
    a, b = saved.to_dict(), given.to_dict()
    for name, value in b.items():
        if name not in RESUMABLE_OVERRIDES and a.get(name) != value:
            raise ConfigError(name, f"cannot change from {a.get(name)!r} to {value!r} when resuming")


def search(config: SearchConfig | None, run_dir: str | os.PathLike | None = None, *,
           control: SearchControl | None = None, resume_from: str | os.PathLike | None = None,
           dist: Distributed | None = None, data: Any = None) -> Iterator[Event]:
    """The raw engine: events only; checkpoints go to `run_dir/checkpoint.pt` when a folder is given.

    Under torchrun (`dist`), pass `run_dir` on rank 0 only: the replicas compute but write nothing. `data` (an
    `ImageData`, e.g. from `ddarts.data.folders.from_tensors`) replaces loading `config.dataset`.
    """
    run = agreed(dist, lambda: SearchRun(config, run_dir, control=control, resume_from=resume_from, dist=dist,
                                         data=data))
    yield from main_first(dist, run.prepare)
    agreed(dist, run.setup)
    yield from run.run()
