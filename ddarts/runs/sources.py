"""Where a genotype comes from: a genotype file, or the latest α of a search run folder.

The deriver, the CLI and the GUI all accept "a source" so a user can point at a finished or running
search directly, without first exporting a genotype file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ddarts.atomic import describe_kind
from ddarts.errors import GenotypeError, RunFolderError
from ddarts.genotype import PARSE_METHODS, DartsGenotype, Genotype, load_genotype
from ddarts.genotype.parse import MIXINGS, parse_alphas
from ddarts.limits import MAX_CELLS
from ddarts.runtime.folders import CONFIG_FILE, read_header
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

ALPHA_FILE = re.compile(r"epoch_(\d{3,})\.npy")


def _read_run_config(run_dir: Path) -> dict[str, Any]:
    """The search configuration of a run folder; the header checks are the run folders' own (runtime.folders)."""
    header = read_header(run_dir, kind=None)
    if header.get("kind") != "search":
        raise RunFolderError(f"{run_dir / CONFIG_FILE}: kind {header.get('kind')!r} is not a search run; "
                             "only search runs hold α to parse")
    return header["config"]


def _config_value(config: dict[str, Any], key: str, run_dir: Path) -> Any:
    if key not in config:
        raise RunFolderError(f"{run_dir / 'config.json'}: config.{key} is missing")
    return config[key]


def latest_alpha_file(run_dir: Path) -> tuple[int, Path]:
    """The highest-numbered alphas/epoch_NNN.npy, with its epoch."""
    alpha_dir = run_dir / "alphas"
    found = []
    try:
        root = run_dir.resolve()
        entries = list(alpha_dir.iterdir()) if alpha_dir.is_dir() else []
        for entry in entries:
            match = ALPHA_FILE.fullmatch(entry.name)
            if match and entry.is_file() and entry.resolve().is_relative_to(root):  # never outside the folder
                found.append((int(match.group(1)), entry))
    except (OSError, RuntimeError) as exc:  # unreadable, or a symbolic link loop
        raise RunFolderError(f"{alpha_dir}: cannot list it ({exc})") from None
    if not found:
        raise RunFolderError(f"{run_dir}: the run has no α yet (no alphas/epoch_NNN.npy)")
    return max(found)


NPY_MAGIC = b"\x93NUMPY"
MAX_ALPHA_BYTES = MAX_CELLS * len(EDGES) * len(PRIMITIVES) * 8 + 4096
"""The largest α file: float64 for the most cells, plus the .npy header."""


def load_alpha_array(path: Path) -> np.ndarray:
    """A run's α file as float32; RunFolderError with one line for anything that is not a finite float array."""
    kind = describe_kind(path)
    if kind is not None:
        raise RunFolderError(f"{path} is {kind}, not an α array file")
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            magic = handle.read(len(NPY_MAGIC))
            if magic != NPY_MAGIC:
                raise RunFolderError(f"{path} is not a NumPy array file (.npy)")
            if size > MAX_ALPHA_BYTES:
                raise RunFolderError(f"{path}: {size} bytes is more than an α array of {MAX_CELLS} cells")
            handle.seek(0)
            array = np.load(handle, allow_pickle=False)
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, EOFError) as exc:
        raise RunFolderError(f"{path}: not a readable .npy array ({exc})") from None
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
        raise RunFolderError(f"{path}: α of dtype {getattr(array, 'dtype', None)}, expected floating point")
    if not np.isfinite(array).all():
        raise RunFolderError(f"{path}: α holds NaN or infinite values")
    return array.astype(np.float32, copy=False)


def _load_alphas(path: Path, cells: int) -> np.ndarray:
    array = load_alpha_array(path)
    expected = (cells, len(EDGES), len(PRIMITIVES))
    if array.shape != expected:
        raise RunFolderError(f"{path}: α of shape {array.shape}, expected {expected} for {cells} cells")
    return array


def genotype_from_source(path: str | os.PathLike, method: str | None = None,
                         threshold: float | None = None, epoch: int | None = None) -> Genotype | DartsGenotype:
    """A genotype file as stored (method/threshold do not apply), or a run folder's α parsed: those of 1-based
    `epoch` (alphas/epoch_NNN.npy), else the latest."""
    source = Path(path)
    kind = describe_kind(source)
    if kind not in (None, "a folder"):
        raise GenotypeError(f"{source} is {kind}, not a genotype file or run folder")
    if not source.exists():
        raise GenotypeError(f"{source}: no such genotype file or run folder")
    if source.is_file():
        return load_genotype(source)
    config = _read_run_config(source)
    cells = _config_value(config, "cells", source)
    if isinstance(cells, bool) or not isinstance(cells, int) or not 3 <= cells <= MAX_CELLS:
        raise RunFolderError(f"{source / 'config.json'}: config.cells must be an integer from 3 to {MAX_CELLS}, "
                             f"got {cells!r:.40}")
    mixing = _config_value(config, "mixing", source)
    if mixing not in MIXINGS:
        raise RunFolderError(f"{source / 'config.json'}: config.mixing {mixing!r} is not one of {', '.join(MIXINGS)}")
    if method is None:
        method = _config_value(config, "parse", source)
    if method not in PARSE_METHODS:
        raise GenotypeError(f"parse method {method!r} is not one of {', '.join(PARSE_METHODS)}")
    if threshold is None:
        threshold = _config_value(config, "threshold", source)
    if epoch is None:
        epoch, alpha_file = latest_alpha_file(source)
    else:
        alpha_file = source / "alphas" / f"epoch_{epoch:03d}.npy"
        if not alpha_file.is_file():
            raise RunFolderError(f"{source}: no α for epoch {epoch} ({alpha_file.name} is missing)")
    alphas = _load_alphas(alpha_file, cells)
    return parse_alphas(alphas, method, threshold, reduction_positions(cells), mixing=mixing,
                        source=f"{source} (epoch {epoch})")
