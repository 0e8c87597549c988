"""Paths to the files under resources/ (icons, style sheet, search presets), shipped next to the code.

In the repository they sit in resources/ beside app/; an installed copy carries them inside the package as
ddarts_app/resource_files/ (setup.py), so nothing lands in site-packages as a top-level `resources`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

_HERE = Path(__file__).resolve().parent
RESOURCES = _HERE / "resource_files" if (_HERE / "resource_files").is_dir() else _HERE.parent / "resources"
ICONS = RESOURCES / "icons"
PRESETS = RESOURCES / "presets"


def icon(name: str) -> QIcon:
    """An icon drawn for ddarts (resources/icons/<name>.svg); a missing file is a packaging bug."""
    path = ICONS / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"icon {name!r} not found at {path}")
    return QIcon(str(path))


def style_sheet() -> str:
    return (RESOURCES / "style.qss").read_text(encoding="utf-8")
