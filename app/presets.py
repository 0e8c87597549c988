"""Search presets: named partial SearchConfig values stored as JSON in resources/presets/.

A preset states only the fields it cares about; the rest keep SearchConfig's defaults. Every preset
is validated through SearchConfig when loaded, so a broken file is reported with its name and field
instead of surfacing later as a half-filled form.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .resources import PRESETS
from ddarts.errors import DdartsError
from ddarts.search.config import ConfigError, SearchConfig


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    path: str | None = None

    def config(self, base: SearchConfig | None = None) -> SearchConfig:
        return (base or SearchConfig()).replace(**self.values)


def read_preset(path: str | os.PathLike) -> Preset:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DdartsError(f"preset {path}: cannot read JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DdartsError(f"preset {path}: expected a JSON object")
    name = data.get("name")
    values = data.get("config")
    if not isinstance(name, str) or not name.strip():
        raise DdartsError(f"preset {path}: field 'name' must be a non-empty string")
    if not isinstance(values, dict):
        raise DdartsError(f"preset {path}: field 'config' must be an object of SearchConfig fields")
    try:
        SearchConfig.from_dict({**SearchConfig().to_dict(), **values})
    except ConfigError as exc:
        raise DdartsError(f"preset {path}: {exc}") from None
    order = data.get("order", 100)
    return Preset(name=name.strip(), description=str(data.get("description", "")), values=dict(values),
                  order=order if isinstance(order, int) else 100, path=str(path))


def load_presets(folder: str | os.PathLike = PRESETS) -> tuple[list[Preset], list[str]]:
    """All readable presets of `folder` (sorted by their `order`), and one message per broken file."""
    presets: list[Preset] = []
    problems: list[str] = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            presets.append(read_preset(path))
        except DdartsError as exc:
            problems.append(str(exc))
    presets.sort(key=lambda p: (p.order, p.name))
    return presets, problems
