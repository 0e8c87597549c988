"""Atomic file writes: a temp file in the same folder, fsync, then rename over the target.

Readers of a run folder (the GUI following a live CLI search, a script) therefore never see a
half-written file; a crash leaves either the old or the new version.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable

from ddarts.errors import OutputError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()
"""mkstemp creates 0600 files; run folders and exports are meant to be shared like any other file."""


def describe_kind(path: str | os.PathLike) -> str | None:
    """What a path is when it is neither missing nor a regular file ("a FIFO", "a folder"...); None otherwise."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop"
        return None
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_output_file(path: str | os.PathLike) -> Path:
    """Refuse an empty path and a target that exists but is not a regular file: it is never replaced."""
    if not str(path).strip():
        raise OutputError("the output path is empty")
    target = Path(path)
    kind = describe_kind(target)
    if kind is not None:
        raise OutputError(f"{target} is {kind}; refusing to replace it (give a file name)")
    return target


def check_output_folder(path: str | os.PathLike) -> Path:
    """Refuse an empty path and a target that exists but is not a folder."""
    if not str(path).strip():
        raise OutputError("the output folder path is empty")
    target = Path(path)
    kind = describe_kind(target)
    if kind is None and target.exists():
        kind = "a file"
    if kind not in (None, "a folder"):
        raise OutputError(f"{target} is {kind}, not a folder")
    return target


def describe_os_error(exc: OSError, path: str | os.PathLike, verb: str = "writing") -> str:
    """One line for a failed file operation; a full disk says so plainly."""
    if exc.errno == errno.ENOSPC:
        return f"no space left on device while {verb} {path}"
    if exc.errno == errno.EDQUOT:
        return f"disk quota exceeded while {verb} {path}"
    action = {"writing": "write", "reading": "read", "removing": "remove", "truncating": "truncate"}.get(verb, verb)
    return f"cannot {action} {path}: {exc.strerror or exc}"


def _atomic(path: str | os.PathLike, write: Callable[[io.BufferedWriter], None]) -> Path:
    target = check_output_file(path)
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
