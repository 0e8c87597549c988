import pytest

from ddarts.config import ConfigError
from ddarts.sweep.options import RayOptions


@pytest.mark.parametrize("kwargs, field", [
    ({"early_stop": "hyperband"}, "early_stop"), ({"metric": "speed"}, "metric"), ({"cpus_per_trial": 0}, "cpus_per_trial"),
    ({"gpus_per_trial": 1.5}, "gpus_per_trial"), ({"gpus_per_trial": -1}, "gpus_per_trial"), ({"cpus": 0}, "cpus"),
    ({"max_concurrent": 0}, "max_concurrent"), ({"reduction_factor": 1}, "reduction_factor"),
])
def test_bad_ray_options_name_the_option(kwargs, field):
    with pytest.raises(ConfigError) as info:
        RayOptions(**kwargs)
    assert info.value.field == field


def test_gpu_fractions_and_whole_gpus_are_fine():
    assert RayOptions(gpus_per_trial=0.25).gpus_per_trial == 0.25
    assert RayOptions(gpus_per_trial=2, early_stop="asha").early_stop == "asha"
