"""Validation, (de)serialisation and field metadata shared by the search and training configurations.

Both are frozen dataclasses checked field by field before any work starts; these helpers keep their error
messages identical (`field: what is wrong, got value`). Each field's help, label, group, choices and range
are written once, as a `FieldMeta`, and read by the validation, the command-line options and the GUI form.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from ddarts.errors import DdartsError

C = TypeVar("C", bound="ConfigRecord")

AMP_DTYPES = ("bfloat16", "float16")
STEMS = ("auto", "cifar", "imagenet")
STEM_HELP = ("network stem: cifar keeps the resolution, imagenet divides it by 8; auto picks cifar below 64 px "
             "and imagenet from 64 px on (and for --dataset imagenet)")
DETERMINISTIC_HELP = ("deterministic algorithms and cuDNN settings, so a rerun on the same machine gives the same "
                      "numbers (slower on GPUs; see docs/determinism.md)")


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


@dataclass(frozen=True)
class FieldMeta:
    """What a person and a parser need to know of one config field; the range is also its validation."""

    help: str
    label: str
    group: str
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()  # one per choice, for forms; empty: the values themselves
    lo: float | None = None
    hi: float | None = None
    integer: bool = False
    optional: bool = False  # None is allowed (and means "automatic" or "no cap")
    lo_open: bool = False
    flag: str | None = None  # the option name when it is not --field-name
    aliases: tuple[str, ...] = ()  # old option spellings, still accepted with a deprecation note
    metavar: str | None = None
    default_text: str = ""  # how help states the default when the field's own default does not say it

    @property
    def is_number(self) -> bool:
        return self.lo is not None or self.hi is not None or self.integer

    def option(self, name: str) -> str:
        return self.flag or "--" + name.replace("_", "-")

    def label_of(self, choice: str) -> str:
        if self.choice_labels and choice in self.choices:
            return self.choice_labels[self.choices.index(choice)]
        return choice


def check_fields(owner: Any, metas: dict[str, FieldMeta]) -> None:
    """Check every field's choices and numeric range as its metadata states them."""
    for name, meta in metas.items():
        if meta.choices:
            check_choice(owner, name, meta.choices)
        elif meta.is_number:
            check_number(owner, name, meta.lo, meta.hi, integer=meta.integer, optional=meta.optional,
                         lo_open=meta.lo_open)


def missing_metadata(cls: type, metas: dict[str, FieldMeta]) -> list[str]:
    """Fields of `cls` without metadata (a test keeps this empty, so no option or form row is forgotten)."""
    return [f.name for f in fields(cls) if f.name not in metas]  # type: ignore[arg-type]


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
