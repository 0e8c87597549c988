"""Training recipes and their learning-rate schedules, checked on the resolved config and the lr sequence."""

import pytest
import torch

from ddarts.config import ConfigError
from ddarts.train.config import TrainConfig
from ddarts.train.recipes import default_recipe
from ddarts.train.schedule import make_scheduler


def _lrs(config: TrainConfig, epochs: int) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    scheduler = make_scheduler(optimizer, config)
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_imagenet_mobile_recipe_is_darts_mobile_setting():
    cfg = TrainConfig.from_recipe("imagenet-mobile")
    assert (cfg.dataset, cfg.init_channels, cfg.layers, cfg.batch_size, cfg.epochs) == ("imagenet", 48, 14, 128, 250)
    assert (cfg.lr, cfg.momentum, cfg.weight_decay, cfg.lr_schedule, cfg.lr_decay) == (0.1, 0.9, 3e-5, "step", 0.97)
    assert (cfg.smoothing, cfg.auxiliary_weight, cfg.cutout, cfg.recipe) == (0.1, 0.4, 0, "imagenet-mobile")
    assert _lrs(cfg, 4) == pytest.approx([0.1, 0.097, 0.09409, 0.0912673])


def test_cifar_recipe_names_the_defaults_and_anneals_to_lr_min():
    cfg = TrainConfig.from_recipe("cifar")
    assert cfg == TrainConfig() and cfg.recipe == "cifar"
    lrs = _lrs(cfg.replace(epochs=4), 5)
    assert lrs[0] == 0.025 and lrs[2] == pytest.approx(0.0125) and lrs[4] == pytest.approx(0.0)


def test_explicit_values_override_the_recipe_and_bad_names_are_errors():
    cfg = TrainConfig.from_recipe("imagenet-mobile", epochs=400, lr_decay=0.9, dataset="digits")
    assert (cfg.epochs, cfg.lr_decay, cfg.dataset, cfg.lr, cfg.recipe) == (400, 0.9, "digits", 0.1, "imagenet-mobile")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg  # the recipe and schedule round-trip through config.json
    with pytest.raises(ConfigError, match="recipe: 'mobile' is not one of cifar, imagenet-mobile"):
        TrainConfig.from_recipe("mobile")
    with pytest.raises(ConfigError, match="lr_decay: must be > 0.0"):
        TrainConfig(lr_decay=0.0)
    assert (default_recipe("imagenet"), default_recipe("cifar100"), default_recipe(None)) == \
        ("imagenet-mobile", "cifar", "cifar")


def test_configs_written_before_recipes_existed_still_load():
    old = {k: v for k, v in TrainConfig().to_dict().items() if k not in ("recipe", "lr_schedule", "lr_decay")}
    assert TrainConfig.from_dict(old).lr_schedule == "cosine"
