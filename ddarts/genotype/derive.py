"""Algorithm 1 of the D-DARTS paper (§4.3): a deeper network from the cells of a shallower search.

The searched network has its reduction cells at m = |C| div 3 and m2 = 2|C| div 3. The derived network
keeps that layout at n div 3 and 2n div 3 and fills the three stretches between them by cycling through
the searched normal cells of the matching stretch. See docs/derive.md for the inputs the paper leaves
undefined and how we answer them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ddarts.errors import GenotypeError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.limits import MAX_LAYERS
from ddarts.space.ops import reduction_positions

MIN_LAYERS = 3
MIN_SEARCHED_FOR_GROWTH = 5


class DeriveError(GenotypeError):
    """A derivation the paper's Algorithm 1 does not define (too few cells, too few layers, odd layout)."""


def _check_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeriveError(f"{name}: expected an integer, got {value!r}")
    return value


def _segment_plan(n_searched: int, n: int, r1: int, r2: int) -> list[int]:
    """The pseudo-code's loop with the searched reductions at r1 and r2 (the paper uses m and m2)."""
    cells = []
    for i in range(n):
        if i < n // 3:
            c = i % r1
        elif i == n // 3:
            c = r1
        elif i < 2 * n // 3:
            c = i % (r2 - 1 - r1) + r1 + 1
        elif i == 2 * n // 3:
            c = r2
        else:
            c = i % (n_searched - 1 - r2) + r2 + 1
        cells.append(c)
    return cells


def _check_sizes(n_searched: int, n: int) -> None:
    _check_int(n_searched, "searched cells")
    _check_int(n, "layers")
    if n_searched < 1:
        raise DeriveError(f"searched cells: {n_searched} is not a cell count")
    if n < MIN_LAYERS:
        raise DeriveError(f"layers: {n} is too few; a network needs at least {MIN_LAYERS} cells "
                          "(two reduction cells and a normal cell before them)")
    if n < n_searched:
        raise DeriveError(
            f"layers: {n} is fewer than the {n_searched} searched cells; Algorithm 1 would keep the first {n} "
            "cells and lose the reduction layout, so only n >= the searched cell count is supported"
        )


def algorithm1(n_searched: int, n: int) -> list[int]:
    """Searched-cell index for each of the n positions of the derived network (paper §4.3).

    n == n_searched returns the cells unchanged; n < n_searched, n < 3, and growing from fewer than 5
    searched cells (a modulus of the pseudo-code is zero there) raise DeriveError.
    """
    _check_sizes(n_searched, n)
    if n == n_searched:
        return list(range(n))
    if n_searched < MIN_SEARCHED_FOR_GROWTH:
        m, m2 = reduction_positions(n_searched)
        raise DeriveError(
            f"searched cells: Algorithm 1 needs at least {MIN_SEARCHED_FOR_GROWTH} searched cells to grow a "
            f"network (with {n_searched}, the reductions at {m} and {m2} leave a stretch without normal cells "
            "and the pseudo-code divides by zero)"
        )
    m, m2 = reduction_positions(n_searched)
    return _segment_plan(n_searched, n, m, m2)


def derivation_plan(n_searched: int, n: int, reductions: tuple[int, ...] | list[int] | None = None) -> list[int]:
    """Algorithm 1 with the searched reduction cells wherever the genotype says they are.

    With the standard reductions (n_searched div 3, 2 n_searched div 3) this is exactly `algorithm1`.
    Other positions (legacy D-DARTS files state [2, 6] for 8 cells) take the paper's place of m and m2:
    the stretches before, between and after them are cycled the same way.
    """
    _check_sizes(n_searched, n)
    if reductions is None:
        return algorithm1(n_searched, n)
    reductions = tuple(sorted(reductions))
    if n == n_searched:
        return list(range(n))
    if len(reductions) != 2:
        raise DeriveError(
            f"reductions: Algorithm 1 needs exactly two searched reduction cells, the genotype states "
            f"{list(reductions)}"
        )
    r1, r2 = reductions
    if tuple(reductions) == reduction_positions(n_searched):
        return algorithm1(n_searched, n)
    if r1 < 1 or r2 - r1 < 2 or r2 > n_searched - 2:
        raise DeriveError(
            f"reductions: {list(reductions)} of {n_searched} cells leave no normal cell before, between or "
            "after the reduction cells, so there is nothing to repeat there"
        )
    return _segment_plan(n_searched, n, r1, r2)


@dataclass(frozen=True)
class Derivation:
    """A derived genotype and, for each of its positions, the searched cell that fills it."""

    genotype: Genotype
    plan: tuple[int, ...]
    searched_reductions: tuple[int, ...]
    stacked: bool = False
    """True for a DARTS-format pair: plan entries are 0 (the normal cell) and 1 (the reduce cell)."""

    def describe(self) -> str:
        """One line per position, reductions marked, for the CLI and the GUI."""
        n = len(self.plan)
        derived = ", ".join(map(str, self.genotype.reductions)) or "none"
        if self.stacked:
            lines = [f"{n} layers stacked from a DARTS-format normal/reduce pair (reductions at {derived})"]
        else:
            lines = [f"{n} layers from {len(set(self.plan))} distinct searched cells "
                     f"(searched reductions at {', '.join(map(str, self.searched_reductions)) or 'none'}; "
                     f"derived reductions at {derived})"]
        for position, cell in enumerate(self.plan):
            mark = "  reduction" if self.genotype.is_reduction(position) else ""
            name = ("reduce cell" if cell else "normal cell") if self.stacked else f"searched cell {cell}"
            lines.append(f"  position {position:2d} <- {name}{mark}")
        return "\n".join(lines)


def derive(genotype: Genotype | DartsGenotype, layers: int) -> Derivation:
    """Derive `layers` cells; a DARTS-format pair is stacked instead (its plan alternates 0 normal, 1 reduce)."""
    _check_int(layers, "layers")
    if layers > MAX_LAYERS:
        raise DeriveError(f"layers: {layers} is more than the limit of {MAX_LAYERS}")
    if isinstance(genotype, DartsGenotype):
        if layers < MIN_LAYERS:
            raise DeriveError(f"layers: {layers} is too few; a network needs at least {MIN_LAYERS} cells")
        stacked = genotype.stack(layers)
        plan = tuple(1 if stacked.is_reduction(i) else 0 for i in range(layers))
        return Derivation(genotype=stacked, plan=plan, searched_reductions=(), stacked=True)
    if not isinstance(genotype, Genotype):
        raise DeriveError(f"expected a Genotype or DartsGenotype, got {type(genotype).__name__}")
    plan = tuple(derivation_plan(genotype.n_cells, layers, genotype.reductions))
    if layers == genotype.n_cells:
        return Derivation(genotype=genotype, plan=plan, searched_reductions=genotype.reductions)
    derived = replace(
        genotype,
        cells=tuple(genotype.cells[c] for c in plan),
        reductions=reduction_positions(layers),
    )
    return Derivation(genotype=derived, plan=plan, searched_reductions=genotype.reductions)


def derive_genotype(genotype: Genotype | DartsGenotype, layers: int) -> Genotype:
    """The derived genotype of `derive`: reductions at layers div 3 and 2 layers div 3."""
    return derive(genotype, layers).genotype
