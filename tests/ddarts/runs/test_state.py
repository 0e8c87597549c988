"""RunState: accumulating events into series, status and the latest α/genotypes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ddarts.genotype.core import PARSE_METHODS, Genotype
from ddarts.runs.state import ColumnTable, RunState
from ddarts.search.events import (
    AlphaLive,
    AlphaSnapshot,
    CheckpointSaved,
    DatasetProgress,
    EpochMetrics,
    Failed,
    Finished,
    GenotypeParsed,
    RunStarted,
    StateChanged,
    StepMetrics,
    Stopped,
)
from ddarts.space.ops import PRIMITIVES

CELLS = 4


def start(resumed: bool = False, start_epoch: int = 0, start_step: int = 0) -> RunStarted:
    return RunStarted(run_dir="runs/x", config={"cells": CELLS}, device="cpu", n_cells=CELLS, reductions=(1, 2),
                      primitives=PRIMITIVES, steps_per_epoch=10, total_steps=100, start_epoch=start_epoch,
                      start_step=start_step, resumed=resumed)


def step(n: int, fair: bool = False) -> StepMetrics:
    epoch = (n - 1) // 10
    per_cell = tuple(float(n * 10 + c) for c in range(CELLS))
    return StepMetrics(epoch=epoch, step=n, step_in_epoch=(n - 1) % 10 + 1, steps_per_epoch=10, total_steps=100,
                       train_loss=1.0 / n, train_acc=n / 100, val_loss=2.0 / n, val_acc=n / 200, l01=per_cell,
                       mc=() if fair else per_cell, l_ab=() if fair else per_cell, l_t=per_cell, lr=0.005,
                       arch_lr=0.003, elapsed_s=float(n), steps_per_s=1.0, eta_s=float(100 - n))


def epoch(e: int) -> EpochMetrics:
    return EpochMetrics(epoch=e, train_loss=1.0, train_acc=0.5, val_loss=1.0, val_acc=0.4, dominant_share=e / 10,
                        low_share=0.5, dominant_share_per_cell=(0.1 * e,) * CELLS, low_share_per_cell=(0.2,) * CELLS,
                        mc=(0.0,) * CELLS, l_ab=(0.0,) * CELLS, elapsed_s=10.0 * (e + 1))


def alpha(e: int) -> AlphaSnapshot:
    return AlphaSnapshot(epoch=e, step=10 * (e + 1), alphas=np.full((CELLS, 14, 7), float(e)), mixing="sigmoid")


def cell_genotype() -> Genotype:
    cell = (("sep_conv_3x3", 2, 0), ("skip_connect", 3, 1), ("max_pool_3x3", 4, 2), ("dil_conv_3x3", 5, 4))
    return Genotype(cells=[cell] * CELLS, reductions=(1, 2), method="edge", threshold=0.85)


def run_epochs(state: RunState, first: int, last: int) -> None:
    for e in range(first, last + 1):
        for n in range(10 * e + 1, 10 * e + 11):
            state.apply(step(n))
        state.apply(epoch(e))
        state.apply(alpha(e))
        state.apply(GenotypeParsed(epoch=e, method="edge", threshold=0.85, genotype=cell_genotype()))
        state.apply(CheckpointSaved(epoch=e, step=10 * (e + 1), path="runs/x/checkpoint.pt"))


def test_version_counts_every_event():
    state = RunState()
    assert state.version == 0 and state.status == "new"
    state.apply(start())
    state.apply(step(1))
    state.apply(step(2))
    assert state.version == 3


def test_status_transitions():
    state = RunState()
    state.apply(DatasetProgress(dataset="cifar100", stage="download", done=10, total=100))
    assert state.status == "preparing"
    state.apply(DatasetProgress(dataset="cifar100", stage="ready", done=100, total=100))
    state.apply(start())
    assert state.status == "running" and state.dataset.stage == "ready"
    state.apply(StateChanged("paused"))
    assert state.status == "paused"
    state.apply(StateChanged("running"))
    state.apply(StateChanged("stopping"))
    assert state.status == "running" and state.stopping
    state.apply(Stopped(epoch=0, step=5, checkpoint="runs/x/checkpoint.pt"))
    assert state.status == "stopped" and not state.stopping
    assert state.last_checkpoint == CheckpointSaved(0, 5, "runs/x/checkpoint.pt")
    # an unknown state is skipped and reported, never raised into a view
    assert not state.apply(StateChanged("sleeping"))
    assert state.status == "stopped" and "unknown run state 'sleeping'" in state.problems[-1]


def test_series_are_columnar_and_per_cell():
    state = RunState()
    state.apply(start())
    run_epochs(state, 0, 1)
    assert len(state.steps) == 20 and len(state.epochs) == 2
    np.testing.assert_array_equal(state.step_series("step"), np.arange(1, 21))
    np.testing.assert_array_equal(state.step_series("epoch"), [0] * 10 + [1] * 10)
    l_t = state.step_series("l_t")
    assert l_t.shape == (20, CELLS)
    np.testing.assert_array_equal(l_t[4], [50, 51, 52, 53])
    assert state.epoch_series("dominant_share_per_cell").shape == (2, CELLS)
    np.testing.assert_array_equal(state.epoch_series("dominant_share"), [0.0, 0.1])
    assert (state.epoch, state.step, state.eta_s) == (1, 20, 80.0)
    assert state.progress == pytest.approx(0.2)
    assert state.reduction_mask == (False, True, True, False)
    with pytest.raises(ValueError, match="read-only"):
        state.step_series("train_loss")[0] = 5.0
    with pytest.raises(KeyError, match="unknown series 'loss'"):
        state.step_series("loss")


def test_fair_loss_has_nan_contributions():
    state = RunState()
    state.apply(start())
    state.apply(step(1, fair=True))
    assert state.step_series("mc").shape == (1, CELLS)
    assert np.isnan(state.step_series("mc")).all() and not np.isnan(state.step_series("l01")).any()


def test_columns_grow_past_their_capacity():
    table = ColumnTable(("x",), ("per",), capacity=2)
    for i in range(1000):
        table.append({"x": float(i)}, {"per": (float(i), -float(i))})
    np.testing.assert_array_equal(table.series("x"), np.arange(1000))
    np.testing.assert_array_equal(table.series("per")[999], [999, -999])
    with pytest.raises(ValueError, match="3 cells, earlier records had 2"):
        table.append({"x": 0.0}, {"per": (1.0, 2.0, 3.0)})


def test_alphas_and_genotypes():
    state = RunState()
    state.apply(start())
    assert state.latest_alphas is None
    run_epochs(state, 0, 2)
    assert sorted(state.alphas) == [0, 1, 2] and state.latest_alpha_epoch == 2
    assert state.latest_alphas.dtype == np.float32 and state.latest_alphas[0, 0, 0] == 2.0
    assert set(state.genotypes) == {(0, "edge"), (1, "edge"), (2, "edge")}
    final = GenotypeParsed(epoch=-1, method="sparse", threshold=0.85, genotype=cell_genotype())
    state.apply(final)
    state.apply(Finished(epoch=2, step=30, elapsed_s=31.0, genotypes={"edge": cell_genotype()}))
    assert set(state.final_genotypes) == {"sparse", "edge"} and state.status == "finished"


def test_resume_keeps_history_and_drops_redone_work():
    state = RunState()
    state.apply(start())
    run_epochs(state, 0, 1)
    for n in range(21, 26):  # epoch 2 half done, then a crash; the checkpoint is the end of epoch 1
        state.apply(step(n))
    state.apply(Failed(message="CUDA out of memory", kind="oom", traceback="...", checkpoint="runs/x/checkpoint.pt"))
    assert state.status == "failed" and state.failure.kind == "oom"

    state.apply(start(resumed=True, start_epoch=2, start_step=20))
    assert state.status == "running" and state.failure is None and state.resumes == 1
    np.testing.assert_array_equal(state.step_series("step"), np.arange(1, 21))
    run_epochs(state, 2, 2)
    np.testing.assert_array_equal(state.step_series("step"), np.arange(1, 31))
    np.testing.assert_array_equal(state.epoch_series("epoch"), [0, 1, 2])
    assert sorted(state.alphas) == [0, 1, 2]


def test_resume_from_mid_epoch_drops_that_epochs_snapshots():
    state = RunState()
    state.apply(start())
    run_epochs(state, 0, 1)
    state.apply(start(resumed=True, start_epoch=1, start_step=15))
    assert len(state.steps) == 15 and len(state.epochs) == 1
    assert sorted(state.alphas) == [0] and set(state.genotypes) == {(0, "edge")}


def test_fresh_start_forgets_a_previous_run():
    state = RunState()
    state.apply(start())
    run_epochs(state, 0, 0)
    state.apply(start())
    assert len(state.steps) == 0 and not state.alphas and not state.genotypes and state.last_checkpoint is None


def test_from_events_and_unknown_objects():
    state = RunState.from_events([start(), step(1)], run_dir="elsewhere")
    assert state.run_dir == "runs/x" and state.step == 1
    with pytest.raises(TypeError, match="cannot apply str"):
        state.apply("step")


def live_run(seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [start(), step(1), alpha(0), AlphaLive(epoch=1, step=15, alphas=rng.normal(size=(CELLS, 14, 7)),
                                                  mixing="sigmoid")]


def test_parse_jobs_run_on_another_thread_give_what_the_views_would_parse():
    state = RunState.from_events(live_run())
    jobs = state.newest_parse_jobs()
    assert sorted(job.method for job in jobs) == sorted(PARSE_METHODS)
    assert all(job.key[0] == -1 - 15 for job in jobs)  # the newest α is the live one
    with ThreadPoolExecutor(max_workers=1) as pool:  # as the desktop app's worker thread does
        results = list(zip(jobs, pool.map(lambda job: job.run(), jobs)))
    assert all(state.store_parse(job, genotype) for job, genotype in results)
    assert state.newest_parse_jobs() == []  # cached: nobody parses them again
    synchronous = RunState.from_events(live_run())
    for method in PARSE_METHODS:
        assert state.genotype_for(None, method) == synchronous.genotype_for(None, method)


def test_a_parse_of_alpha_that_was_replaced_meanwhile_is_not_kept():
    state = RunState.from_events(live_run())
    jobs = state.newest_parse_jobs()
    state.apply(AlphaLive(epoch=1, step=18, alphas=np.zeros((CELLS, 14, 7)), mixing="sigmoid"))
    assert not state.store_parse(jobs[0], jobs[0].run())
    epoch_job = state.parse_job(0, "edge", 0.5)
    state.apply(start(resumed=True, start_epoch=0, start_step=0))  # a resume redoes epoch 0: its α goes
    assert not state.store_parse(epoch_job, epoch_job.run())
    assert state.newest_parse_jobs() == []  # and there is no α left to parse
