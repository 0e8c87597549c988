"""The folder of a training run: config.json, genotype.json, metrics.jsonl and checkpoint.pt.

metrics.jsonl is append-only (one write per record); everything else is written atomically. A checkpoint
remembers how long metrics.jsonl was when it was taken, so a resumed run first cuts off the records of
steps that the checkpoint does not contain and the log never shows a step twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from ddarts import __version__
from ddarts.atomic import write_json, write_with
from ddarts.errors import GenotypeError, RunFolderError
from ddarts.genotype.core import Genotype
from ddarts.runtime.folders import (
    CHECKPOINT_FORMAT_VERSION,
    CONFIG_FILE,
    DATASET_FILE,
    GENOTYPE_FILE,
    RUN_FORMAT_VERSION,
    check_new_run_dir,
    now_iso,
    read_header,
)


def _guard(path: Path, action):
    try:
        return action()
    except OSError as exc:
        raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from exc


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
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{folder}: training run without {GENOTYPE_FILE}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"{path}: unreadable ({exc})") from None
    try:
        genotype = Genotype.from_json(data)
    except GenotypeError as exc:
        raise RunFolderError(f"{path}: {exc}") from None
    return header["config"], genotype


class MetricsLog:
    """Appends one JSON object per line; `size()` and `truncate()` support checkpoint-consistent resumes."""

    def __init__(self, path: Path):
        self.path = path
        self._file = _guard(path, lambda: open(path, "ab", buffering=0))

    def append(self, record: dict[str, Any]) -> None:
        data = memoryview((json.dumps(record) + "\n").encode("utf-8"))

        def write_all() -> None:
            view = data
            while view:
                view = view[self._file.write(view):]

        _guard(self.path, write_all)

    def size(self) -> int:
        return self._file.tell()

    def truncate(self, size: int) -> None:
        if size < self.size():
            _guard(self.path, lambda: (self._file.truncate(size), self._file.seek(size)))

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    state = {"format_version": CHECKPOINT_FORMAT_VERSION, **state}
    _guard(path, lambda: write_with(path, lambda f: torch.save(state, f)))


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """A checkpoint written by `save_checkpoint`, read without unpickling arbitrary objects."""
    path = Path(path)
    if not path.is_file():
        raise RunFolderError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged or foreign file
        raise RunFolderError(f"{path}: not a readable ddarts training checkpoint ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not isinstance(state, dict) or state.get("format_version") != CHECKPOINT_FORMAT_VERSION:
        raise RunFolderError(f"{path}: not a ddarts training checkpoint of format version {CHECKPOINT_FORMAT_VERSION}")
    for key in ("config", "genotype", "model"):
        if key not in state:
            raise RunFolderError(f"{path}: checkpoint lacks '{key}'")
    return state


class NoLog:
    """The metrics log of a torchrun replica: rank 0 alone writes metrics.jsonl."""

    def append(self, record: dict[str, Any]) -> None:
        pass

    def size(self) -> int:
        return 0

    def truncate(self, size: int) -> None:
        pass

    def close(self) -> None:
        pass
