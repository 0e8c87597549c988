"""Search presets: the shipped ones are valid; a broken file is reported by name and field."""

from __future__ import annotations

import json

from app.presets import load_presets
from ddarts.search.config import SearchConfig


def test_shipped_presets_are_valid_and_ordered():
    presets, problems = load_presets()
    assert problems == []
    names = [p.name for p in presets]
    assert len(names) == 3 and names[-1] == "Quick CPU demo (digits)"
    lt, lf, demo = (p.config() for p in presets)
    assert (lt.dataset, lt.loss, lt.cells, lt.batch_size, lt.epochs, lt.w01, lt.w_abl) == \
        ("cifar100", "ablation", 8, 72, 50, 7.0, -0.5)
    # the paper presets state the same settings as the CLI defaults (docs/search.md)
    defaults = SearchConfig()
    assert (lt.ablation_grad, lt.threshold, lt.w01, lt.w_abl) == \
        (defaults.ablation_grad, defaults.threshold, defaults.w01, defaults.w_abl)
    assert lf.loss == "fair" and lf.dataset == "cifar100"
    assert demo.dataset == "digits" and demo.device == "cpu" and not demo.amp


def test_broken_presets_are_reported_not_loaded(tmp_path):
    (tmp_path / "good.json").write_text(json.dumps({"name": "Good", "config": {"cells": 5}}))
    (tmp_path / "bad_field.json").write_text(json.dumps({"name": "Bad", "config": {"cells": 2}}))
    (tmp_path / "typo.json").write_text(json.dumps({"name": "Typo", "config": {"cellz": 5}}))
    (tmp_path / "not_json.json").write_text("{")
    presets, problems = load_presets(tmp_path)
    assert [p.name for p in presets] == ["Good"]
    assert len(problems) == 3
    joined = "\n".join(problems)
    assert "bad_field.json" in joined and "cells" in joined
    assert "typo.json" in joined and "cellz" in joined
    assert "not_json.json" in joined
