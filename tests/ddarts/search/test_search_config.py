import pytest

from ddarts.search.config import ConfigError, SearchConfig


def test_the_old_name_of_the_constant_mode_is_still_read():
    assert SearchConfig.from_dict({"ablation_grad": "none"}).ablation_grad == "constant"
    assert SearchConfig(ablation_grad="none") == SearchConfig(ablation_grad="constant")
    with pytest.raises(ConfigError, match="ablation_grad: 'zero' is not one of exact, constant"):
        SearchConfig(ablation_grad="zero")


def test_paper_settings_are_the_defaults():
    cfg = SearchConfig()
    assert (cfg.loss, cfg.ablation_grad, cfg.w01, cfg.w_abl, cfg.threshold) == ("ablation", "exact", 7.0, -0.5, 0.8)


def test_w_abl_takes_either_sign_and_the_floor_is_not_negative():
    assert SearchConfig(w_abl=-0.5).w_abl == -0.5
    with pytest.raises(ConfigError, match="ablation_eps: must be >= 0"):
        SearchConfig(ablation_eps=-1e-3)
