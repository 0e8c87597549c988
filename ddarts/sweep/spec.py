"""What a sweep varies: a base search configuration, a grid of field values and seeds, checked before anything runs.

Every refusal is a `ConfigError` naming the field at fault, raised while only strings and dicts exist, so a typo
in the last grid value costs nothing.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ddarts.config import ConfigError
from ddarts.search.config import SearchConfig, field_names

SPEC_KEYS = ("base", "grid", "seeds")
"""Top-level keys of a sweep file (YAML or JSON)."""


@dataclass(frozen=True)
class TrialSpec:
    """One point of the grid: the values that differ from the base (seed included) and the full configuration."""

    name: str
    varied: dict[str, Any]
    config: SearchConfig


@dataclass(frozen=True)
class SweepSpec:
    base: dict[str, Any]
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    seeds: tuple[int, ...] = ()

    @property
    def varied_fields(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.grid) + (("seed",) if self.seeds else ())

    def to_dict(self) -> dict[str, Any]:
        return {"base": dict(self.base), "grid": {name: list(values) for name, values in self.grid},
                "seeds": list(self.seeds)}

    def trials(self) -> list[TrialSpec]:
        """Every combination, in grid order with the seed varying fastest; refused if two would be identical."""
        base = SearchConfig.from_dict(self.base)
        axes = [(name, values) for name, values in self.grid]
        if self.seeds:
            axes.append(("seed", self.seeds))
        if not axes:
            raise ConfigError("grid", "nothing varies: give --grid FIELD=V1,V2,... and/or --seeds")
        trials: list[TrialSpec] = []
        seen: dict[str, str] = {}
        names: set[str] = set()
        for combo in itertools.product(*(values for _, values in axes)):
            varied = {name: value for (name, _), value in zip(axes, combo)}
            config = base.replace(**varied)
            name = trial_name(varied)
            key = config.to_json()
            if key in seen or name in names:
                field = next(iter(varied))
                raise ConfigError(field, f"duplicate trials: {name} repeats {seen.get(key, name)}")
            seen[key] = name
            names.add(name)
            trials.append(TrialSpec(name, varied, config))
        return trials


def trial_name(varied: dict[str, Any]) -> str:
    """Folder name from the varied values, e.g. `w_abl=0.5_seed=1`; safe on every file system."""
    parts = []
    for name, value in varied.items():
        text = format_value(value)
        text = "".join(c if c.isalnum() or c in ".-+" else "-" for c in text)
        parts.append(f"{name}={text}")
    return "_".join(parts)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------------------------------- parsing values
_DEFAULTS = SearchConfig()
_OPTIONAL_INT = ("steps_per_epoch",)


def coerce(field: str, value: Any) -> Any:
    """A grid value (a string from the command line or a YAML/JSON scalar) as the field's type."""
    if field not in field_names():
        raise ConfigError(field, f"unknown search configuration field (known: {', '.join(sorted(field_names()))})")
    default = getattr(_DEFAULTS, field)
    if isinstance(value, str):
        text = value.strip()
        if field in _OPTIONAL_INT and text.lower() in ("none", "null", ""):
            return None
        if isinstance(default, bool):
            lowered = text.lower()
            if lowered in ("true", "yes", "1", "on"):
                return True
            if lowered in ("false", "no", "0", "off"):
                return False
            raise ConfigError(field, f"expected true or false, got {value!r}")
        if isinstance(default, int) or field in _OPTIONAL_INT:
            try:
                return int(text)
            except ValueError:
                raise ConfigError(field, f"expected an integer, got {value!r}") from None
        if isinstance(default, float):
            try:
                return float(text)
            except ValueError:
                raise ConfigError(field, f"expected a number, got {value!r}") from None
        return text
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def parse_grid_option(text: str) -> tuple[str, tuple[Any, ...]]:
    """`FIELD=V1,V2,...` from `--grid` (dashes in FIELD allowed, as in the option names)."""
    if "=" not in text:
        raise ConfigError("grid", f"expected FIELD=V1,V2,..., got {text!r}")
    field, _, values = text.partition("=")
    field = field.strip().lstrip("-").replace("-", "_")
    items = [v for v in values.split(",")] if values.strip() else []
    return field, tuple(items)


def parse_seeds(text: str | list[Any] | tuple[Any, ...]) -> tuple[int, ...]:
    items = text.split(",") if isinstance(text, str) else list(text)
    seeds = tuple(coerce("seed", item) for item in items if not (isinstance(item, str) and not item.strip()))
    if not seeds:
        raise ConfigError("seed", "empty list of seeds")
    return seeds


def build_spec(base: dict[str, Any], grid: list[tuple[str, tuple[Any, ...]]], seeds: tuple[int, ...] = ()) -> SweepSpec:
    """Check the grid's fields and values one by one; the base configuration must be valid on its own."""
    SearchConfig.from_dict(base)
    checked: list[tuple[str, tuple[Any, ...]]] = []
    given: set[str] = set()
    for field, raw in grid:
        if field not in field_names():
            raise ConfigError(field, f"unknown search configuration field (known: {', '.join(sorted(field_names()))})")
        if field in given:
            raise ConfigError(field, "given twice in the grid; list all its values once: FIELD=V1,V2,...")
        if field == "seed" and seeds:
            raise ConfigError("seed", "given both in the grid and as --seeds; use one")
        given.add(field)
        if not raw:
            raise ConfigError(field, "empty grid: give at least one value")
        values = tuple(coerce(field, value) for value in raw)
        for value in values:
            SearchConfig.from_dict({**base, field: value})  # the field's own check names it
        for i, value in enumerate(values):
            if value in values[:i]:
                raise ConfigError(field, f"duplicate value {format_value(value)} in the grid")
        checked.append((field, values))
    for i, seed in enumerate(seeds):
        SearchConfig.from_dict({**base, "seed": seed})
        if seed in seeds[:i]:
            raise ConfigError("seed", f"duplicate seed {seed}")
    spec = SweepSpec(dict(SearchConfig.from_dict(base).to_dict()), tuple(checked), tuple(seeds))
    spec.trials()  # combinations can fail together (lr_min > lr) or coincide
    return spec


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """A sweep file's contents: `base` (fields or a run's config.json shape), `grid` {field: [values]}, `seeds`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("spec", f"sweep file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("spec", f"cannot read sweep file {path}: {exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)  # safe_load builds plain data, never objects
        else:
            data = json.loads(text)
    except Exception as exc:  # YAML and JSON parsers raise their own error types
        raise ConfigError("spec", f"{path} is not valid {'YAML' if path.suffix.lower() in ('.yaml', '.yml') else 'JSON'}: "
                                  f"{str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError("spec", f"{path} must hold a mapping with keys {', '.join(SPEC_KEYS)}")
    unknown = sorted(set(data) - set(SPEC_KEYS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown sweep file key in {path} (known: {', '.join(SPEC_KEYS)})")
    base = data.get("base") or {}
    if isinstance(base, dict) and base.get("kind") == "search" and isinstance(base.get("config"), dict):
        base = base["config"]
    grid = data.get("grid") or {}
    if not isinstance(base, dict):
        raise ConfigError("base", "must be a mapping of search configuration fields")
    if not isinstance(grid, dict):
        raise ConfigError("grid", "must be a mapping FIELD: [V1, V2, ...]")
    for field, values in grid.items():
        if not isinstance(values, list):
            raise ConfigError(str(field), "grid values must be a list")
    return {"base": base, "grid": [(str(k), tuple(v)) for k, v in grid.items()], "seeds": data.get("seeds")}

