"""Events a search yields: frozen, picklable, Qt-free, carrying only numbers and numpy arrays.

The same events feed the run-folder writer, the GUI (through a Qt adapter) and `RunState`;
`event_to_record`/`record_to_event` map them to and from the JSON lines of metrics.jsonl.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin, get_type_hints

import numpy as np

from ddarts.data.progress import DatasetProgress
from ddarts.genotype.core import Genotype
from ddarts.limits import MAX_CELLS


@dataclass(frozen=True)
class RunStarted:
    run_dir: str | None
    config: dict[str, Any]
    device: str
    n_cells: int
    reductions: tuple[int, ...]
    primitives: tuple[str, ...]
    steps_per_epoch: int
    total_steps: int
    start_epoch: int  # 0-based epoch the run (re)starts in
    start_step: int  # global steps already done (non-zero on resume)
    resumed: bool = False
    world_size: int = 1  # processes sharing each batch (torchrun); 1 for a single device


@dataclass(frozen=True)
class StepMetrics:
    epoch: int  # 0-based
    step: int  # global step, 1-based count of finished steps
    step_in_epoch: int  # 1-based
    steps_per_epoch: int
    total_steps: int
    train_loss: float  # L_CE of the weight step (train split)
    train_acc: float
    val_loss: float  # L_CE of the α step (α split)
    val_acc: float
    l01: tuple[float, ...]  # per cell
    mc: tuple[float, ...]  # per cell marginal contribution; empty with loss="fair"
    l_ab: tuple[float, ...]  # per cell; empty with loss="fair"
    l_t: tuple[float, ...]  # per cell total loss L_T^i (L_F^i with loss="fair")
    lr: float
    arch_lr: float
    elapsed_s: float
    steps_per_s: float
    eta_s: float


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 0-based; the files are named with epoch + 1
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    dominant_share: float  # σ(α) > 0.9 over all cells
    low_share: float  # σ(α) < 0.1 over all cells
    dominant_share_per_cell: tuple[float, ...]
    low_share_per_cell: tuple[float, ...]
    mc: tuple[float, ...]  # epoch means per cell; empty with loss="fair"
    l_ab: tuple[float, ...]
    elapsed_s: float


@dataclass(frozen=True, eq=False)
class AlphaSnapshot:
    epoch: int  # 0-based; taken after the epoch's last step
    step: int
    alphas: np.ndarray  # raw α, float32, cells × 14 × 7
    mixing: str  # "sigmoid" or "softmax": how α turns into op weights


@dataclass(frozen=True, eq=False)
class AlphaLive:
    """A light α snapshot between epoch ends, so views can follow α within an epoch (every
    `alpha_live_steps` steps or `alpha_live_s` seconds). Kept in the run folder only with `alpha_live_record`."""

    epoch: int  # 0-based epoch in progress
    step: int  # global steps done when it was taken
    alphas: np.ndarray  # raw α, float32, cells × 14 × 7
    mixing: str


@dataclass(frozen=True)
class GenotypeParsed:
    epoch: int  # 0-based; -1 for the final parse
    method: str
    threshold: float
    genotype: Genotype


@dataclass(frozen=True)
class CheckpointSaved:
    epoch: int
    step: int
    path: str


@dataclass(frozen=True)
class StateChanged:
    state: str  # "running", "paused", "stopping"


@dataclass(frozen=True)
class Stopped:
    """Stopped on request; the checkpoint resumes the run."""

    epoch: int
    step: int
    checkpoint: str | None


@dataclass(frozen=True)
class Finished:
    epoch: int
    step: int
    elapsed_s: float
    genotypes: dict[str, Genotype]  # final parse per method


@dataclass(frozen=True)
class Failed:
    message: str
    kind: str  # "oom", "data", "config", "error"
    traceback: str
    checkpoint: str | None  # last checkpoint, resumable


Event = Union[
    RunStarted, DatasetProgress, StepMetrics, EpochMetrics, AlphaSnapshot, AlphaLive, GenotypeParsed,
    CheckpointSaved, StateChanged, Stopped, Finished, Failed,
]

EVENT_TYPES: dict[str, type] = {
    "start": RunStarted,
    "dataset": DatasetProgress,
    "step": StepMetrics,
    "epoch": EpochMetrics,
    "alpha": AlphaSnapshot,
    "alpha_live": AlphaLive,
    "genotype": GenotypeParsed,
    "checkpoint": CheckpointSaved,
    "state": StateChanged,
    "stopped": Stopped,
    "finished": Finished,
    "failed": Failed,
}
TYPE_NAMES: dict[type, str] = {cls: name for name, cls in EVENT_TYPES.items()}


def event_to_record(event: Event) -> dict[str, Any]:
    """A JSON-ready dict with a "type" key; arrays become lists, genotypes their JSON form."""
    record: dict[str, Any] = {"type": TYPE_NAMES[type(event)]}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, Genotype):
            value = value.to_json()
        elif isinstance(value, dict) and value and all(isinstance(v, Genotype) for v in value.values()):
            value = {k: v.to_json() for k, v in value.items()}
        elif isinstance(value, tuple):
            value = list(value)
        record[f.name] = value
    return record


MAX_TEXT = 100_000
"""Longest string a record field may hold (a failure's traceback is the longest real one)."""
MAX_INT = 2**53


def _decode(value: Any, hint: Any, name: str) -> Any:
    """`value` from JSON checked against the field's type hint; ValueError names the field."""
    if hint is Any:
        return value
    origin, args = get_origin(hint), get_args(hint)
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _decode(value, inner, name)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: expected true or false, got {value!r:.60}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT:
            raise ValueError(f"{name}: expected an integer, got {value!r:.60}")
        return value
    if hint is float:
        if value is None:  # strict JSON stores NaN and infinities as null
            return float("nan")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name}: expected a number, got {value!r:.60}")
        return float(value)
    if hint is str:
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValueError(f"{name}: expected a string, got {type(value).__name__}")
        return value
    if origin is tuple:
        if not isinstance(value, list) or len(value) > MAX_CELLS * 10:
            raise ValueError(f"{name}: expected a list")
        return tuple(_decode(v, args[0], name) for v in value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{name}: expected an object")
        return value
    raise ValueError(f"{name}: no decoder for {hint}")


@functools.cache
def _field_hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def record_to_event(record: dict[str, Any]) -> Event:
    """Inverse of `event_to_record`; raises ValueError on an unknown or malformed record (wrong types too)."""
    try:
        cls = EVENT_TYPES[record["type"]]
    except (KeyError, TypeError):
        raise ValueError(f"unknown event record: {str(record)[:200]}") from None
    hints = _field_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in record:
            if f.default is not dataclasses.MISSING:
                continue
            raise ValueError(f"event record of type {record['type']!r} lacks field {f.name!r}")
        value = record[f.name]
        if f.name == "alphas":
            value = np.asarray(value, dtype=np.float32)
        elif f.name == "genotype":
            value = Genotype.from_json(value, require_buildable=False)
        elif f.name == "genotypes":
            if not isinstance(value, dict):
                raise ValueError("genotypes: expected an object")
            value = {str(k): Genotype.from_json(v, require_buildable=False) for k, v in value.items()}
        else:
            value = _decode(value, hints[f.name], f.name)
        kwargs[f.name] = value
    return cls(**kwargs)
