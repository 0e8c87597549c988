"""Turning a search's events into a run folder that other processes can follow while it grows.

metrics.jsonl is append-only with one complete `write` per record, so a reader sees whole lines or a
partial last line it can wait for; every other file is written atomically (ddarts.atomic).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ddarts import __version__
from ddarts.atomic import describe_os_error, write_json, write_with
from ddarts.errors import RunFolderError
from ddarts.genotype.core import Genotype
from ddarts.runtime.folders import (
    CONFIG_FILE,
    METRICS_FILE,
    RUN_FORMAT_VERSION,
    alpha_relpath,
    finite_json,
    genotype_relpath,
    holds_files,
    now_iso,
    read_header,
)
from ddarts.search.config import SearchConfig
from ddarts.search.events import (
    AlphaLive,
    AlphaSnapshot,
    DatasetProgress,
    Event,
    Finished,
    GenotypeParsed,
    event_to_record,
)


def json_default(value: Any) -> Any:
    """Numpy scalars and arrays that slip into events are written as plain JSON numbers and lists (here and on
    the search process's pipe, ddarts.runs.child)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to {METRICS_FILE}")


class RunWriter:
    """Creates (or reopens, with resume=True) a search run folder and persists events into it."""

    def __init__(self, run_dir: str | os.PathLike, config: SearchConfig, resume: bool = False):
        self.run_dir = Path(run_dir)
        self.config = config
        self._final_written: set[str] = set()
        self._file: io.RawIOBase | None = None
        if resume:
            header = read_header(self.run_dir, kind="search")  # missing/foreign folder -> RunFolderError
            if header["config"] != config.to_dict():
                # e.g. more epochs on resume: config.json must describe the run as it now continues
                updated = dict(header, config=config.to_dict(), updated=now_iso())
                self._guard(self.run_dir / CONFIG_FILE, lambda: write_json(self.run_dir / CONFIG_FILE, updated))
        else:
            if self.run_dir.exists():
                if not self.run_dir.is_dir():
                    raise RunFolderError(f"run folder path exists and is not a folder: {self.run_dir}")
                if holds_files(self.run_dir):
                    raise RunFolderError(
                        f"run folder {self.run_dir} already exists and is not empty; "
                        "choose a new folder or resume the run"
                    )
            header = {
                "format_version": RUN_FORMAT_VERSION,
                "kind": "search",
                "ddarts_version": __version__,
                "created": now_iso(),
                "config": config.to_dict(),
            }
            self._guard(self.run_dir / CONFIG_FILE, lambda: write_json(self.run_dir / CONFIG_FILE, header))
        self._open_metrics()

    # ------------------------------------------------------------------ public
    @property
    def metrics_path(self) -> Path:
        return self.run_dir / METRICS_FILE

    def position(self) -> int:
        """Bytes of metrics.jsonl written so far (a checkpoint records it)."""
        if self._file is None:
            raise RunFolderError(f"run writer for {self.run_dir} is closed")
        return os.fstat(self._file.fileno()).st_size

    def write(self, event: Event) -> None:
        if self._file is None:
            raise RunFolderError(f"run writer for {self.run_dir} is closed")
        if isinstance(event, AlphaSnapshot):
            self._write_alpha(event)
            return
        if isinstance(event, AlphaLive) and not self.config.alpha_live_record:
            return  # for live views; per-epoch α is what the folder keeps unless asked
        if isinstance(event, DatasetProgress) and event.stage != "ready":
            return  # download/extract progress is too chatty to keep; "ready" says what was loaded
        if isinstance(event, GenotypeParsed):
            self._save_genotype(event.genotype, genotype_relpath(event.epoch, event.method))
            if event.epoch < 0:
                self._final_written.add(event.method)
        elif isinstance(event, Finished):
            for method, genotype in event.genotypes.items():
                if method not in self._final_written:
                    self._save_genotype(genotype, genotype_relpath(-1, method))
                    self._final_written.add(method)
        self._append(event_to_record(event))

    def close(self) -> None:
        if self._file is not None:
            handle, self._file = self._file, None
            self._guard(self.metrics_path, handle.close)

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _guard(self, path: Path, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except OSError as exc:
            raise RunFolderError(f"{describe_os_error(exc, path)}; the last checkpoint is kept") from None

    def _open_metrics(self) -> None:
        path = self.metrics_path

        def open_for_append() -> io.RawIOBase:
            handle = open(path, "ab", buffering=0)
            # a crash may have left half a line: end it so the next record starts on a line of its own
            if handle.tell() > 0:
                with open(path, "rb") as check:
                    check.seek(-1, os.SEEK_END)
                    if check.read(1) != b"\n":
                        handle.write(b"\n")
            return handle

        self._file = self._guard(path, open_for_append)

    def _append(self, record: dict[str, Any]) -> None:
        data = (json.dumps(finite_json(record), default=json_default, allow_nan=False) + "\n").encode("utf-8")
        handle = self._file
        assert handle is not None

        def write_all() -> None:
            view = memoryview(data)
            while view:  # a raw write may be short; the loop only continues the same record
                written = handle.write(view)
                view = view[written:]

        self._guard(self.metrics_path, write_all)

    def _write_alpha(self, event: AlphaSnapshot) -> None:
        rel = alpha_relpath(event.epoch)
        array = np.asarray(event.alphas, dtype=np.float32)
        # the array first: a reader that sees the record finds the file complete
        self._guard(self.run_dir / rel, lambda: write_with(self.run_dir / rel, lambda f: np.save(f, array)))
        self._append({"type": "alpha", "epoch": event.epoch, "step": event.step, "mixing": event.mixing,
                      "path": rel})

    def _save_genotype(self, genotype: Genotype, rel: str) -> None:
        self._guard(self.run_dir / rel, lambda: genotype.save(self.run_dir / rel))
