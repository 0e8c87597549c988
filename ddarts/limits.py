"""Explicit bounds on what ddarts reads, checked before any work so hostile or broken input fails fast.

docs/reliability.md lists them. Each is far above any real use: the paper searches 5-8 cells and grows
networks to 14-20 layers; genotype files are a few kilobytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_CELLS = 100
"""Cells in a genotype (searched or derived) and in a run's records."""
MAX_LAYERS = 100
"""Layers a genotype may be derived or stacked to (`--layers`); counting a 100-layer network takes seconds."""
MAX_JSON_BYTES = 1_000_000
"""A genotype or configuration file; one metrics.jsonl record."""
MAX_JSON_DEPTH = 32
"""Nesting of arrays and objects in any JSON we read (a genotype needs 4)."""
MAX_NUMBER_DIGITS = 100
"""Digits of one number in any JSON we read."""

_LONG_NUMBER = re.compile(rb"\d{%d,}" % (MAX_NUMBER_DIGITS + 1))
_BRACKETS = re.compile(rb'[\[\]{}"\\]')


def _depth(data: bytes) -> int:
    """Deepest nesting of [ and { outside strings."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1  # position of the character a backslash escapes
    for match in _BRACKETS.finditer(data):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == b"\\":
                escaped_at = at + 1
            elif char == b'"':
                in_string = False
            continue
        if char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def loads_bounded(data: str | bytes, what: str = "") -> Any:
    """`json.loads` within the limits; ValueError with one line (prefixed by `what`) on anything else."""
    prefix = f"{what}: " if what else ""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_JSON_BYTES:
        raise ValueError(f"{prefix}more than the limit of {MAX_JSON_BYTES} bytes")
    if _LONG_NUMBER.search(raw):
        raise ValueError(f"{prefix}holds a number of more than {MAX_NUMBER_DIGITS} digits (the limit)")
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _depth(raw) > MAX_JSON_DEPTH:
        raise ValueError(f"{prefix}nested more than {MAX_JSON_DEPTH} levels deep (the limit)")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{prefix}invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except (RecursionError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{prefix}cannot be read: {exc}") from None
