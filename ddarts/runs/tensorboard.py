"""TensorBoard event files from search and training events, live or from an existing run folder.

`metrics.jsonl` stays the source of truth; this is one more consumer of the same event stream. `scalars` is
shared with the CSV export of `ddarts metrics`, so both carry the same tags and values.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ddarts.errors import RunFolderError
from ddarts.runs.reader import RunReader
from ddarts.runtime.folders import METRICS_FILE, read_header
from ddarts.search.events import AlphaSnapshot, EpochMetrics, StepMetrics
from ddarts.train.events import TrainEpoch, TrainStep

Scalar = tuple[str, int, float]


def _per_cell(prefix: str, values: tuple[float, ...], step: int) -> list[Scalar]:
    return [(f"{prefix}/cell_{i}", step, float(v)) for i, v in enumerate(values)]


def scalars(event: Any) -> list[Scalar]:
    """(tag, step, value) triples of one event; step-level tags use the global step, epoch-level ones epoch + 1."""
    if isinstance(event, StepMetrics):
        s = event.step
        return [("search/train_loss", s, event.train_loss), ("search/train_acc", s, event.train_acc),
                ("search/alpha_split_loss", s, event.val_loss), ("search/alpha_split_acc", s, event.val_acc),
                ("lr/weights", s, event.lr), ("lr/alpha", s, event.arch_lr),
                *_per_cell("step_l_t", event.l_t, s), *_per_cell("step_mc", event.mc, s),
                *_per_cell("step_l_ab", event.l_ab, s)]
    if isinstance(event, EpochMetrics):
        e = event.epoch + 1
        return [("epoch/train_loss", e, event.train_loss), ("epoch/train_acc", e, event.train_acc),
                ("epoch/alpha_split_loss", e, event.val_loss), ("epoch/alpha_split_acc", e, event.val_acc),
                ("epoch/dominant_share", e, event.dominant_share), ("epoch/low_share", e, event.low_share),
                *_per_cell("epoch_mc", event.mc, e), *_per_cell("epoch_l_ab", event.l_ab, e)]
    if isinstance(event, TrainStep):
        s = event.step
        return [("train/loss", s, event.loss), ("train/top1", s, event.top1), ("lr/weights", s, event.lr)]
    if isinstance(event, TrainEpoch):
        e = event.epoch + 1
        return [("epoch/train_loss", e, event.train_loss), ("epoch/train_top1", e, event.train_top1),
                ("epoch/test_loss", e, event.test_loss), ("epoch/test_top1", e, event.test_top1),
                ("epoch/test_top5", e, event.test_top5), ("epoch/best_top1", e, event.best_top1),
                ("epoch/lr", e, event.lr), ("epoch/drop_path", e, event.drop_path_prob)]
    return []


def op_weights(event: AlphaSnapshot) -> np.ndarray:
    """σ(α) (or the per-edge softmax), cells × 14 × 7, as the search mixes the ops."""
    a = event.alphas.astype(np.float64)
    if event.mixing == "softmax":
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-a))


class TensorBoardWriter:
    """Scalars and per-cell σ(α) histograms into `log_dir`, flushed at every epoch so TensorBoard sees them live."""

    def __init__(self, log_dir: str | os.PathLike):
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = Path(log_dir)
        self._writer = SummaryWriter(log_dir=str(self.log_dir))

    def write(self, event: Any) -> None:
        for tag, step, value in scalars(event):
            self._writer.add_scalar(tag, value, step)
        if isinstance(event, AlphaSnapshot):
            for i, cell in enumerate(op_weights(event)):
                self._writer.add_histogram(f"sigma_alpha/cell_{i}", cell.reshape(-1), event.epoch + 1)
        if isinstance(event, (EpochMetrics, TrainEpoch, AlphaSnapshot)):
            self._writer.flush()

    def close(self) -> None:
        self._writer.close()


def with_tensorboard(events: Iterable[Any], log_dir: str | os.PathLike) -> Iterator[Any]:
    """Pass `events` through, writing each to TensorBoard first."""
    writer = TensorBoardWriter(log_dir)
    try:
        for event in events:
            writer.write(event)
            yield event
    finally:
        writer.close()


def run_events(run_dir: str | os.PathLike) -> Iterator[Any]:
    """The metric events of a finished or running search or training run folder."""
    header = read_header(run_dir, kind=None)
    if header.get("kind") == "search":
        yield from RunReader(run_dir).poll()
        return
    path = Path(run_dir) / METRICS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RunFolderError(f"cannot read {path}: {exc}") from None
    kinds = {"step": TrainStep, "epoch": TrainEpoch}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash
        cls = kinds.get(record.get("type")) if isinstance(record, dict) else None
        if cls is not None:
            try:
                yield cls(**{k: v for k, v in record.items() if k != "type"})
            except TypeError:
                continue


def convert_run(run_dir: str | os.PathLike, tensorboard: str | os.PathLike | None = None,
                csv_path: str | os.PathLike | None = None) -> int:
    """Write a run folder's metrics as TensorBoard files and/or a long CSV (tag, step, value); returns the rows."""
    writer = TensorBoardWriter(tensorboard) if tensorboard is not None else None
    rows: list[Scalar] = []
    try:
        for event in run_events(run_dir):
            rows += scalars(event)
            if writer is not None:
                writer.write(event)
    finally:
        if writer is not None:
            writer.close()
    if csv_path is not None:
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["tag", "step", "value"])
            out.writerows(rows)
    return len(rows)
