"""The run folder's layout: file names, format versions and the header, shared by every reader and writer.

Search and training runs use the same names for the same things, so the app, the CLI and users' scripts can
tell any run folder's kind from config.json alone. docs/run-folder.md documents the layout.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ddarts.atomic import describe_kind
from ddarts.errors import RunFolderError
from ddarts.limits import MAX_JSON_BYTES, loads_bounded

RUN_FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
ALPHAS_DIR = "alphas"
GENOTYPES_DIR = "genotypes"
CHECKPOINT_FILE = "checkpoint.pt"
DATASET_FILE = "dataset.json"
"""The data a run was trained or searched on: classes, input size and kind, mean/std (DatasetInfo.to_dict)."""
CHECKPOINT_FORMAT_VERSION = 1
GENOTYPE_FILE = "genotype.json"
LOCK_FILE = ".ddarts.lock"
"""Held (advisory lock) by the one process writing the folder; see ddarts.runtime.lock."""
LIFECYCLE_TYPES = ("start", "stopped", "finished", "failed")
"""Records that open or close a run; the last one seen tells whether the run may still be going."""


def alpha_relpath(epoch: int) -> str:
    """alphas/epoch_NNN.npy for 0-based `epoch` (files are numbered from 1)."""
    return f"{ALPHAS_DIR}/epoch_{epoch + 1:03d}.npy"


def genotype_relpath(epoch: int, method: str) -> str:
    """genotypes/epoch_NNN.json for an epoch's parse, genotypes/final_<method>.json for epoch -1."""
    if epoch < 0:
        return f"{GENOTYPES_DIR}/final_{method}.json"
    return f"{GENOTYPES_DIR}/epoch_{epoch + 1:03d}.json"


def read_header(run_dir: str | os.PathLike, kind: str | None = "search") -> dict[str, Any]:
    """Validated contents of config.json; RunFolderError names the folder and what is wrong."""
    folder = Path(run_dir)
    other = describe_kind(folder)
    if other not in (None, "a folder"):
        raise RunFolderError(f"{folder} is {other}, not a run folder")
    if not folder.exists():
        raise RunFolderError(f"run folder not found: {folder}")
    if not folder.is_dir():
        raise RunFolderError(f"not a folder: {folder}")
    path = folder / CONFIG_FILE
    other = describe_kind(path)
    if other is not None:
        raise RunFolderError(f"{path} is {other}, not a run configuration")
    if not path.is_file():
        raise RunFolderError(f"not a ddarts run folder: {folder} (no {CONFIG_FILE})")
    try:
        with open(path, "rb") as handle:
            header = loads_bounded(handle.read(MAX_JSON_BYTES + 1), str(path))
    except OSError as exc:
        raise RunFolderError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise RunFolderError(str(exc)) from None
    if not isinstance(header, dict):
        raise RunFolderError(f"{path}: expected a JSON object, got {type(header).__name__}")
    version = header.get("format_version")
    if isinstance(version, bool) or version != RUN_FORMAT_VERSION:
        raise RunFolderError(
            f"{path}: unsupported run format_version {version!r} (this ddarts reads version {RUN_FORMAT_VERSION})"
        )
    if kind is not None and header.get("kind") != kind:
        raise RunFolderError(f"{path}: run kind is {header.get('kind')!r}, expected {kind!r}")
    if not isinstance(header.get("config"), dict):
        raise RunFolderError(f"{path}: field 'config' must be a JSON object")
    return header


def now_iso() -> str:
    """UTC time as the headers and records store it."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def holds_files(folder: Path) -> bool:
    """Whether a folder holds anything besides the writer's lock file."""
    return any(entry.name != LOCK_FILE for entry in folder.iterdir())


def check_new_run_dir(run_dir: str | os.PathLike) -> Path:
    """Refuse a folder that holds anything: a new run never mixes with old files."""
    if not str(run_dir).strip():
        raise RunFolderError("the run folder path is empty")
    folder = Path(run_dir)
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise RunFolderError(f"run folder path exists and is not a folder: {folder}")
        if holds_files(folder):
            raise RunFolderError(f"run folder {folder} already exists and is not empty; choose a new --out "
                                 f"or continue it with --resume {folder}")
    return folder


def finite_json(value: Any) -> Any:
    """NaN and ±inf become null (numpy values plain numbers): metrics.jsonl holds strict JSON every reader takes."""
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value
