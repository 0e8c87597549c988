"""Progress of dataset preparation, reported by loaders and passed on unchanged by search and training."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetProgress:
    """Dataset preparation (download, extraction, loading); total is 0 when unknown."""

    dataset: str
    stage: str  # "download", "extract", "load", "ready"
    done: int
    total: int
    message: str = ""
