import csv
import json

import pytest
from recorded_sweep import synthetic_sweep, write_run

from ddarts.errors import DdartsError, RunFolderError
from ddarts.search.config import SearchConfig
from ddarts.sweep import load_runs, read_plan
from ddarts.sweep.plan import EARLY_STOP_FILE, new_plan
from ddarts.sweep.summary import best, format_table, to_csv, write_summary

NUMBERS = {
    "w_abl=0_seed=1": ([(2.0, 0.25, 0.1, 0.0), (1.5, 0.50, 0.2, 0.1)], "finished"),
    "w_abl=0_seed=2": ([(1.8, 0.30, 0.1, 0.0)], "stopped"),
    "w_abl=0.5_seed=1": ([(1.9, 0.40, 0.3, 0.2), (1.7, 0.35, 0.4, 0.3)], "running"),
    "w_abl=0.5_seed=2": (None, None),
}


@pytest.fixture
def sweep(tmp_path):
    plan = synthetic_sweep(tmp_path / "sw", {"w_abl": ("0", "0.5")}, (1, 2), lambda t: NUMBERS[t.name])
    (plan.run_dir("w_abl=0.5_seed=1") / EARLY_STOP_FILE).write_text(json.dumps({"reason": "asha", "epoch": 2}))
    return plan


def test_statuses_metrics_and_csv(sweep):
    runs = load_runs([sweep.root])
    assert runs.varied_fields == ("w_abl", "seed")
    assert [e.status for e in runs.entries] == ["finished", "stopped", "early_stopped", "pending"]
    write_summary(runs, sweep.root)
    rows = list(csv.DictReader((sweep.root / "summary.csv").open()))
    assert [r["trial"] for r in rows] == list(NUMBERS)
    first = rows[0]
    assert first["w_abl"] == "0" and first["seed"] == "1" and first["status"] == "finished" and first["epochs"] == "2"
    assert float(first["best_val_loss"]) == 1.5 and float(first["final_val_acc"]) == 0.5
    assert float(first["best_val_acc"]) == 0.5 and float(first["final_dominant_share"]) == pytest.approx(0.2)
    assert float(first["final_low_share"]) == pytest.approx(0.1)
    assert rows[2]["best_val_acc"] == "0.4" and rows[2]["final_val_acc"] == "0.35"
    assert rows[3]["status"] == "pending" and rows[3]["best_val_acc"] == "" and rows[3]["genotype"] == ""
    table = format_table(runs)
    assert "early_stopped" in table.splitlines()[3] and "40.0%" in table.splitlines()[3]


def test_best_by_each_ranking(sweep):
    runs = load_runs([sweep.root])
    assert best(runs, "val_acc")[0].name == "w_abl=0_seed=1"
    assert best(runs, "val_loss") == (runs.entries[0], 1.5)
    assert best(runs, "dominant_share")[0].name == "w_abl=0.5_seed=1"
    with pytest.raises(DdartsError, match="--by must be one of"):
        best(runs, "speed")


def test_a_trial_left_running_by_a_dead_process_is_interrupted(sweep):
    entry = load_runs([sweep.root]).entries[2]
    (sweep.root / "w_abl=0.5_seed=1" / EARLY_STOP_FILE).unlink()
    entry.early_stop = None
    assert entry.status == "running"  # metrics.jsonl was written just now
    import os
    old = 1_000_000_000
    os.utime(entry.run_dir / "metrics.jsonl", (old, old))
    assert entry.status == "interrupted"
    (sweep.root / "w_abl=0.5_seed=1" / "metrics.jsonl").touch()
    fresh = load_runs([sweep.root], ended=True)
    fresh.entries[2].early_stop = None
    assert fresh.entries[2].status == "interrupted" and fresh.entries[0].status == "finished"


def test_loose_run_folders_vary_by_their_differing_fields(tmp_path):
    a = write_run(tmp_path / "a", SearchConfig(dataset="digits", cells=3, w01=0.0), [(1.0, 0.5, 0.0, 0.0)])
    b = write_run(tmp_path / "b", SearchConfig(dataset="digits", cells=3, w01=5.0), [(0.9, 0.6, 0.1, 0.0)])
    runs = load_runs([a, b])
    assert runs.varied_fields == ("w01",)
    assert [(e.name, e.varied) for e in runs.entries] == [("a", {"w01": 0.0}), ("b", {"w01": 5.0})]
    assert "w01" in to_csv(runs).splitlines()[0]
    with pytest.raises(RunFolderError, match="not found"):
        load_runs([tmp_path / "nope"])
    with pytest.raises(RunFolderError, match="neither a sweep folder nor a run folder"):
        load_runs([tmp_path])


def test_plan_round_trip_and_refusals(sweep, tmp_path):
    again = read_plan(sweep.root)
    assert [t.name for t in again.trials] == [t.name for t in sweep.trials]
    assert again.trials[1].config == sweep.trials[1].config and again.varied_fields == ("w_abl", "seed")
    with pytest.raises(RunFolderError, match="not empty"):
        new_plan(sweep.spec, sweep.root)
    with pytest.raises(RunFolderError, match="no sweep.json"):
        read_plan(tmp_path)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "sweep.json").write_text('{"kind": "sweep", "format_version": 1, "spec": {}, "trials": []}')
    with pytest.raises(RunFolderError, match="malformed sweep plan"):
        read_plan(tmp_path / "x")
