"""Reading genotype files: our JSON or the reference code's text formats, recognised by their first character.

Kept apart from `core` because the legacy reader builds core's classes: core stays the bottom of the package.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ddarts.atomic import describe_kind
from ddarts.errors import GenotypeError
from ddarts.limits import loads_bounded
from ddarts.genotype.core import MAX_FILE_BYTES, DartsGenotype, Genotype
from ddarts.genotype.legacy import parse_legacy_text


def parse_legacy(text: str) -> Genotype | DartsGenotype:
    """Read the text formats of the DARTS and D-DARTS reference code without evaluating them."""
    return parse_legacy_text(text)


def load_genotype(path: str | os.PathLike, require_buildable: bool = True) -> Genotype | DartsGenotype:
    """Our JSON (recognised by its leading '{') or a legacy text file; errors name the file."""
    file = Path(path)
    kind = describe_kind(file)
    if kind is not None:
        raise GenotypeError(f"{file} is {kind}, not a genotype file")
    if not file.exists():
        raise GenotypeError(f"{file}: no such genotype file")
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise GenotypeError(f"{file}: {size} bytes is too large for a genotype file (limit {MAX_FILE_BYTES})")
        with open(file, "rb") as handle:  # read at most the limit: the file may grow after the check
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise GenotypeError(f"{file}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise GenotypeError(f"{file}: too large for a genotype file (limit {MAX_FILE_BYTES} bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GenotypeError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        if text.lstrip().startswith("{"):
            try:
                data = loads_bounded(text)
            except ValueError as exc:
                raise GenotypeError(str(exc)) from None
            genotype: Genotype | DartsGenotype = Genotype.from_json(data, require_buildable=False)
        else:
            genotype = parse_legacy(text)
        if genotype.source is None:
            genotype = replace(genotype, source=str(file))
        if require_buildable:
            genotype.check_buildable()
    except GenotypeError as exc:
        raise GenotypeError(f"{file}: {exc}") from None
    return genotype
