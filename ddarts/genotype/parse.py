"""From continuous α to a discrete genotype, and statistics of how decided α is.

Rows of a cell's α follow `ddarts.space.ops.EDGES` (row r is the edge (to_node, from_node)), columns follow
`ddarts.space.ops.PRIMITIVES`. Ties always go to the lower index (earlier source node, earlier op), so the
same α parses to the same genotype on every machine.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ddarts.errors import GenotypeError
from ddarts.genotype.core import PARSE_METHODS, Edge, Genotype
from ddarts.space.ops import EDGES, PRIMITIVES

MIXINGS = ("sigmoid", "softmax")
N_EDGES = len(EDGES)
N_OPS = len(PRIMITIVES)
EDGES_KEPT_PER_NODE = 2
OPS_KEPT_PER_EDGE = 2


def _check_alphas(alphas: np.ndarray, shapes: str) -> np.ndarray:
    """`shapes` is "cell" (14x7), "cells" (n x 14 x 7) or "any" (either)."""
    try:
        array = np.asarray(alphas, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GenotypeError(f"alphas: not a numeric array ({exc})") from None
    ok = {
        "cell": array.shape == (N_EDGES, N_OPS),
        "cells": array.ndim == 3 and array.shape[1:] == (N_EDGES, N_OPS) and array.shape[0] > 0,
    }
    ok["any"] = ok["cell"] or ok["cells"]
    if not ok[shapes]:
        wanted = {"cell": f"({N_EDGES}, {N_OPS})", "cells": f"(cells, {N_EDGES}, {N_OPS})",
                  "any": f"({N_EDGES}, {N_OPS}) or (cells, {N_EDGES}, {N_OPS})"}[shapes]
        raise GenotypeError(f"alphas: expected shape {wanted}, got {tuple(array.shape)}")
    if not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise GenotypeError(f"alphas: non-finite value {array[bad]} at index {bad}")
    return array


def _check_mixing(mixing: str) -> None:
    if mixing not in MIXINGS:
        raise GenotypeError(f"mixing: {mixing!r} is not one of {', '.join(MIXINGS)}")


def _check_unit(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or not 0 <= value <= 1:
        raise GenotypeError(f"{name}: expected a number in [0, 1], got {value!r}")
    return float(value)


def op_weights(alphas: np.ndarray, mixing: str = "sigmoid") -> np.ndarray:
    """σ(α) per op (FairDARTS: ops do not compete), or softmax over a row's ops (DARTS)."""
    _check_mixing(mixing)
    a = np.asarray(alphas, dtype=np.float64)
    if mixing == "sigmoid":
        # 0.5 * (1 + tanh(a / 2)) is σ(a) without overflow for large |a|
        return 0.5 * (1.0 + np.tanh(0.5 * a))
    shifted = np.exp(a - a.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _ranked(values: np.ndarray) -> list[int]:
    """Indices by decreasing value, lower index first among equals."""
    return sorted(range(len(values)), key=lambda i: (-values[i], i))


def parse_cell(alpha: np.ndarray, method: str, threshold: float, mixing: str = "sigmoid") -> tuple[Edge, ...]:
    """One cell's edges by the public D-DARTS rules (`darts`, `sparse` or `edge`), sorted by (to, from, op)."""
    if method not in PARSE_METHODS:
        raise GenotypeError(f"method: {method!r} is not one of {', '.join(PARSE_METHODS)}")
    threshold = _check_unit("threshold", threshold)
    weights = op_weights(_check_alphas(alpha, "cell"), mixing)
    chosen: list[tuple[int, int, int]] = []  # (to, from, op column)
    if method == "edge":
        for row, (to, frm) in enumerate(EDGES):
            for col in _ranked(weights[row])[:OPS_KEPT_PER_EDGE]:
                if weights[row, col] >= threshold:
                    chosen.append((to, frm, col))
    else:
        best_col = [_ranked(weights[row])[0] for row in range(N_EDGES)]
        for node in sorted({to for to, _ in EDGES}):
            rows = [r for r, (to, _) in enumerate(EDGES) if to == node]
            rows.sort(key=lambda r: (-weights[r, best_col[r]], EDGES[r][1]))
            for row in rows[:EDGES_KEPT_PER_NODE]:
                if method == "darts" or weights[row, best_col[row]] >= threshold:
                    chosen.append((node, EDGES[row][1], best_col[row]))
    return tuple((PRIMITIVES[col], to, frm) for to, frm, col in sorted(chosen))


def parse_alphas(alphas: np.ndarray, method: str, threshold: float, reductions: Iterable[int],
                 mixing: str = "sigmoid", source: str | None = None) -> Genotype:
    """Every cell's genotype; a dead cell is kept as it is so callers can show it (see check_buildable)."""
    array = _check_alphas(alphas, "cells")
    cells = tuple(parse_cell(cell, method, threshold, mixing) for cell in array)
    return Genotype(cells=cells, reductions=tuple(reductions), method=method,
                    threshold=None if method == "darts" else _check_unit("threshold", threshold), source=source)


@dataclass(frozen=True)
class OpShares:
    """Fractions of α entries that are decided: above `high` (dominant) or below `low`."""

    dominant: float
    low: float
    dominant_per_cell: tuple[float, ...]
    low_per_cell: tuple[float, ...]


def op_shares(alphas: np.ndarray, mixing: str = "sigmoid", high: float = 0.9, low: float = 0.1) -> OpShares:
    high, low = _check_unit("high", high), _check_unit("low", low)
    if low > high:
        raise GenotypeError(f"low ({low}) must not exceed high ({high})")
    weights = op_weights(_check_alphas(alphas, "any"), mixing).reshape(-1, N_EDGES, N_OPS)
    above = (weights > high).mean(axis=(1, 2))
    below = (weights < low).mean(axis=(1, 2))
    return OpShares(
        dominant=float((weights > high).mean()),
        low=float((weights < low).mean()),
        dominant_per_cell=tuple(float(v) for v in above),
        low_per_cell=tuple(float(v) for v in below),
    )


def weight_histogram(alphas: np.ndarray, bins: int = 20, mixing: str = "sigmoid") -> tuple[np.ndarray, np.ndarray]:
    """Counts of op weights in `bins` equal bins over [0, 1], and the bin edges."""
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 10_000:
        raise GenotypeError(f"bins: expected an integer in 1..10000, got {bins!r}")
    weights = op_weights(_check_alphas(alphas, "any"), mixing)
    counts, edges = np.histogram(weights.ravel(), bins=bins, range=(0.0, 1.0))
    return counts, edges
