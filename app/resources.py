"""Paths to the files under resources/ (icons, style sheet, search presets), shipped next to the code."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
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
