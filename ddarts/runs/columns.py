"""Columnar float64 storage for the metric series of a run: appends are cheap and series are views."""

from __future__ import annotations

import numpy as np


class ColumnTable:
    """Growable columnar float64 storage: appends are amortised O(1) and series are views, not copies.

    Scalar columns are 1-D; per-cell columns are 2-D (rows x cells) and an empty tuple (e.g. `mc`
    with loss="fair") is stored as a row of NaN so every column keeps one row per record.
    """

    def __init__(self, scalars: tuple[str, ...], per_cell: tuple[str, ...], capacity: int = 256):
        self._scalars = scalars
        self._per_cell = per_cell
        self._capacity = capacity
        self._rows = 0
        self._width: int | None = None
        self._data: dict[str, np.ndarray] = {name: np.empty(capacity) for name in scalars}

    @property
    def names(self) -> tuple[str, ...]:
        return self._scalars + self._per_cell

    @property
    def width(self) -> int | None:
        """Number of cells of the per-cell columns (None until known)."""
        return self._width

    def set_width(self, width: int) -> None:
        if self._width is None:
            self._width = width
            for name in self._per_cell:
                self._data[name] = np.full((self._capacity, width), np.nan)
        elif width != self._width:
            raise ValueError(f"per-cell metrics have {width} cells, earlier records had {self._width}")

    def __len__(self) -> int:
        return self._rows

    def append(self, scalars: dict[str, float], per_cell: dict[str, tuple[float, ...]]) -> None:
        for name, values in per_cell.items():
            if values:
                self.set_width(len(values))
        if self._rows == self._capacity:
            self._grow()
        row = self._rows
        for name in self._scalars:
            self._data[name][row] = scalars[name]
        if self._width is not None:
            for name in self._per_cell:
                values = per_cell.get(name, ())
                if values and len(values) != self._width:
                    raise ValueError(f"{name} has {len(values)} cells, expected {self._width}")
                self._data[name][row] = values if values else np.nan
        self._rows += 1

    def _grow(self) -> None:
        self._capacity *= 2
        for name, array in self._data.items():
            grown = np.full((self._capacity,) + array.shape[1:], np.nan)
            grown[: self._rows] = array[: self._rows]
            self._data[name] = grown

    def truncate(self, keep: np.ndarray) -> None:
        """Keep only the rows where the boolean mask `keep` (length len(self)) is true."""
        kept = int(keep.sum())
        for name, array in self._data.items():
            array[:kept] = array[: self._rows][keep]
        self._rows = kept

    def series(self, name: str) -> np.ndarray:
        if name not in self._data and name in self._per_cell:
            return np.empty((self._rows, 0))  # no cell count known yet
        try:
            array = self._data[name]
        except KeyError:
            raise KeyError(f"unknown series {name!r}; known: {', '.join(self.names)}") from None
        view = array[: self._rows]
        view.flags.writeable = False
        return view
