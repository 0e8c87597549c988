"""Bringing an interrupted run folder back in line with its last checkpoint before a writer continues it.

A process killed between checkpoints leaves records (and epoch files) of steps the checkpoint does not hold,
and perhaps the temporary file of an atomic write it was in. The resumed run would write those steps again,
so a reader would see them twice. Recovery runs only while holding the folder's lock (ddarts.runtime.lock).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ddarts.atomic import describe_os_error
from ddarts.errors import DivergedError, RunFolderError
from ddarts.limits import loads_bounded
from ddarts.runtime.folders import (
    ALPHAS_DIR,
    GENOTYPES_DIR,
    LIFECYCLE_TYPES,
    METRICS_FILE,
)

TMP_FILE = re.compile(r"\..+\.tmp")
"""The temporary names ddarts.atomic writes to before renaming."""
EPOCH_FILE = re.compile(r"epoch_(\d{3,})\.(npy|json)")
FINAL_FILE = re.compile(r"final_[a-z]+\.json")
KEPT_AFTER_CHECKPOINT = ("checkpoint", "state", "stopped")
"""Records that may follow the checkpoint they belong to and carry no step data."""


def remove_orphans(folder: str | os.PathLike) -> list[Path]:
    """Remove `.*.tmp` files that interrupted atomic writes left in the folder and its alphas/ and genotypes/."""
    removed = []
    root = Path(folder)
    for where in (root, root / ALPHAS_DIR, root / GENOTYPES_DIR):
        if not where.is_dir() or where.is_symlink() and where != root:
            continue
        for entry in where.iterdir():
            if TMP_FILE.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
                _unlink(entry)
                removed.append(entry)
    return removed


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise RunFolderError(describe_os_error(exc, path, "removing")) from None


def record_type(line: bytes) -> str | None:
    """The `type` of one metrics.jsonl line, or None when the line is not a JSON record."""
    try:
        record = loads_bounded(line)
    except ValueError:
        return None
    return record.get("type") if isinstance(record, dict) else None


def checkpoint_log_end(metrics: Path, log_bytes: int | None, step: int) -> int | None:
    """Where the checkpoint's share of metrics.jsonl ends: `log_bytes` (the size when it was taken) plus the
    checkpoint's own records that follow it. Checkpoints without `log_bytes`: after the last checkpoint record
    of `step`. None when that cannot be told (the log is left as it is)."""
    try:
        data = metrics.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RunFolderError(describe_os_error(exc, metrics, "reading")) from None
    if log_bytes is None:
        end, position = None, 0
        for line in data.splitlines(keepends=True):
            position += len(line)
            try:
                record = loads_bounded(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("type") == "checkpoint" and record.get("step") == step:
                end = position
        return end
    if not 0 <= log_bytes <= len(data):
        return None
    end = log_bytes
    for line in data[log_bytes:].splitlines(keepends=True):
        if not line.endswith(b"\n") or record_type(line) not in KEPT_AFTER_CHECKPOINT:
            break
        end += len(line)
    return end


def truncate_log(metrics: Path, size: int) -> bool:
    """Cut metrics.jsonl to `size` bytes; True when something was dropped."""
    try:
        if not metrics.exists() or metrics.stat().st_size <= size:
            return False
        with open(metrics, "r+b") as handle:
            handle.truncate(size)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise RunFolderError(describe_os_error(exc, metrics, "truncating")) from None
    return True


def drop_epoch_files(folder: str | os.PathLike, epochs_done: int) -> list[Path]:
    """Remove alphas/ and genotypes/ files of epochs after the first `epochs_done`, and final genotypes."""
    removed = []
    root = Path(folder)
    for where in (root / ALPHAS_DIR, root / GENOTYPES_DIR):
        if not where.is_dir() or where.is_symlink():
            continue
        for entry in where.iterdir():
            match = EPOCH_FILE.fullmatch(entry.name)
            if (match and int(match.group(1)) > epochs_done) or FINAL_FILE.fullmatch(entry.name):
                _unlink(entry)
                removed.append(entry)
    return removed


def recover(folder: str | os.PathLike, *, log_bytes: int | None, step: int, epochs_done: int | None) -> bool:
    """Align the folder with a checkpoint at global `step` after `epochs_done` epochs; with no checkpoint
    (`step` 0, `log_bytes` 0) the folder is emptied down to its configuration. True when anything changed."""
    root = Path(folder)
    changed = bool(remove_orphans(root))
    end = checkpoint_log_end(root / METRICS_FILE, log_bytes, step)
    if end is not None:
        changed = truncate_log(root / METRICS_FILE, end) or changed
    if epochs_done is not None:
        changed = bool(drop_epoch_files(root, epochs_done)) or changed
    return changed


def diverged_message(metrics: Path) -> str | None:
    """What the run's last lifecycle record says when it says the run diverged: its configuration cannot go on."""
    try:
        lines = metrics.read_bytes().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            record = loads_bounded(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("type") in LIFECYCLE_TYPES:
            if record.get("type") == "failed" and record.get("kind") == "diverged":
                return str(record.get("message", "")).split(";")[0][:300]
            return None
    return None


def refuse_if_diverged(folder: str | os.PathLike, what: str) -> None:
    """A run that stopped because its configuration diverged would diverge again: say so instead of resuming."""
    diverged = diverged_message(Path(folder) / METRICS_FILE)
    if diverged:
        raise DivergedError(f"{folder} stopped because its configuration diverged ({diverged}); resuming would "
                            f"repeat it. Start a new {what} with another configuration.")
