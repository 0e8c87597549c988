"""Configuration options: one metadata table per config, config files (JSON/YAML), --print-config, the same flag
names across sub-commands, old spellings with a note, each default stated once in --help."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields

import pytest

from ddarts.cli import build_parser, main
from ddarts.config import missing_metadata
from ddarts.search.config import SearchConfig
from ddarts.search.fields import FIELDS as SEARCH_FIELDS
from ddarts.train.config import TrainConfig
from ddarts.train.fields import FIELDS as TRAIN_FIELDS

GENOTYPE = "tests/data/reference-genotypes/DARTS_V2.txt"


def subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def options(name: str) -> dict[str, list[str]]:
    return {a.dest: a.option_strings for a in subparser(name)._actions if a.help != argparse.SUPPRESS}


def printed(capsys, *argv: str) -> dict:
    assert main([*argv, "--print-config"]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_config_field_is_described_once_and_validated_from_it():
    assert missing_metadata(SearchConfig, SEARCH_FIELDS) == [] and missing_metadata(TrainConfig, TRAIN_FIELDS) == []
    assert set(SEARCH_FIELDS) == {f.name for f in fields(SearchConfig)}
    with pytest.raises(ValueError, match="cells: must be >= 3"):
        SearchConfig(cells=SEARCH_FIELDS["cells"].lo - 1)
    with pytest.raises(ValueError, match="stem: 'tiny' is not one of auto, cifar, imagenet"):
        TrainConfig(stem="tiny")


def test_yaml_and_json_files_with_options_on_top(tmp_path, capsys):
    yaml_file = tmp_path / "search.yaml"
    yaml_file.write_text("dataset: digits\ncells: 5\nw_abl: 0.25  # a comment\n")
    config = printed(capsys, "search", "--config", str(yaml_file), "--cells", "6")
    assert config["dataset"] == "digits" and config["w_abl"] == 0.25 and config["cells"] == 6
    json_file = tmp_path / "train.json"
    json_file.write_text(json.dumps({"epochs": 3, "dataset": "digits", "deterministic": True}))
    config = printed(capsys, "train", GENOTYPE, "--config", str(json_file), "--lr", "0.1")
    assert config["epochs"] == 3 and config["lr"] == 0.1 and config["deterministic"] is True
    header = tmp_path / "config.json"  # a search run's own config.json is a config file too ...
    header.write_text(json.dumps({"kind": "search", "format_version": 1, "config": {"cells": 4}}))
    assert printed(capsys, "search", "--config", str(header))["cells"] == 4
    assert main(["train", GENOTYPE, "--config", str(header), "--print-config"]) == 2  # ... of its own kind only
    assert "not of a train run" in capsys.readouterr().err


@pytest.mark.parametrize("text,suffix,message", [
    ("cells: [1, 2", ".yaml", "not valid YAML"),
    ("cells: 5", ".json", "not valid JSON"),
    ("- 1\n- 2\n", ".yml", "must hold a mapping"),
    ("{\"cellz\": 5}", ".json", "cellz: unknown configuration field"),
])
def test_bad_config_files_get_one_clear_line(tmp_path, capsys, text, suffix, message):
    path = tmp_path / f"c{suffix}"
    path.write_text(text)
    assert main(["search", "--config", str(path), "--print-config"]) == 2
    assert message in capsys.readouterr().err


def test_same_flag_names_across_sub_commands_and_old_spellings_still_work(capsys):
    search, train = options("search"), options("train")
    shared = set(SEARCH_FIELDS) & set(TRAIN_FIELDS) - {"source"}
    assert {name: search[name] for name in shared} == {name: train[name] for name in shared}
    assert search["data_dir"] == ["--data"] and search["num_workers"] == ["--workers"]
    assert "-o" in search["out"] and "-o" in train["out"]
    config = printed(capsys, "search", "--data-dir", "elsewhere", "--num-workers", "1")
    assert config["data_dir"] == "elsewhere" and config["num_workers"] == 1
    # printed() consumed stdout; the notes went to stderr
    assert main(["search", "--data-dir", "x", "--print-config"]) == 0
    err = capsys.readouterr().err
    assert "--data-dir is deprecated; use --data" in err


def test_help_states_each_default_once():
    for name in ("search", "train"):
        for action in subparser(name)._actions:
            text = action.help or ""
            assert text.count("default") <= 1 and "default: None" not in text, (name, action.dest, text)
        assert "(default: 16)" in subparser("search").format_help()
