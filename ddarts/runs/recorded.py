"""A search that writes its run folder: the engine's event stream, each event persisted before it is passed on.

The folder's lifecycle is here, once: the one-writer lock, the resume checks, bringing an interrupted folder
back in line with its checkpoint (ddarts.runtime.recovery), and restarting in place a run killed before its
first checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ddarts import atomic
from ddarts.errors import RunFolderError
from ddarts.runs.reader import RunReader
from ddarts.runs.writer import RunWriter
from ddarts.runtime.distributed import Distributed, agreed, main_first
from ddarts.runtime.folders import (
    CHECKPOINT_FILE,
    DATASET_FILE,
    check_new_run_dir,
    holds_files,
)
from ddarts.runtime.lock import RunLock
from ddarts.runtime.recovery import recover, refuse_if_diverged
from ddarts.search.config import ConfigError, SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.events import Event
from ddarts.search.run import SearchRun, check_resumable, checkpoint_position, search


def recorded_search(config: SearchConfig | None, run_dir: str | os.PathLike, *,
                    control: SearchControl | None = None, resume: bool = False,
                    dist: Distributed | None = None, data: Any = None) -> Iterator[Event]:
    """`search` plus the run folder: every event is written (atomically where it is a file) before it is yielded.

    A new search refuses an existing non-empty folder before touching the data; `resume=True` continues from
    the folder's checkpoint with the folder's configuration (device and data location may be overridden), or
    restarts it from step 0 when it has no checkpoint yet. The folder is locked for the writer's lifetime.
    Under torchrun every process calls this with the same arguments; rank 0 writes the folder, the other
    replicas read its checkpoint when resuming and write nothing.
    """
    run_dir = Path(run_dir)
    if dist is not None and not dist.is_main:
        checkpoint = run_dir / CHECKPOINT_FILE
        resume_from = checkpoint if resume and checkpoint.exists() else None
        yield from search(config, None, control=control, resume_from=resume_from, dist=dist, data=data)
        return
    lock = RunLock(run_dir)
    writer: RunWriter | None = None
    try:
        run = agreed(dist, lambda: _open_run(config, run_dir, control, resume, dist, lock))
        run.data = data
        ready = None
        for report in main_first(dist, run.prepare):
            if report.stage == "ready":
                ready = report  # recorded once the folder exists, so a reader sees the dataset too
            yield report
        agreed(dist, run.setup)
        writer = RunWriter(run_dir, run.config, resume=resume)
        run.log_position = writer.position
        try:
            atomic.write_json(run_dir / DATASET_FILE, run.data.info.to_dict())
        except OSError as exc:
            raise RunFolderError(atomic.describe_os_error(exc, run_dir / DATASET_FILE)) from None
        if ready is not None:
            writer.write(ready)
        for event in run.run():
            writer.write(event)
            yield event
    finally:
        if writer is not None:
            writer.close()
        lock.release()


def _open_run(config: SearchConfig | None, run_dir: Path, control: SearchControl | None, resume: bool,
              dist: Distributed | None, lock: RunLock) -> SearchRun:
    if resume:
        saved = RunReader(run_dir).config  # a missing or foreign folder fails here, before it is locked
        if config is None:
            config = saved
        else:
            check_resumable(saved, config)
        lock.acquire()
        refuse_if_diverged(run_dir, "search")
        checkpoint = run_dir / CHECKPOINT_FILE
        if not checkpoint.exists() and not checkpoint.is_symlink():
            # killed before the first checkpoint: start over in place with the folder's configuration
            recover(run_dir, log_bytes=0, step=0, epochs_done=0)
            return SearchRun(config, run_dir, control=control, dist=dist)
        run = SearchRun(config, run_dir, control=control, resume_from=checkpoint, dist=dist)
        epochs_done, step = checkpoint_position(run.checkpoint)
        log_bytes = run.checkpoint.get("log_bytes")
        recover(run_dir, log_bytes=log_bytes if isinstance(log_bytes, int) else None, step=step,
                epochs_done=epochs_done)
        return run
    if config is None:
        raise ConfigError("config", "a configuration is needed to start a new search")
    check_new_run_dir(run_dir)
    lock.acquire()
    if holds_files(run_dir):  # another process created it between the check and the lock
        raise RunFolderError(f"{run_dir} already exists and is not empty; choose another folder or resume it")
    return SearchRun(config, run_dir, control=control, dist=dist)
