import json

from recorded_sweep import plan_sweep, synthetic_sweep

from ddarts.search.config import SearchConfig
from ddarts.sweep import load_runs
from ddarts.sweep.options import RayOptions
from ddarts.sweep.plan import EARLY_STOP_FILE, STOP_FILE
from ddarts.sweep.ray_runner import _mark_if_ended_early, _trial_config, gpus_per_trial
from ddarts.sweep.runs import RunEntry


def test_one_gpu_per_trial_by_default_when_the_cluster_has_gpus(tmp_path):
    auto = plan_sweep(tmp_path / "auto", {"w01": ("0", "5")}, device="auto")
    names = [t.name for t in auto.trials]
    assert gpus_per_trial(auto, names, RayOptions(), cluster_gpus=8) == 1.0
    assert gpus_per_trial(auto, names, RayOptions(), cluster_gpus=0) == 0.0
    assert gpus_per_trial(auto, names, RayOptions(gpus_per_trial=0.25), cluster_gpus=8) == 0.25
    cpu = plan_sweep(tmp_path / "cpu", {"w01": ("0", "5")}, device="cpu")
    assert gpus_per_trial(cpu, names, RayOptions(), cluster_gpus=8) == 0.0


def test_trials_use_the_gpu_ray_gives_them():
    assert _trial_config(SearchConfig(device="cuda:3"), 0.5).device == "cuda"
    assert _trial_config(SearchConfig(device="auto"), 1.0).device == "cuda"
    assert _trial_config(SearchConfig(device="auto"), 0.0).device == "cpu"
    assert _trial_config(SearchConfig(device="cpu"), 0.0).device == "cpu"


def test_only_a_trial_left_open_by_the_scheduler_is_marked_as_ended_early(tmp_path):
    status = {"w01=0_seed=1": "running", "w01=5_seed=1": "finished", "w01=9_seed=1": "stopped"}
    plan = synthetic_sweep(tmp_path / "s", {"w01": ("0", "5", "9")}, (1,),
                           lambda t: ([(1.0, 0.25, 0.0, 0.0)], status[t.name]))
    asha = RayOptions(early_stop="asha")
    for trial in plan.trials:
        _mark_if_ended_early(RunEntry(trial.name, plan.run_dir(trial), {}), asha, {"epoch": 1, "val_acc": 0.25},
                             plan.root)
    marked = {e.name for e in load_runs([plan.root]).entries if e.status == "early_stopped"}
    assert marked == {"w01=0_seed=1"}
    marker = json.loads((plan.run_dir("w01=0_seed=1") / EARLY_STOP_FILE).read_text())
    assert (marker["reason"], marker["epoch"], marker["metric"], marker["value"]) == ("asha", 1, "val_acc", 0.25)


def test_a_trial_the_user_stopped_is_not_marked_as_ended_early(tmp_path):
    plan = synthetic_sweep(tmp_path / "s", {"w01": ("0",)}, (1,), lambda t: ([(1.0, 0.25, 0.0, 0.0)], "running"))
    (plan.root / STOP_FILE).write_text("")
    trial = plan.trials[0]
    _mark_if_ended_early(RunEntry(trial.name, plan.run_dir(trial), {}), RayOptions(early_stop="asha"), {}, plan.root)
    assert not (plan.run_dir(trial) / EARLY_STOP_FILE).exists()
