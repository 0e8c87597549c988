import pytest

from ddarts.config import ConfigError
from ddarts.sweep import build_spec, read_spec_file
from ddarts.sweep.spec import parse_grid_option, parse_seeds, trial_name

BASE = {"dataset": "digits", "cells": 3, "init_channels": 2, "batch_size": 8, "epochs": 1, "steps_per_epoch": 2}


def spec(*grid, seeds=()):
    return build_spec(BASE, [parse_grid_option(g) for g in grid], tuple(seeds))


def test_grid_and_seeds_give_every_combination_seed_fastest():
    trials = spec("w_abl=0,0.5", seeds=(1, 2)).trials()
    assert [t.name for t in trials] == ["w_abl=0_seed=1", "w_abl=0_seed=2", "w_abl=0.5_seed=1", "w_abl=0.5_seed=2"]
    assert trials[2].config.w_abl == 0.5 and trials[2].config.seed == 1 and trials[2].config.cells == 3
    assert trials[0].varied == {"w_abl": 0.0, "seed": 1}


def test_values_take_the_field_type_and_dashes_are_allowed():
    trials = spec("--loss=fair,ablation", "steps-per-epoch=none,3", "amp=false").trials()
    assert {(t.config.loss, t.config.steps_per_epoch, t.config.amp) for t in trials} == {
        ("fair", None, False), ("fair", 3, False), ("ablation", None, False), ("ablation", 3, False)}


@pytest.mark.parametrize("grid, seeds, field, words", [
    (["w_ab=0,1"], (), "w_ab", "unknown search configuration field"),
    (["w01=0,-1"], (), "w01", "must be >= 0.0"),
    (["cells=3,x"], (), "cells", "expected an integer"),
    (["loss=fair,lt"], (), "loss", "'lt' is not one of"),
    (["w_abl="], (), "w_abl", "empty grid"),
    (["w_abl=0.5,0.50"], (), "w_abl", "duplicate value 0.5"),
    (["w_abl=0,1", "w_abl=2"], (), "w_abl", "given twice"),
    (["seed=1,2"], (1, 2), "seed", "both in the grid and as --seeds"),
    ([], (1, 1), "seed", "duplicate seed 1"),
    ([], (), "grid", "nothing varies"),
    (["w_abl"], (), "grid", "expected FIELD=V1,V2"),
])
def test_bad_specs_are_refused_naming_the_field(grid, seeds, field, words):
    with pytest.raises(ConfigError) as info:
        build_spec(BASE, [parse_grid_option(g) for g in grid], seeds)
    assert info.value.field == field and words in str(info.value)


def test_combinations_are_checked_together():
    with pytest.raises(ConfigError, match="lr_min: must not exceed lr"):
        build_spec({**BASE, "lr_min": 0.004}, [parse_grid_option("lr=0.01,0.002")])


def test_seed_list_parsing():
    assert parse_seeds("1, 2,3") == (1, 2, 3)
    with pytest.raises(ConfigError, match="seed"):
        parse_seeds("1,x")
    with pytest.raises(ConfigError, match="empty list of seeds"):
        parse_seeds(" ")


def test_trial_names_are_file_system_safe():
    assert trial_name({"data_dir": "a/b c", "amp": True, "steps_per_epoch": None}) == \
        "data_dir=a-b-c_amp=true_steps_per_epoch=none"


def test_sweep_files_yaml_and_json(tmp_path):
    yaml_file = tmp_path / "s.yaml"
    yaml_file.write_text("base:\n  dataset: digits\n  cells: 3\ngrid:\n  w01: [0, 5]\nseeds: [1, 2]\n")
    data = read_spec_file(yaml_file)
    built = build_spec(data["base"], data["grid"], parse_seeds(data["seeds"]))
    assert [t.name for t in built.trials()] == ["w01=0_seed=1", "w01=0_seed=2", "w01=5_seed=1", "w01=5_seed=2"]
    assert built.trials()[2].config.w01 == 5.0
    (tmp_path / "bad.yaml").write_text("grid: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_spec_file(tmp_path / "bad.yaml")
    (tmp_path / "typo.json").write_text('{"grids": {"w01": [0]}}')
    with pytest.raises(ConfigError) as info:
        read_spec_file(tmp_path / "typo.json")
    assert info.value.field == "grids"
    (tmp_path / "tag.yaml").write_text("base: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_spec_file(tmp_path / "tag.yaml")
