from recorded_sweep import plan_sweep

from ddarts.search.config import SearchConfig
from ddarts.sweep.options import RayOptions
from ddarts.sweep.ray_runner import _trial_config, gpus_per_trial


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
