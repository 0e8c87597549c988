"""The run overview: epoch, dominant share, live ops per parse method, best α-split accuracy, ETA."""

from __future__ import annotations

from gui_test_support import synthetic_run

from app.viewmodels.run_overview import format_duration, overview_text, run_overview
from ddarts.runs import RunState


def test_overview_of_a_synthetic_run():
    events = synthetic_run(cells=5, epochs=3)
    state = RunState.from_events(events)
    overview = run_overview(state)
    assert overview.epoch == 3 and overview.epochs == 3
    assert overview.dominant_share == state.epoch_series("dominant_share")[-1]
    val = state.epoch_series("val_acc")
    assert overview.best_val_acc == val.max() and overview.best_val_epoch == int(val.argmax()) + 1
    assert set(overview.live_ops) == {"darts", "sparse", "edge"}
    assert overview.live_ops["darts"] == 5 * 8  # darts keeps 2 edges on each of the 4 nodes of every cell
    text = overview_text(overview)
    assert text.startswith("epoch 3/3 · dominant ops (σ > 0.9)") and "live ops darts 40" in text
    assert overview_text(run_overview(RunState())) == ""


def test_durations_read_naturally():
    assert format_duration(42) == "0:42" and format_duration(125) == "2:05"
    assert format_duration(3 * 3600 + 7 * 60) == "3:07:00" and format_duration(float("nan")) == "–"
