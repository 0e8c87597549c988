"""Atomic file writes: a temp file in the same folder, fsync, then rename over the target.

Readers of a run folder (the GUI following a live CLI search, a script) therefore never see a
half-written file; a crash leaves either the old or the new version.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()
"""mkstemp creates 0600 files; run folders and exports are meant to be shared like any other file."""


def _atomic(path: str | os.PathLike, write: Callable[[io.BufferedWriter], None]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return _atomic(path, lambda handle: handle.write(data))


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_with(path: str | os.PathLike, writer: Callable[[io.BufferedWriter], None]) -> Path:
    """Atomic write through a callback that receives an open binary file (torch.save, np.save)."""
    return _atomic(path, writer)
