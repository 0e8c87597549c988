"""Validation and (de)serialisation shared by the search and training configurations.

Both are frozen dataclasses checked field by field before any work starts; these helpers keep their error
messages identical (`field: what is wrong, got value`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import fields
from typing import Any, TypeVar

from ddarts.errors import DdartsError

C = TypeVar("C", bound="ConfigRecord")


class ConfigError(DdartsError, ValueError):
    """A configuration value is out of range; `field` names the culprit."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def check_choice(owner: Any, name: str, options: tuple[str, ...]) -> None:
    value = getattr(owner, name)
    if value not in options:
        raise ConfigError(name, f"{value!r} is not one of {', '.join(options)}")


def check_number(owner: Any, name: str, lo: float | None = None, hi: float | None = None, *, integer: bool = False,
                 optional: bool = False, lo_open: bool = False) -> None:
    """A finite int/float (never a bool) within [lo, hi], or (lo, hi] with `lo_open`; None passes if `optional`."""
    value = getattr(owner, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ConfigError(name, f"expected {'an integer' if integer else 'a number'}, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(name, f"must be finite, got {value!r}")
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise ConfigError(name, f"must be {'>' if lo_open else '>='} {lo}, got {value!r}")
    if hi is not None and value > hi:
        raise ConfigError(name, f"must be <= {hi}, got {value!r}")


def check_flags(owner: Any, *names: str) -> None:
    for name in names:
        if not isinstance(getattr(owner, name), bool):
            raise ConfigError(name, f"expected true or false, got {getattr(owner, name)!r}")


def check_device(device: Any) -> None:
    if not isinstance(device, str) or not (
        device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())
    ):
        raise ConfigError("device", f"expected auto, cpu, cuda or cuda:N, got {device!r}")


class ConfigRecord:
    """JSON-object round trip for a frozen config dataclass; unknown keys are an error so a typo never goes
    unnoticed. Subclasses name their kind of field in `unknown_field_label`."""

    unknown_field_label = "unknown configuration field"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        if not isinstance(data, dict):
            raise ConfigError("config", f"expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(unknown[0], f"{cls.unknown_field_label} (known: {', '.join(sorted(known))})")
        return cls(**data)

    def replace(self: C, **changes: Any) -> C:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]
