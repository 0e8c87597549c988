"""The one answer to "which genotype for this epoch, parse method and threshold" that every view asks.

α snapshots are parsed with the chosen method; where a run folder holds no α for an epoch, the
genotypes the engine stored are used instead, and once a search has finished its final genotypes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ddarts.genotype.core import PARSE_METHODS, Genotype
from ddarts.genotype.parse import parse_alphas
from ddarts.search.config import SearchConfig

DEFAULT_PARSE_METHOD: str = SearchConfig.parse  # a run without a config is parsed as a search would be
DEFAULT_THRESHOLD: float = SearchConfig.threshold
Origin = Literal["live", "alpha", "stored", "final"]


@dataclass(frozen=True)
class GenotypeChoice:
    """A genotype and where it came from, so a view can say what it shows."""

    genotype: Genotype
    epoch: int | None  # 0-based epoch of the α (in progress for live α) or stored genotype; None for a final one
    origin: Origin  # "live": α reported between epoch ends; "alpha": α at an epoch end
    method: str  # the parse method the genotype was made with (a stored one may differ from the asked)
    threshold: float | None  # None for a stored or final genotype (its own threshold is on the genotype)
    step: int | None = None  # global step of live α


def parse_settings(config: dict | None, method: str | None = None,
                   threshold: float | None = None) -> tuple[str, float]:
    """The asked method and threshold, else the run's own, else the search defaults."""
    config = config or {}
    method = method or config.get("parse") or DEFAULT_PARSE_METHOD
    if method not in PARSE_METHODS:
        method = DEFAULT_PARSE_METHOD
    if threshold is None:
        threshold = config.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        threshold = DEFAULT_THRESHOLD
    return method, float(threshold)


def pick_stored(stored: dict[str, Genotype], method: str) -> tuple[str, Genotype] | None:
    """The stored genotype of `method`, else the one whose method sorts first."""
    if not stored:
        return None
    chosen = method if method in stored else sorted(stored)[0]
    return chosen, stored[chosen]


@dataclass(frozen=True)
class ParseJob:
    """One parse of an α array, self-contained so that another thread can run it: the α array is read-only
    and the state that made the job only takes the result back while that array is still the one it shows."""

    key: tuple  # (epoch, or -1 - step for live α; method; rounded threshold): the state's cache key
    alphas: np.ndarray
    method: str
    threshold: float
    reductions: tuple[int, ...]
    mixing: str

    def run(self) -> Genotype:
        return parse_alphas(self.alphas, self.method, self.threshold, self.reductions, mixing=self.mixing)
