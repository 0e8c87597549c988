"""The export folder's life: checking the target, the hidden partial folder it is written in, the manifest that
marks a finished export, and publishing by rename.

`--force` replaces only a previous export (recognised by its manifest), never a run folder or other files.
A partial folder is locked (ddarts.runtime.lock) while its export runs, so the next export can tell one left by
a killed process from one being written now, and removes the former.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

from ddarts import __version__
from ddarts.atomic import check_output_folder, write_json
from ddarts.errors import DdartsError, LockedError
from ddarts.limits import loads_bounded
from ddarts.runtime.folders import CONFIG_FILE
from ddarts.runtime.lock import RunLock

MANIFEST_FILE = "export.json"
MANIFEST_FORMAT = "ddarts export"
KNOWN_FILES = frozenset({"genotype.json", "model.safetensors", "model.torchscript.pt", "model.pt2", "model.onnx",
                         "MODEL_CARD.md"})
"""What exports held before they had a manifest."""


class ExportError(DdartsError):
    """An export cannot be written or its programs do not reproduce the network."""


def write_manifest(folder: Path, files: tuple[str, ...]) -> None:
    write_json(folder / MANIFEST_FILE, {"format": MANIFEST_FORMAT, "format_version": 1,
                                        "ddarts_version": __version__, "files": list(files)})


def is_previous_export(folder: Path) -> bool:
    """Whether every entry of `folder` belongs to an export: its manifest lists them (older exports: known names)."""
    names = {entry.name for entry in folder.iterdir()}
    try:
        manifest = loads_bounded((folder / MANIFEST_FILE).read_bytes(), MANIFEST_FILE)
    except (OSError, ValueError):
        manifest = None
    if isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT:
        files = manifest.get("files")
        return isinstance(files, list) and names <= {MANIFEST_FILE, *map(str, files)}
    return "MODEL_CARD.md" in names and names <= KNOWN_FILES


def prepare_target(out_dir: Path, force: bool) -> Path:
    """Refuse a target that is not a folder, or a non-empty one unless it is a previous export and `force`;
    return the parent folder, created if needed."""
    try:
        check_output_folder(out_dir)
    except DdartsError as exc:
        raise ExportError(str(exc)) from None
    if out_dir.parent == out_dir:
        raise ExportError(f"{out_dir}: cannot export into the root folder")
    if out_dir.exists() or out_dir.is_symlink():
        if out_dir.is_symlink() or not out_dir.is_dir():
            raise ExportError(f"{out_dir}: exists and is not a folder")
        try:
            entries = any(out_dir.iterdir())
        except OSError as exc:
            raise ExportError(f"{out_dir}: cannot read it ({exc.strerror or exc})") from None
        if entries:
            if not force:
                raise ExportError(f"{out_dir}: folder exists and is not empty (use --force to replace a previous "
                                  f"export)")
            if (out_dir / CONFIG_FILE).exists():
                raise ExportError(f"{out_dir} is a run folder; --force replaces only a previous export")
            if not is_previous_export(out_dir):
                raise ExportError(f"{out_dir} holds files that are not a previous export; --force replaces only "
                                  f"an export (recognised by its {MANIFEST_FILE})")
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{parent}: cannot create the output's parent folder ({exc.strerror or exc})") from None
    if not parent.is_dir():
        raise ExportError(f"{parent}: not a folder, cannot write the export there")
    return parent


def remove_abandoned(out_dir: Path) -> list[Path]:
    """Remove `.NAME.*.partial` folders that killed exports to `out_dir` left (a live export keeps its lock)."""
    pattern = re.compile(re.escape(f".{out_dir.name}.") + r"[0-9a-f]+\.partial")
    removed = []
    try:
        siblings = list(out_dir.parent.iterdir())
    except OSError:
        return removed
    for entry in siblings:
        if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        lock = RunLock(entry)
        try:
            lock.acquire()
        except (LockedError, DdartsError):
            continue  # being written right now
        shutil.rmtree(entry, ignore_errors=True)
        lock.release()
        removed.append(entry)
    return removed


def make_partial_folder(out_dir: Path) -> tuple[Path, RunLock]:
    """A locked hidden sibling of `out_dir` with ordinary permissions (mkdtemp would make it private)."""
    for _ in range(100):
        tmp = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex[:8]}.partial"
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        return tmp, RunLock(tmp).acquire()
    raise FileExistsError(f"no free temporary name next to {out_dir}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def share_files(folder: Path) -> None:
    """Atomic writes create private files; an export is meant to be shared like any other file."""
    mode = 0o666 & ~_umask()
    for entry in folder.iterdir():
        entry.chmod(mode)


def publish(tmp: Path, lock: RunLock, out_dir: Path) -> None:
    """Move the finished folder into place; a replaced folder is removed only after the move."""
    lock.release()
    old: Path | None = None
    if out_dir.exists():
        if any(out_dir.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
            os.replace(out_dir, old / "previous")
        else:
            out_dir.rmdir()
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
