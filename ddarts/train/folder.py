"""The folder of a training run: config.json, genotype.json, metrics.jsonl and checkpoint.pt.

`TrainFolderWriter` consumes the training's events, as `ddarts.runs.RunWriter` does a search's. metrics.jsonl
is append-only (one write per record); everything else is written atomically. A checkpoint remembers how long
metrics.jsonl was when it was taken, so a resumed run first cuts off the records of steps that the checkpoint
does not contain (ddarts.runtime.recovery) and the log never shows a step twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ddarts import __version__
from ddarts.atomic import describe_os_error, write_json
from ddarts.data.progress import DatasetProgress
from ddarts.errors import GenotypeError, RunFolderError
from ddarts.limits import MAX_JSON_BYTES, loads_bounded
from ddarts.genotype.core import Genotype
from ddarts.runtime import checkpoints
from ddarts.runtime.folders import (
    CONFIG_FILE,
    DATASET_FILE,
    GENOTYPE_FILE,
    METRICS_FILE,
    RUN_FORMAT_VERSION,
    check_new_run_dir,
    now_iso,
    finite_json,
    read_header,
)
from ddarts.train.events import TrainEvent, TrainStep, train_event_record


def _guard(path: Path, action):
    try:
        return action()
    except OSError as exc:
        raise RunFolderError(f"{describe_os_error(exc, path)}; the last checkpoint is kept") from None


def create_run(run_dir: str | os.PathLike, config: dict[str, Any], genotype: Genotype,
               dataset: dict[str, Any] | None = None) -> Path:
    folder = check_new_run_dir(run_dir)
    if dataset is not None:
        _guard(folder / DATASET_FILE, lambda: write_json(folder / DATASET_FILE, dataset))
    header = {"format_version": RUN_FORMAT_VERSION, "kind": "train", "ddarts_version": __version__,
              "created": now_iso(), "config": config}
    _guard(folder / GENOTYPE_FILE, lambda: genotype.save(folder / GENOTYPE_FILE))
    _guard(folder / CONFIG_FILE, lambda: write_json(folder / CONFIG_FILE, header))
    return folder


def read_run(run_dir: str | os.PathLike) -> tuple[dict[str, Any], Genotype]:
    """(stored config dict, genotype) of a training run folder."""
    folder = Path(run_dir)
    header = read_header(folder, kind="train")
    path = folder / GENOTYPE_FILE
    try:
        with open(path, "rb") as handle:
            data = loads_bounded(handle.read(MAX_JSON_BYTES + 1), str(path))
    except FileNotFoundError:
        raise RunFolderError(f"{folder}: training run without {GENOTYPE_FILE}") from None
    except OSError as exc:
        raise RunFolderError(f"{path}: unreadable ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise RunFolderError(str(exc)) from None
    try:
        genotype = Genotype.from_json(data)
    except GenotypeError as exc:
        raise RunFolderError(f"{path}: {exc}") from None
    return header["config"], genotype


class TrainFolderWriter:
    """Appends the records of a training's events to metrics.jsonl (step records every `log_every` steps)."""

    def __init__(self, run_dir: Path, log_every: int):
        self.path = Path(run_dir) / METRICS_FILE
        self.log_every = log_every
        self._file = _guard(self.path, lambda: open(self.path, "ab", buffering=0))

    def write(self, event: TrainEvent) -> None:
        if isinstance(event, DatasetProgress):
            return
        if isinstance(event, TrainStep) and event.step % self.log_every and event.step_in_epoch != event.steps_per_epoch:
            return
        self.append(train_event_record(event))

    def append(self, record: dict[str, Any]) -> None:
        data = memoryview((json.dumps(finite_json(record), allow_nan=False) + "\n").encode("utf-8"))

        def write_all() -> None:
            view = data
            while view:
                view = view[self._file.write(view):]

        _guard(self.path, write_all)

    def position(self) -> int:
        return os.fstat(self._file.fileno()).st_size

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """A training checkpoint, read with the weights-only loader (never unpickling arbitrary objects)."""
    return checkpoints.load_checkpoint(path, "train", required=("config", "genotype", "model"))
