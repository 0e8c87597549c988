"""Versioned checkpoints of search and training runs: one writer, one weights-only loader.

A checkpoint is a dict of tensors and plain data saved with `torch.save`; it records its `kind` ("search"
or "train") and `format_version`. Loading uses torch's weights-only unpickler, so a file can never run
code; a file that would need the full unpickler is refused, never loaded "unsafely".
"""

from __future__ import annotations

import os
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from ddarts.atomic import describe_kind, describe_os_error, write_with
from ddarts.errors import RunFolderError
from ddarts.runtime.folders import CHECKPOINT_FORMAT_VERSION

KINDS = ("search", "train")
_KIND_KEYS = {"search": "engine", "train": "model"}
"""Checkpoints written before `kind` was recorded are recognised by their main entry."""


def save_checkpoint(path: str | os.PathLike, kind: str, state: dict[str, Any]) -> str:
    """Write atomically: a crash leaves the previous checkpoint whole. A full disk keeps the previous one too."""
    path = Path(path)
    state = {"format_version": CHECKPOINT_FORMAT_VERSION, "kind": kind, **state}
    try:
        write_with(path, lambda handle: torch.save(state, handle))
    except OSError as exc:
        raise RunFolderError(f"{describe_os_error(exc, path)}; the last checkpoint is kept") from None
    return str(path)


def read_torch_file(path: str | os.PathLike, what: str) -> Any:
    """The object in a PyTorch file, read weights-only; RunFolderError with one line naming `what` it should be."""
    path = Path(path)
    other = describe_kind(path)
    if other is not None:
        raise RunFolderError(f"{path} is {other}, not a {what}")
    if not path.exists():
        raise RunFolderError(f"no {what} at {path}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RunFolderError(describe_os_error(exc, path, "reading")) from None
    if size == 0:
        raise RunFolderError(f"{path} is empty (0 bytes): the {what} was never completely written")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickle protocols; the error below says more
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except OSError as exc:
        raise RunFolderError(describe_os_error(exc, path, "reading")) from None
    except pickle.UnpicklingError:
        if zipfile.is_zipfile(path):  # a PyTorch file whose pickle names Python objects: never ours
            raise RunFolderError(f"{path} holds Python objects besides tensors and plain data; it is not a "
                                 f"{what} and is not loaded") from None
        raise RunFolderError(f"{path} is damaged or not a {what} (not a PyTorch file)") from None
    except Exception:  # torch's readers raise many types (struct.error, RuntimeError...) for a damaged file
        raise RunFolderError(f"{path} is damaged or not a {what} (not a readable PyTorch file)") from None


def load_checkpoint(path: str | os.PathLike, kind: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The checkpoint at `path`; RunFolderError with one line for anything that is not one of ours."""
    what = f"ddarts {kind} checkpoint"
    if not Path(path).exists() and describe_kind(path) is None:
        raise RunFolderError(f"no checkpoint at {path}")
    state = read_torch_file(path, what)
    if not isinstance(state, dict):
        raise RunFolderError(f"{path} is not a {what} (holds {type(state).__name__}, not a dict)")
    version = state.get("format_version")
    if isinstance(version, bool) or version != CHECKPOINT_FORMAT_VERSION:
        raise RunFolderError(f"{path}: checkpoint format version {version!r} is not supported "
                             f"(this ddarts reads version {CHECKPOINT_FORMAT_VERSION})")
    stored = state.get("kind")
    if stored is None:
        stored = next((k for k, key in _KIND_KEYS.items() if key in state), None)
    if stored != kind:
        raise RunFolderError(f"{path} is a {stored or 'unknown'} checkpoint, not a {what}")
    for key in required:
        if key not in state:
            raise RunFolderError(f"{path}: the checkpoint lacks '{key}'")
    return state
