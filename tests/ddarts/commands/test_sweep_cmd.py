"""`ddarts sweep` end to end on Ray (one local 2-CPU cluster for the module: Ray starts slowly) and its refusals."""

import contextlib
import csv
import io
import json
import os
import re
import signal

import numpy as np
import pytest
from recorded_sweep import record_trial, synthetic_sweep

from ddarts import cli
from ddarts.commands.sweep import STOP_MESSAGE, _ray_options, _StopFlag
from ddarts.genotype.files import load_genotype
from ddarts.runtime.interrupts import StopOnSignals
from ddarts.sweep import DONE_STATUSES, load_runs, read_plan
from ddarts.sweep.options import RayOptions
from ddarts.sweep.plan import EARLY_STOP_FILE, STOP_FILE

pytestmark = pytest.mark.slow  # a Ray cluster for the module: scheduled first

TINY = ["--dataset", "digits", "--cells", "3", "--init-channels", "2", "--batch-size", "8", "--epochs", "2",
        "--steps-per-epoch", "2", "--device", "cpu"]


@pytest.fixture(scope="module")
def interrupted_then_resumed(tmp_path_factory):
    """Plan 4 trials, stop one mid-run at a step boundary (what Ctrl-C does), then resume the sweep on Ray with ASHA.

    The trials search with L_F: what is under test is the sweep, and an L_F step costs half an L_T one."""
    root = tmp_path_factory.mktemp("sweep") / "demo"
    assert cli.main(["sweep", *TINY, "--loss", "fair", "--grid", "w01=0,5", "--seeds", "1,2", "--out", str(root),
                     "--dry-run"]) == 0
    plan = read_plan(root)
    assert record_trial(plan, "w01=0_seed=1", stop_after_step=1) == "stopped"
    before = [json.loads(line) for line in (root / "w01=0_seed=1" / "metrics.jsonl").read_text().splitlines()]
    stopped_at = next(r for r in before if r["type"] == "stopped")["step"]
    progress = io.StringIO()
    with contextlib.redirect_stderr(progress):
        code = cli.main(["sweep", "--resume", str(root), "--cpus", "2", "--max-concurrent", "2", "--early-stop",
                         "asha"])
    # The driver prints each epoch report right after the scheduler has decided on it: the order ASHA saw them.
    reports = [(m[1], int(m[2])) for m in re.finditer(r"^(\S+): epoch (\d+) ", progress.getvalue(), re.MULTILINE)]
    return plan, code, stopped_at, reports


def test_dry_run_plans_without_running(tmp_path, capsys):
    root = tmp_path / "plan"
    assert cli.main(["sweep", *TINY, "--grid", "w01=0,5", "--seeds", "3", "--out", str(root), "--dry-run"]) == 0
    assert capsys.readouterr().out.split() == ["w01=0_seed=3", "w01=5_seed=3"]
    assert sorted(p.name for p in root.iterdir()) == ["sweep.json"]
    assert read_plan(root).trials[1].config.w01 == 5.0


def test_four_trials_on_ray_resume_the_interrupted_one(interrupted_then_resumed, capsys):
    plan, code, stopped_at, _ = interrupted_then_resumed
    assert code == 0
    rows = list(csv.DictReader((plan.root / "summary.csv").open()))
    assert [r["trial"] for r in rows] == ["w01=0_seed=1", "w01=0_seed=2", "w01=5_seed=1", "w01=5_seed=2"]
    assert all(r["status"] in DONE_STATUSES for r in rows)
    records = [json.loads(line) for line in (plan.root / "w01=0_seed=1" / "metrics.jsonl").read_text().splitlines()]
    starts = [r for r in records if r["type"] == "start"]
    assert [s["resumed"] for s in starts] == [False, True] and starts[1]["start_step"] == stopped_at
    assert 0 < stopped_at < 4 and records[-1]["type"] == "finished" and records[-1]["step"] == 4
    assert rows[0]["status"] == "finished" and rows[0]["epochs"] == "2"
    for row in rows:
        assert load_genotype(row["genotype"], require_buildable=False).n_cells == 3


def asha_first_rung(reports: list[tuple[str, int]], value: dict[str, float], reduction_factor: int) -> set[str]:
    """ASHA's rule at its first rung (epoch 1), replayed in report order: a trial ends when its value is below the
    (1 - 1/rf) quantile of the values recorded there before it. Which trials that is depends on the order, so the
    test predicts from the order the driver printed rather than from the values alone."""
    recorded: list[float] = []
    ended = set()
    for name, epoch in reports:
        if epoch != 1:
            continue
        if recorded and value[name] < np.nanpercentile(recorded, (1 - 1 / reduction_factor) * 100):
            ended.add(name)
        recorded.append(value[name])
    return ended


def test_asha_replay_ends_exactly_the_trials_behind_those_before_them():
    value = {"a": 0.0, "b": 0.0, "c": 0.125, "d": 0.125}
    assert asha_first_rung([("a", 1), ("b", 1), ("c", 1), ("d", 1)], value, 2) == set()  # rising: nobody behind
    assert asha_first_rung([("c", 1), ("a", 1), ("d", 1), ("b", 1), ("c", 2)], value, 2) == {"a", "b"}
    assert asha_first_rung([("a", 1), ("c", 1), ("b", 1)], value, 2) == {"b"}  # below the median of 0 and 0.125


def test_asha_ends_trials_that_fall_behind_and_marks_them(interrupted_then_resumed):
    plan, _, _, reports = interrupted_then_resumed
    runs = load_runs([plan.root])
    first_epoch = {e.name: e.epoch_series("val_acc")[0] for e in runs.entries}
    ended = [e for e in runs.entries if e.status == "early_stopped"]
    assert {name for name, _ in reports} == set(first_epoch), reports
    predicted = asha_first_rung(reports, first_epoch, RayOptions().reduction_factor)  # the fixture's default
    assert {e.name for e in ended} == predicted, (reports, first_epoch)
    for entry in ended:
        marker = json.loads((entry.run_dir / EARLY_STOP_FILE).read_text())
        assert marker["reason"] == "asha" and marker["epoch"] == 1 and marker["metric"] == "val_acc"
        assert len(entry.epoch_series("val_acc")) == 1 and (entry.run_dir / "checkpoint.pt").is_file()
        assert first_epoch[entry.name] < max(first_epoch.values())


def test_resuming_a_done_sweep_runs_nothing_and_best_names_a_trial(interrupted_then_resumed, capsys):
    plan, _, _, _ = interrupted_then_resumed
    assert cli.main(["sweep", "--resume", str(plan.root)]) == 0
    captured = capsys.readouterr()
    assert "4 already done" in captured.err and "w01=5_seed=2" in captured.out
    assert cli.main(["sweep", "best", str(plan.root), "--by", "val_loss"]) == 0
    out = capsys.readouterr().out
    best_name = out.split("best by val_loss: ")[1].split()[0]
    assert best_name in [t.name for t in plan.trials]
    assert f"ddarts train {plan.root / best_name}/genotypes/" in out


@pytest.mark.parametrize("args, words", [
    (["--grid", "w_abl=0,zero"], "w_abl: expected a number, got 'zero'"),
    (["--grid", "bogus=1,2"], "bogus: unknown search configuration field"),
    (["--grid", "w_abl=", "--seeds", "1"], "w_abl: empty grid"),
    (["--grid", "w_abl=1,1.0"], "w_abl: duplicate value 1"),
    (["--grid", "cells=3,4", "--lr", "-1"], "lr: must be > 0.0"),
    (["--seeds", "1", "--early-stop", "asha", "--cpus-per-trial", "0"], "cpus_per_trial: must be > 0"),
])
def test_bad_specs_are_refused_before_anything_runs(tmp_path, capsys, args, words):
    root = tmp_path / "never"
    assert cli.main(["sweep", *TINY, *args, "--out", str(root)]) == 2
    assert words in capsys.readouterr().err
    assert not root.exists()


def test_resume_keeps_its_plan(tmp_path, capsys):
    plan = synthetic_sweep(tmp_path / "s", {"w01": ("0", "5")}, (), lambda t: ([(1.0, 0.5, 0.0, 0.0)], "finished"))
    assert cli.main(["sweep", "--resume", str(plan.root), "--grid", "w01=1,2"]) == 2
    assert "--grid cannot be combined with --resume" in capsys.readouterr().err
    assert cli.main(["sweep", "--resume", str(plan.root), "--w01", "3"]) == 2
    assert "--w01 cannot be combined with --resume" in capsys.readouterr().err
    assert cli.main(["sweep", "best", str(plan.root), "extra"]) == 2


def test_ctrl_c_asks_every_trial_to_stop_through_the_stop_file(tmp_path, capsys):
    flag = _StopFlag(tmp_path / STOP_FILE)
    messages = []
    with StopOnSignals(flag, messages.append, STOP_MESSAGE):
        os.kill(os.getpid(), signal.SIGINT)
        assert flag.stop_requested and (tmp_path / STOP_FILE).exists()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C aborts at once
    assert messages == [STOP_MESSAGE]


def test_a_sweep_file_with_command_line_overrides(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("base: {dataset: digits, cells: 3, epochs: 1}\ngrid: {w01: [0, 7]}\nseeds: [4, 5]\n")
    root = tmp_path / "s"
    assert cli.main(["sweep", "--spec", str(spec), "--cells", "4", "--seeds", "6", "--out", str(root),
                     "--dry-run"]) == 0
    plan = read_plan(root)
    assert [t.name for t in plan.trials] == ["w01=0_seed=6", "w01=7_seed=6"]
    assert plan.trials[1].config.cells == 4 and plan.trials[1].config.w01 == 7.0 and plan.trials[1].config.epochs == 1
    assert cli.main(["sweep", "--spec", str(spec), "--grid", "w01=1,2", "--out", str(tmp_path / "t")]) == 2
    assert "w01: in both" in capsys.readouterr().err and not (tmp_path / "t").exists()


def test_best_without_a_genotype_says_so(tmp_path, capsys):
    plan = synthetic_sweep(tmp_path / "s", {"w01": ("0", "5")}, (),
                           lambda t: ([(1.0, 0.4 if t.varied["w01"] else 0.6, 0.0, 0.0)], "finished"))
    assert cli.main(["sweep", "best", str(plan.root)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("best by val_acc: w01=0 (best_val_acc 60.00%; finished; w01=0)")
    assert "no genotype yet" in out


def test_the_command_line_offers_the_ray_options_defaults():
    args = cli.build_parser().parse_args(["sweep", "--grid", "w01=0,5"])
    assert _ray_options(args) == RayOptions()
