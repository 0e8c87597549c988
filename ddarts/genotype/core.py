"""Genotypes: the discrete architecture a search produces, one edge list per searched cell.

A D-DARTS search gives every cell its own α, so a genotype holds one edge list per cell instead of
DARTS' single normal/reduce pair. Both kinds are immutable and validated on construction, so a
genotype that exists is structurally sound; buildability (every cell has a live node) is checked
separately because a search in progress can legitimately produce a dead cell.
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ddarts.atomic import write_json
from ddarts.errors import GenotypeError
from ddarts.limits import MAX_CELLS, MAX_LAYERS
from ddarts.space.ops import N_NODES, OPS

Edge = tuple[str, int, int]
"""(op, to_node, from_node); nodes 0, 1 are the cell inputs, 2..5 the intermediate nodes."""

FORMAT_VERSION = 1
PARSE_METHODS = ("darts", "sparse", "edge")
FIRST_NODE = 2
LAST_NODE = FIRST_NODE + N_NODES - 1
DEFAULT_CONCAT = tuple(range(FIRST_NODE, LAST_NODE + 1))
MAX_FILE_BYTES = 1_000_000
_JSON_KEYS = ("format_version", "cells", "reductions", "concat", "method", "threshold", "source")


def _is_int(value: Any) -> bool:
    """Integers, numpy's included (α-derived indices often are), but not booleans."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_sequence(value: Any, what: str) -> tuple:
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return tuple(value)
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple, range)):
        raise GenotypeError(f"{what}: expected a list, got {type(value).__name__} {value!r:.60}")
    return tuple(value)


def normalize_edges(edges: Any, where: str) -> tuple[Edge, ...]:
    """Check one cell's edges and return them as tuples; `where` prefixes every message."""
    result: list[Edge] = []
    seen: set[Edge] = set()
    for k, edge in enumerate(_as_sequence(edges, where)):
        at = f"{where}, edge {k}"
        edge = _as_sequence(edge, at)
        if len(edge) != 3:
            raise GenotypeError(f"{at}: expected (op, to_node, from_node), got {list(edge)!r}")
        op, to, frm = edge
        if not isinstance(op, str) or op not in OPS:
            raise GenotypeError(f"{at}: unknown operation {op!r}; known operations: {', '.join(sorted(OPS))}")
        for name, node in (("to_node", to), ("from_node", frm)):
            if not _is_int(node):
                raise GenotypeError(f"{at} {list(edge)!r}: {name} must be an integer, got {node!r}")
        if not FIRST_NODE <= to <= LAST_NODE:
            raise GenotypeError(f"{at} {list(edge)!r}: to_node {to} out of range {FIRST_NODE}..{LAST_NODE}")
        if not 0 <= frm <= LAST_NODE:
            raise GenotypeError(f"{at} {list(edge)!r}: from_node {frm} out of range 0..{LAST_NODE}")
        if frm >= to:
            raise GenotypeError(f"{at} {list(edge)!r}: from_node {frm} >= to_node {to} (a back edge makes a cycle)")
        to, frm = int(to), int(frm)
        if (op, to, frm) in seen:
            raise GenotypeError(f"{at} {list(edge)!r}: duplicate edge (same op, to_node and from_node)")
        seen.add((op, to, frm))
        result.append((op, to, frm))
    return tuple(result)


def normalize_concat(concat: Any, what: str) -> tuple[int, ...]:
    values = _as_sequence(concat, what)
    if not values:
        raise GenotypeError(f"{what}: must name at least one intermediate node")
    for node in values:
        if not _is_int(node) or not FIRST_NODE <= node <= LAST_NODE:
            raise GenotypeError(f"{what}: {node!r} is not an intermediate node ({FIRST_NODE}..{LAST_NODE})")
    values = tuple(int(v) for v in values)
    if len(set(values)) != len(values):
        raise GenotypeError(f"{what}: duplicated node in {list(values)!r}")
    return tuple(sorted(values))


def live_nodes_of(edges: Iterable[Edge]) -> tuple[int, ...]:
    """Intermediate nodes reached from the inputs; from_node < to_node, so one pass in node order suffices."""
    edges = tuple(edges)
    live = {0, 1}
    for node in range(FIRST_NODE, LAST_NODE + 1):
        if any(to == node and frm in live for _, to, frm in edges):
            live.add(node)
    return tuple(sorted(live - {0, 1}))


def live_edges_of(edges: Iterable[Edge]) -> tuple[Edge, ...]:
    edges = tuple(edges)
    live = {0, 1, *live_nodes_of(edges)}
    return tuple(e for e in edges if e[1] in live and e[2] in live)


def describe_cell(edges: tuple[Edge, ...], concat: tuple[int, ...]) -> list[str]:
    """Lines listing each node's inputs, marking dead nodes and dropped edges."""
    live = live_nodes_of(edges)
    kept = live_edges_of(edges)
    lines = []
    for node in range(FIRST_NODE, LAST_NODE + 1):
        inputs = ", ".join(f"{op}({frm})" for op, to, frm in edges if to == node and (op, to, frm) in kept)
        dropped = [f"{op}({frm})" for op, to, frm in edges if to == node and (op, to, frm) not in kept]
        state = "" if node in live else "  [dead]"
        extra = f"  (dropped, dead input: {', '.join(dropped)})" if dropped else ""
        out = "" if node in concat else "  [not in output]"
        lines.append(f"  node {node} <- {inputs or '-'}{extra}{state}{out}")
    return lines


@dataclass(frozen=True)
class Genotype:
    """One edge list per cell of the searched network, plus where its reduction cells sit."""

    cells: tuple[tuple[Edge, ...], ...]
    reductions: tuple[int, ...]
    concat: tuple[int, ...] = DEFAULT_CONCAT
    method: str | None = None
    threshold: float | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        cells = _as_sequence(self.cells, "cells")
        if not cells:
            raise GenotypeError("cells: a genotype needs at least one cell")
        cells = tuple(normalize_edges(edges, f"cell {i}") for i, edges in enumerate(cells))
        reductions = _as_sequence(self.reductions, "reductions")
        for r in reductions:
            if not _is_int(r) or not 0 <= r < len(cells):
                raise GenotypeError(f"reductions: {r!r} is not a cell index (0..{len(cells) - 1})")
        reductions = tuple(int(r) for r in reductions)
        if len(set(reductions)) != len(reductions):
            raise GenotypeError(f"reductions: duplicated cell index in {list(reductions)!r}")
        if self.method is not None and self.method not in PARSE_METHODS:
            raise GenotypeError(f"method: {self.method!r} is not one of {', '.join(PARSE_METHODS)}")
        threshold = self.threshold
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0 <= threshold <= 1:
                raise GenotypeError(f"threshold: expected a number in [0, 1], got {threshold!r}")
            threshold = float(threshold)
        if self.source is not None and not isinstance(self.source, str):
            raise GenotypeError(f"source: expected text, got {type(self.source).__name__}")
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "reductions", tuple(sorted(reductions)))
        object.__setattr__(self, "concat", normalize_concat(self.concat, "concat"))
        object.__setattr__(self, "threshold", threshold)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    def is_reduction(self, i: int) -> bool:
        return i in self.reductions

    def live_nodes(self, i: int) -> tuple[int, ...]:
        return live_nodes_of(self.cells[i])

    def live_edges(self, i: int) -> tuple[Edge, ...]:
        return live_edges_of(self.cells[i])

    def check_buildable(self) -> None:
        """A cell whose output nodes are all dead has no output tensor, so no network can be built."""
        bad = [i for i in range(self.n_cells) if not set(self.live_nodes(i)) & set(self.concat)]
        if bad:
            kinds = ", ".join(f"{i} ({'reduction' if self.is_reduction(i) else 'normal'})" for i in bad)
            raise GenotypeError(
                f"not buildable: no live output node in cell(s) {kinds}; "
                "every intermediate node lacks an op from a live input"
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "cells": [[list(edge) for edge in cell] for cell in self.cells],
            "reductions": list(self.reductions),
            "concat": list(self.concat),
            "method": self.method,
            "threshold": self.threshold,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict, require_buildable: bool = True) -> "Genotype":
        if not isinstance(data, dict):
            raise GenotypeError(f"expected a JSON object, got {type(data).__name__}")
        version = data.get("format_version")
        if "format_version" not in data:
            raise GenotypeError("format_version: missing (not a ddarts genotype file?)")
        if not _is_int(version) or version != FORMAT_VERSION:
            raise GenotypeError(f"format_version: {version!r} is not supported (this version reads {FORMAT_VERSION})")
        unknown = sorted(set(data) - set(_JSON_KEYS))
        if unknown:
            raise GenotypeError(f"{unknown[0]}: unknown field (known: {', '.join(_JSON_KEYS)})")
        for key in ("cells", "reductions"):
            if key not in data:
                raise GenotypeError(f"{key}: missing")
        if isinstance(data["cells"], list) and len(data["cells"]) > MAX_CELLS:
            raise GenotypeError(f"cells: {len(data['cells'])} cells is more than the limit of {MAX_CELLS}")
        genotype = cls(
            cells=data["cells"],
            reductions=data["reductions"],
            concat=data.get("concat", DEFAULT_CONCAT),
            method=data.get("method"),
            threshold=data.get("threshold"),
            source=data.get("source"),
        )
        if require_buildable:
            genotype.check_buildable()
        return genotype

    def save(self, path: str | os.PathLike) -> None:
        write_json(path, self.to_json())

    def summary(self) -> str:
        reductions = ", ".join(map(str, self.reductions)) or "none"
        lines = [f"{self.n_cells} cells, reductions at {reductions}; output concatenates nodes "
                 f"{', '.join(map(str, self.concat))}"]
        if self.method is not None:
            threshold = "" if self.threshold is None else f", threshold {self.threshold:g}"
            lines.append(f"parse method: {self.method}{threshold}")
        if self.source:
            lines.append(f"source: {self.source}")
        for i, cell in enumerate(self.cells):
            kind = "reduction" if self.is_reduction(i) else "normal"
            live = ", ".join(map(str, self.live_nodes(i))) or "none"
            lines.append(f"cell {i} ({kind}): {len(self.live_edges(i))} ops, live nodes {live}")
            lines.extend(describe_cell(cell, self.concat))
        return "\n".join(lines)


@dataclass(frozen=True)
class DartsGenotype:
    """DARTS' single normal/reduce cell pair, stacked to any depth when a network is built."""

    normal: tuple[Edge, ...]
    reduce: tuple[Edge, ...]
    normal_concat: tuple[int, ...] = DEFAULT_CONCAT
    reduce_concat: tuple[int, ...] = DEFAULT_CONCAT
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal", normalize_edges(self.normal, "normal cell"))
        object.__setattr__(self, "reduce", normalize_edges(self.reduce, "reduce cell"))
        object.__setattr__(self, "normal_concat", normalize_concat(self.normal_concat, "normal_concat"))
        object.__setattr__(self, "reduce_concat", normalize_concat(self.reduce_concat, "reduce_concat"))
        if self.source is not None and not isinstance(self.source, str):
            raise GenotypeError(f"source: expected text, got {type(self.source).__name__}")

    def check_buildable(self) -> None:
        bad = [name for name, edges, concat in (("normal", self.normal, self.normal_concat),
                                                ("reduce", self.reduce, self.reduce_concat))
               if not set(live_nodes_of(edges)) & set(concat)]
        if bad:
            raise GenotypeError(f"not buildable: no live output node in the {' and '.join(bad)} cell")

    def stack(self, layers: int) -> Genotype:
        """Repeat the pair DARTS-style: reductions at layers//3 and 2*layers//3, normal cells elsewhere."""
        if not _is_int(layers) or layers < 3:
            raise GenotypeError(f"layers: a stacked network needs an integer >= 3, got {layers!r}")
        if layers > MAX_LAYERS:
            raise GenotypeError(f"layers: {layers} is more than the limit of {MAX_LAYERS}")
        if self.normal_concat != self.reduce_concat:
            raise GenotypeError(
                f"normal_concat {list(self.normal_concat)} differs from reduce_concat {list(self.reduce_concat)}; "
                "a stacked genotype uses one concat for every cell"
            )
        reductions = (layers // 3, 2 * layers // 3)
        cells = tuple(self.reduce if i in reductions else self.normal for i in range(layers))
        return Genotype(cells=cells, reductions=reductions, concat=self.normal_concat, source=self.source)

    def summary(self) -> str:
        lines = ["DARTS-format genotype: one normal and one reduce cell, repeated to any depth"]
        if self.source:
            lines.append(f"source: {self.source}")
        for name, edges, concat in (("normal", self.normal, self.normal_concat),
                                    ("reduce", self.reduce, self.reduce_concat)):
            live = ", ".join(map(str, live_nodes_of(edges))) or "none"
            lines.append(f"{name} cell: {len(live_edges_of(edges))} ops, live nodes {live}, "
                         f"output concatenates nodes {', '.join(map(str, concat))}")
            lines.extend(describe_cell(edges, concat))
        return "\n".join(lines)


def as_genotype(g: Genotype | DartsGenotype, layers: int | None = None) -> Genotype:
    """A per-cell Genotype; a DARTS pair is stacked to `layers` (default 20, the CIFAR depth)."""
    if isinstance(g, DartsGenotype):
        return g.stack(20 if layers is None else layers)
    if isinstance(g, Genotype):
        if layers is not None and layers != g.n_cells:
            raise GenotypeError(
                f"layers: this genotype has {g.n_cells} searched cells; use derive_genotype to build {layers} "
                "layers from it (stacking only applies to DARTS-format genotypes)"
            )
        return g
    raise GenotypeError(f"expected a Genotype or DartsGenotype, got {type(g).__name__}")
