"""A generator of damaged run folders: one valid finished search folder, then one mutation per case.

Each mutation is what a crash, a full disk, a hostile user or another program could leave behind. Tests run
every case against the CLI (tests/ddarts/runs/test_damaged_folders.py) and the app
(tests/app/test_damaged_folders_app.py): the answer must be a view or one clear line, never a traceback.
"""

from __future__ import annotations

import io
import json
import os
import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ddarts.genotype.parse import parse_alphas
from ddarts.runs.writer import RunWriter
from ddarts.runtime.checkpoints import save_checkpoint
from ddarts.search.config import SearchConfig
from ddarts.search.events import (
    AlphaSnapshot,
    CheckpointSaved,
    EpochMetrics,
    Finished,
    GenotypeParsed,
    RunStarted,
    StateChanged,
    StepMetrics,
)
from ddarts.space.ops import PRIMITIVES, reduction_positions

CELLS = 5


def make_run(folder: Path) -> Path:
    """A complete, finished 5-cell search folder, written by the real writer (no search needed)."""
    config = SearchConfig(dataset="digits", cells=CELLS, init_channels=2, epochs=1, steps_per_epoch=2,
                          device="cpu", num_workers=0)
    alphas = np.random.default_rng(0).normal(0, 2, (CELLS, 14, 7)).astype(np.float32)
    genotype = parse_alphas(alphas, "darts", 0.85, reduction_positions(CELLS), "sigmoid")
    per_cell = tuple(float(i) for i in range(CELLS))
    events = [RunStarted(str(folder), config.to_dict(), "cpu", CELLS, reduction_positions(CELLS), PRIMITIVES, 2, 2,
                         0, 0), StateChanged("running")]
    for step in (1, 2):
        events.append(StepMetrics(0, step, step, 2, 2, 2.3, 0.1, 2.3, 0.1, per_cell, per_cell, per_cell, per_cell,
                                  0.025, 3e-4, float(step), 1.0, float("nan")))
    events += [EpochMetrics(0, 2.3, 0.1, 2.3, 0.1, 0.2, 0.3, per_cell, per_cell, per_cell, per_cell, 2.0),
               AlphaSnapshot(0, 2, alphas, "sigmoid"), GenotypeParsed(0, "darts", 0.85, genotype),
               CheckpointSaved(1, 2, str(folder / "checkpoint.pt")),
               Finished(0, 2, 2.0, {"darts": genotype})]
    with RunWriter(folder, config) as writer:
        for event in events:
            writer.write(event)
    save_checkpoint(folder / "checkpoint.pt", "search", {
        "config": config.to_dict(), "engine": {}, "train_stream": {}, "val_stream": {},
        "progress": {"epoch": 1, "step_in_epoch": 0, "global_step": 2, "elapsed_s": 2.0, "count": 0, "sums": {}}})
    return folder


def _records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


def _write_records(folder: Path, records: list) -> None:
    (folder / "metrics.jsonl").write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                                                  for r in records))


def _edit(kind: str, **changes) -> Callable[[Path], Path]:
    """Change the fields of every record of `kind`."""
    def mutate(folder: Path) -> Path:
        records = _records(folder)
        for record in records:
            if record["type"] == kind:
                record.update(changes)
        _write_records(folder, records)
        return folder
    return mutate


def _append(line: str) -> Callable[[Path], Path]:
    def mutate(folder: Path) -> Path:
        with open(folder / "metrics.jsonl", "a") as handle:
            handle.write(line + "\n")
        return folder
    return mutate


def _alpha(array) -> Callable[[Path], Path]:
    def mutate(folder: Path) -> Path:
        np.save(folder / "alphas" / "epoch_001.npy", array)
        return folder
    return mutate


def _file(rel: str, data: bytes | None = None, fifo: bool = False, folder_instead: bool = False):
    def mutate(folder: Path) -> Path:
        path = folder / rel
        path.unlink()
        if fifo:
            os.mkfifo(path)
        elif folder_instead:
            path.mkdir()
        else:
            path.write_bytes(data or b"")
        return folder
    return mutate


def _config(**changes) -> Callable[[Path], Path]:
    def mutate(folder: Path) -> Path:
        header = json.loads((folder / "config.json").read_text())
        header["config"].update(changes)
        (folder / "config.json").write_text(json.dumps(header))
        return folder
    return mutate


def _folder_loop(folder: Path) -> Path:
    loop = folder.parent / "loop"
    loop.symlink_to(loop)
    return loop


def _alphas_loop(folder: Path) -> Path:
    alphas = folder / "alphas"
    for entry in alphas.iterdir():
        entry.unlink()
    alphas.rmdir()
    alphas.symlink_to(alphas)
    return folder


def _alpha_outside(folder: Path) -> Path:
    np.save(folder.parent / "outside.npy", np.zeros((CELLS, 14, 7), np.float32))
    return _edit("alpha", path="../outside.npy")(folder)


def _pickled_checkpoint(folder: Path) -> Path:
    buffer = io.BytesIO()
    torch.save({"format_version": 1, "payload": Path("x")}, buffer)
    (folder / "checkpoint.pt").write_bytes(buffer.getvalue())
    return folder


NESTED = "[" * 100_000 + "]" * 100_000
MUTATIONS: dict[str, Callable[[Path], Path]] = {
    "run folder is a symlink loop": _folder_loop,
    "alphas/ is a symlink loop": _alphas_loop,
    "alpha of string dtype": _alpha(np.full((CELLS, 14, 7), "x")),
    "alpha with NaN": _alpha(np.full((CELLS, 14, 7), np.nan, np.float32)),
    "alpha with inf": _alpha(np.full((CELLS, 14, 7), np.inf, np.float32)),
    "alpha of object dtype": lambda f: ((f / "alphas" / "epoch_001.npy").write_bytes(pickle.dumps([1])), f)[1],
    "alpha is a text file": _file("alphas/epoch_001.npy", b"0.1 0.2 0.3\n"),
    "alpha for other cell count": _alpha(np.zeros((7, 14, 7), np.float32)),
    "alpha of zero cells": _alpha(np.zeros((0, 14, 7), np.float32)),
    "alpha is a FIFO": _file("alphas/epoch_001.npy", fifo=True),
    "alpha path outside the folder": _alpha_outside,
    "alpha path absolute": _edit("alpha", path="/etc/passwd"),
    "alpha record unknown mixing": _edit("alpha", mixing="relu"),
    "alpha record negative epoch": _edit("alpha", epoch=-5),
    "alpha record string epoch": _edit("alpha", epoch="1"),
    "unknown state record": _edit("state", state="sleeping"),
    "start record wrong types": _edit("start", n_cells="5", reductions="1,3"),
    "start record n_cells 1e9 float": _edit("start", n_cells=1e9),
    "start record n_cells 1e9 int": _edit("start", n_cells=10**9),
    "start record reductions out of range": _edit("start", reductions=[1, 99]),
    "step record string epoch": _edit("step", epoch="0"),
    "step record string step": _edit("step", step="1"),
    "step per-cell list too short": _edit("step", l01=[1.0]),
    "step per-cell list too long": _edit("step", mc=[1.0] * 50),
    "step per-cell list of strings": _edit("step", l_t=["a"] * CELLS),
    "epoch per-cell list wrong length": _edit("epoch", dominant_share_per_cell=[0.1, 0.2]),
    "epoch record string loss": _edit("epoch", val_loss="low"),
    "genotype record nested": _edit("genotype", genotype={"cells": [[[[[[[]]]]]]]}),
    "genotype record of other cell count": _edit("genotype", genotype={"format_version": 1, "cells": [[]] * 3,
                                                                       "reductions": [1, 2]}),
    "finished record genotypes not an object": _edit("finished", genotypes=[1, 2]),
    "failed record bad kind types": _append('{"type": "failed", "message": 5, "kind": [], "traceback": null, '
                                            '"checkpoint": 3}'),
    "metrics line nested 100000 deep": _append('{"type": "step", "l01": ' + NESTED + "}"),
    "metrics line with a 5000-digit number": _append('{"type": "step", "step": 1' + "0" * 5000 + "}"),
    "metrics line of binary garbage": _append("\x00\xff\xfe garbage"),
    "metrics line bare NaN": _append('{"type": "step", "train_loss": NaN}'),
    "metrics truncated last line": lambda f: (open(f / "metrics.jsonl", "a").write('{"type": "st'), f)[1],
    "metrics.jsonl empty": _file("metrics.jsonl", b""),
    "metrics.jsonl is a folder": _file("metrics.jsonl", folder_instead=True),
    "config.json missing": lambda f: ((f / "config.json").unlink(), f)[1],
    "config.json invalid JSON": _file("config.json", b"{oops"),
    "config.json nested 100000 deep": _file("config.json", NESTED.encode()),
    "config.json is a FIFO": _file("config.json", fifo=True),
    "config cells 1e9": _config(cells=10**9),
    "config unknown mixing": _config(mixing="relu"),
    "config cells a string": _config(cells="five"),
    "checkpoint is garbage": _file("checkpoint.pt", b"\x80\x04 garbage"),
    "checkpoint is empty": _file("checkpoint.pt", b""),
    "checkpoint holds Python objects": _pickled_checkpoint,
    "checkpoint is a folder": _file("checkpoint.pt", folder_instead=True),
    "final genotype nested deep": _file("genotypes/final_darts.json", NESTED.encode()),
}
"""Case name -> mutation of a fresh folder; returns the path to open (the folder, or a link in its place)."""
