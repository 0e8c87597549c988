"""A search that writes its run folder: the engine's event stream, each event persisted before it is passed on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from pathlib import Path

from ddarts import atomic
from ddarts.errors import RunFolderError
from ddarts.runs.reader import RunReader
from ddarts.runs.writer import RunWriter
from ddarts.runtime.distributed import Distributed, agreed, main_first
from ddarts.runtime.folders import CHECKPOINT_FILE, DATASET_FILE
from ddarts.search.config import ConfigError, SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.events import Event
from ddarts.search.run import SearchRun, check_resumable, search


def recorded_search(config: SearchConfig | None, run_dir: str | os.PathLike, *,
                    control: SearchControl | None = None, resume: bool = False,
                    dist: Distributed | None = None, data: Any = None) -> Iterator[Event]:
    """`search` plus the run folder: every event is written (atomically where it is a file) before it is yielded.

    A new search refuses an existing non-empty folder before touching the data; `resume=True` continues from
    the folder's checkpoint with the folder's configuration (device and data location may be overridden).
    Under torchrun every process calls this with the same arguments; rank 0 writes the folder, the other
    replicas read its checkpoint when resuming and write nothing.
    """
    run_dir = Path(run_dir)
    if dist is not None and not dist.is_main:
        resume_from = run_dir / CHECKPOINT_FILE if resume else None
        yield from search(config, None, control=control, resume_from=resume_from, dist=dist, data=data)
        return
    run = agreed(dist, lambda: _open_run(config, run_dir, control, resume, dist))
    run.data = data
    ready = None
    for report in main_first(dist, run.prepare):
        if report.stage == "ready":
            ready = report  # recorded once the folder exists, so a reader sees the dataset too
        yield report
    agreed(dist, run.setup)
    writer = RunWriter(run_dir, run.config, resume=resume)
    atomic.write_json(run_dir / DATASET_FILE, run.data.info.to_dict())
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
    if resume:
        saved = RunReader(run_dir).config
        if config is None:
            config = saved
        else:
            check_resumable(saved, config)
        return SearchRun(config, run_dir, control=control, resume_from=run_dir / CHECKPOINT_FILE, dist=dist)
    if config is None:
        raise ConfigError("config", "a configuration is needed to start a new search")
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise RunFolderError(f"{run_dir} already exists and is not empty; choose another folder or resume it")
    return SearchRun(config, run_dir, control=control, dist=dist)
