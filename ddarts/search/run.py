"""A whole search as a generator of events: data, epochs, steps, checkpoints, pause/stop, failure.

`search` is the raw engine loop; `ddarts.runs.recorded_search` also writes every event into a run folder. Both
are Qt-free: the GUI iterates them in a worker thread, the CLI in the main thread.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ddarts import atomic
from ddarts.data.batches import BatchStream
from ddarts.data.catalogue import split_indices
from ddarts.data.load import load_dataset
from ddarts.errors import DataError, RunFolderError
from ddarts.runtime.background import run_reporting
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

CHECKPOINT_VERSION = 1
RESUMABLE_OVERRIDES = ("device", "data_dir", "num_workers", "download", "checkpoint_every", "deterministic")
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


class SearchRun:
    """Prepare data (`prepare`), then search (`run`); split so nothing is written before the data is there."""

    def __init__(self, config: SearchConfig | None, run_dir: str | os.PathLike | None = None, *,
                 control: SearchControl | None = None, resume_from: str | os.PathLike | None = None,
                 dist: Distributed | None = None, data: Any = None):
        self.checkpoint = load_checkpoint(resume_from) if resume_from is not None else None
        if self.checkpoint is not None:
            saved = SearchConfig.from_dict(self.checkpoint["config"])
            if config is None:
                config = saved
            else:
                check_resumable(saved, config)
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
            except (KeyError, ValueError, RuntimeError) as exc:
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

    def save_checkpoint(self, engine: SearchEngine, train_stream, val_stream, progress: SearchProgress) -> str | None:
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
        path = self.run_dir / CHECKPOINT_FILE
        atomic.write_with(path, lambda handle: torch.save(state, handle))
        self._last_checkpoint = str(path)
        return str(path)


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
