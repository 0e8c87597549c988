"""Events of a small 3-cell search run and the state check that the run-folder tests share
(tests/ddarts/runs/test_writer.py, test_reader.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ddarts.genotype import Genotype
from ddarts.runs import RunState, RunWriter
from ddarts.search.config import SearchConfig
from ddarts.search.events import (
    AlphaSnapshot,
    CheckpointSaved,
    DatasetProgress,
    EpochMetrics,
    Finished,
    GenotypeParsed,
    RunStarted,
    StateChanged,
    StepMetrics,
)
from ddarts.space.ops import PRIMITIVES

N_CELLS = 3
REDUCTIONS = (1, 2)
CONFIG = SearchConfig(dataset="digits", cells=N_CELLS, init_channels=4, epochs=2, batch_size=4, steps_per_epoch=2)


def genotype(seed: int, method: str = "edge") -> Genotype:
    ops = PRIMITIVES
    cell = lambda k: (  # noqa: E731 - a tiny, varied but valid cell per index
        (ops[(seed + k) % 7], 2, 0), (ops[(seed + k + 1) % 7], 2, 1), (ops[(seed + k + 2) % 7], 3, 2),
        (ops[(seed + k + 3) % 7], 4, 3), (ops[(seed + k + 4) % 7], 5, 1),
    )
    return Genotype(cells=[cell(k) for k in range(N_CELLS)], reductions=REDUCTIONS, method=method,
                    threshold=0.85, source="test")


def started(run_dir: Path, resumed: bool = False, start_epoch: int = 0, start_step: int = 0) -> RunStarted:
    return RunStarted(run_dir=str(run_dir), config=CONFIG.to_dict(), device="cpu", n_cells=N_CELLS,
                      reductions=REDUCTIONS, primitives=PRIMITIVES, steps_per_epoch=2, total_steps=4,
                      start_epoch=start_epoch, start_step=start_step, resumed=resumed)


def step(epoch: int, step_no: int, loss: float | None = None) -> StepMetrics:
    base = float(step_no)
    return StepMetrics(
        epoch=epoch, step=step_no, step_in_epoch=(step_no - 1) % 2 + 1, steps_per_epoch=2, total_steps=4,
        train_loss=2.0 / base if loss is None else loss, train_acc=0.1 * base, val_loss=2.5 / base,
        val_acc=0.05 * base, l01=tuple(-0.01 * base * (c + 1) for c in range(N_CELLS)),
        mc=tuple(0.1 * c - 0.02 * base for c in range(N_CELLS)), l_ab=tuple(0.3 * c for c in range(N_CELLS)),
        l_t=tuple(2.0 / base + 0.1 * c for c in range(N_CELLS)), lr=0.005 - 0.001 * base, arch_lr=0.003,
        elapsed_s=1.5 * base, steps_per_s=0.66, eta_s=1.5 * (4 - base),
    )


def epoch_events(run_dir: Path, epoch: int) -> list:
    alphas = np.random.default_rng(epoch).normal(size=(N_CELLS, 14, 7)).astype(np.float32)
    return [
        step(epoch, 2 * epoch + 1, loss=float("nan") if epoch == 1 else None),
        step(epoch, 2 * epoch + 2),
        EpochMetrics(epoch=epoch, train_loss=1.0 / (epoch + 1), train_acc=0.5, val_loss=1.1, val_acc=0.4,
                     dominant_share=0.2 * epoch, low_share=0.3, dominant_share_per_cell=(0.1, 0.2, 0.3),
                     low_share_per_cell=(0.4, 0.5, 0.6), mc=(0.01, 0.02, 0.03), l_ab=(0.1, -0.1, 0.0),
                     elapsed_s=3.0 * (epoch + 1)),
        AlphaSnapshot(epoch=epoch, step=2 * epoch + 2, alphas=alphas, mixing="sigmoid"),
        GenotypeParsed(epoch=epoch, method="edge", threshold=0.85, genotype=genotype(epoch)),
        CheckpointSaved(epoch=epoch, step=2 * epoch + 2, path=str(run_dir / "checkpoint.pt")),
    ]


def full_run(run_dir: Path) -> list:
    finals = {m: genotype(10 + i, m) for i, m in enumerate(("darts", "sparse", "edge"))}
    return [
        DatasetProgress(dataset="digits", stage="load", done=1, total=2, message="loading"),
        DatasetProgress(dataset="digits", stage="ready", done=2, total=2),
        started(run_dir),
        *epoch_events(run_dir, 0),
        StateChanged("paused"),
        StateChanged("running"),
        *epoch_events(run_dir, 1),
        GenotypeParsed(epoch=-1, method="edge", threshold=0.85, genotype=finals["edge"]),
        Finished(epoch=1, step=4, elapsed_s=6.5, genotypes=finals),
    ]


def write_events(run_dir: Path, events: list, resume: bool = False) -> None:
    with RunWriter(run_dir, CONFIG, resume=resume) as writer:
        for event in events:
            writer.write(event)


def assert_same_state(a: RunState, b: RunState) -> None:
    for name in a.steps.names:
        np.testing.assert_array_equal(a.step_series(name), b.step_series(name), err_msg=name)
    for name in a.epochs.names:
        np.testing.assert_array_equal(a.epoch_series(name), b.epoch_series(name), err_msg=name)
    assert a.alphas.keys() == b.alphas.keys()
    for epoch in a.alphas:
        np.testing.assert_array_equal(a.alphas[epoch], b.alphas[epoch])
        assert a.alphas[epoch].dtype == b.alphas[epoch].dtype == np.float32
    for field in ("config", "run_dir", "device", "n_cells", "reductions", "primitives", "steps_per_epoch",
                  "total_steps", "status", "epoch", "step", "elapsed_s", "steps_per_s", "eta_s", "genotypes",
                  "final_genotypes", "last_checkpoint", "failure", "alpha_mixing", "resumes"):
        assert getattr(a, field) == getattr(b, field), field


