"""DeriverPanel: Algorithm 1 strip, readable errors, background counts, export with progress."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import ddarts.export.formats
import ddarts.nets.count
from app.graphviz_render import LatestCall
from app.run_model import RunModel
from app.widgets.deriver_panel import DeriverPanel
from app.widgets.export_dialog import export_target
from ddarts.errors import DdartsError
from ddarts.genotype.derive import algorithm1
from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaSnapshot, RunStarted
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

CELLS = 8
LONG = 240_000  # ms: the machine running the tests may be busy


@pytest.fixture(autouse=True)
def _no_job_left_running():
    yield
    assert LatestCall.running_count() == 0, "a background job outlived its test"


@pytest.fixture
def model() -> RunModel:
    config = SearchConfig(dataset="cifar10", cells=CELLS, epochs=3, parse="sparse", threshold=0.85).to_dict()
    alphas = np.full((CELLS, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    alphas[:, [EDGES.index((2, 0)), EDGES.index((3, 1)), EDGES.index((4, 2))], PRIMITIVES.index("sep_conv_3x3")] = 3.0
    m = RunModel()
    m.apply([RunStarted(None, config, "cpu", CELLS, reduction_positions(CELLS), PRIMITIVES, 5, 15, 0, 0),
             AlphaSnapshot(0, 5, alphas, "sigmoid")])
    m.flush()
    return m


def make_panel(qtbot: QtBot, model: RunModel, channels: int = 4) -> DeriverPanel:
    panel = DeriverPanel(model)
    panel.channels_spin.setValue(channels)  # tiny networks: counting and exporting stay fast
    panel.resize(760, 520)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_strip_for_8_searched_cells_and_14_layers_marks_reductions_at_4_and_9(qtbot: QtBot, model: RunModel):
    panel = make_panel(qtbot, model)
    panel.set_layers(14)
    assert panel.message == ""
    boxes = panel.strip.boxes()
    assert len(boxes) == 14
    assert [pos for pos, _cell, reduction in boxes if reduction] == [4, 9]
    assert [cell for _pos, cell, _reduction in boxes] == algorithm1(CELLS, 14)
    assert boxes[4][1] == 2 and boxes[9][1] == 5  # the searched reduction cells fill the derived ones
    derived = panel.derivation.genotype
    searched = panel.derivation.source
    assert [derived.cells[i] for i in range(14)] == [searched.cells[c] for c in algorithm1(CELLS, 14)]
    assert panel.classes_spin.value() == 10  # from the run's dataset


def write_legacy_files(folder: Path) -> tuple[Path, Path]:
    """A D-DARTS nested file (8 cells, reductions stated as [2, 6]) and a DARTS pair, in their text formats."""
    cell = "[('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1), ('dil_conv_3x3', 3, 2), ('max_pool_3x3', 4, 1), " \
           "('sep_conv_5x5', 5, 4)]"
    nested = folder / "D-DARTS_threshold_sparse_demo_0.85_50.txt"
    nested.write_text(f"Genotype_nested(genes=[{', '.join([cell] * CELLS)}], reductions=[2, 6], concat=range(2, 6))")
    pair = folder / "DARTS_demo.txt"
    pair.write_text("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), "
                    "('sep_conv_3x3', 1), ('dil_conv_3x3', 2), ('skip_connect', 0), ('sep_conv_5x5', 1), "
                    "('avg_pool_3x3', 0)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
                    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), "
                    "('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])")
    return nested, pair


def test_legacy_files_derive_too(qtbot: QtBot, model: RunModel, tmp_path: Path):
    nested, pair = write_legacy_files(tmp_path)
    panel = make_panel(qtbot, model)
    panel.set_source_path(nested)
    panel.set_layers(14)
    assert panel.message == ""
    boxes = panel.strip.boxes()
    assert [pos for pos, _cell, reduction in boxes if reduction] == [4, 9]
    assert boxes[4][1] == 2 and boxes[9][1] == 6  # the file's own reduction cells, as it states them
    assert "8 searched cells" in panel.source_info.text()
    assert not panel.method_combo.isEnabled()  # a genotype file is already parsed

    fresh = make_panel(qtbot, model)
    fresh.set_source_path(pair)
    assert fresh.layers_spin.value() == 20  # a DARTS pair defaults to the CIFAR depth
    boxes = fresh.strip.boxes()
    assert len(boxes) == 20
    assert [pos for pos, cell, reduction in boxes if reduction] == [6, 13]
    assert {cell for _pos, cell, reduction in boxes if reduction} == {"R"}
    fresh.use_current_run()
    assert fresh.source_path is None and fresh.derivation.source.n_cells == CELLS


def test_another_run_folder_is_parsed_with_the_chosen_method_and_threshold(qtbot: QtBot, model: RunModel,
                                                                          tmp_path: Path):
    run = tmp_path / "run"
    (run / "alphas").mkdir(parents=True)
    config = SearchConfig(cells=6, parse="sparse", threshold=0.85).to_dict()
    (run / "config.json").write_text(json.dumps({"format_version": 1, "kind": "search", "config": config}))
    alphas = np.full((6, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    alphas[:, EDGES.index((2, 0)), PRIMITIVES.index("skip_connect")] = 3.0
    alphas[:, EDGES.index((3, 2)), PRIMITIVES.index("dil_conv_5x5")] = 1.2  # σ ≈ 0.77
    alphas[:, EDGES.index((4, 3)), PRIMITIVES.index("dil_conv_5x5")] = 1.2  # node 4 lives through node 3 only
    np.save(run / "alphas" / "epoch_002.npy", alphas)

    panel = make_panel(qtbot, model)
    panel.set_source_path(run)
    assert panel.method_combo.isEnabled() and panel.threshold_spin.isEnabled()
    assert panel.message == ""
    assert panel.derivation.source.cells[0] == (("skip_connect", 2, 0),)
    panel.threshold_spin.setValue(0.7)
    assert panel.derivation.source.cells[0] == (("skip_connect", 2, 0), ("dil_conv_5x5", 3, 2),
                                                ("dil_conv_5x5", 4, 3))
    assert "epoch 2" in panel.source_info.text()
    assert [pos for pos, _c, reduction in panel.strip.boxes() if reduction] == [4, 9]

    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    panel.set_source_path(not_a_run)
    assert "not a ddarts run folder" in panel.message and panel.derivation is None


def test_invalid_inputs_show_a_readable_message(qtbot: QtBot, model: RunModel, tmp_path: Path):
    panel = make_panel(qtbot, model)
    panel.set_layers(5)
    assert "5" in panel.message and "8 searched cells" in panel.message
    assert panel.strip.boxes() == [] and panel.derivation is None
    assert not panel.export.button.isEnabled()
    assert panel.layers_spin.property("invalid") is True
    panel.set_layers(14)
    assert panel.message == "" and panel.export.button.isEnabled()
    assert panel.layers_spin.property("invalid") is False

    missing = tmp_path / "nowhere.json"
    panel.set_source_path(missing)
    assert str(missing) in panel.message and panel.derivation is None

    bad = tmp_path / "bad.json"
    cells = [[["conv_9x9", 2, 0], ["skip_connect", 2, 1]] for _ in range(CELLS)]
    bad.write_text(json.dumps({"format_version": 1, "cells": cells, "reductions": [2, 5]}))
    panel.set_source_path(bad)
    assert "conv_9x9" in panel.message and "bad.json" in panel.message
    assert panel.last_message_box is None  # messages in the panel, never a dialog


def test_counts_run_off_the_gui_thread_and_only_the_newest_is_shown(qtbot: QtBot, model: RunModel, monkeypatch):
    real = ddarts.nets.count.describe_network
    gate = threading.Event()
    calls: list[tuple[int, int]] = []

    def recording(genotype, **options):
        calls.append((threading.get_ident(), options["init_channels"]))
        gate.wait(30)
        return real(genotype, **options)

    monkeypatch.setattr(ddarts.nets.count, "describe_network", recording)
    panel = make_panel(qtbot, model)
    panel.set_layers(CELLS)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=LONG)
    assert panel.stats_busy_visible and panel.stats is None
    panel.channels_spin.setValue(6)
    panel.channels_spin.setValue(8)
    gate.set()
    qtbot.waitUntil(lambda: panel.stats is not None and not panel.stats_busy_visible, timeout=LONG)

    assert all(thread != threading.main_thread().ident for thread, _c in calls)
    assert calls[0][1] == 4 and calls[-1][1] == 8 and 6 not in [c for _t, c in calls]
    expected = real(panel.derivation.genotype, init_channels=8, num_classes=10, input_kind="cifar")
    assert panel.stats == expected
    assert "Parameters" in panel.stats_label.text() and "Multiply-adds" in panel.stats_label.text()
    assert expected.params > expected.params_without_aux  # the auxiliary head is counted separately


def test_export_completes_with_the_progress_bar_at_100(qtbot: QtBot, model: RunModel, tmp_path: Path):
    panel = make_panel(qtbot, model)
    panel.set_layers(CELLS)
    seen: list[int] = []
    panel.export.progress_bar.valueChanged.connect(seen.append)
    with qtbot.waitSignal(panel.export_finished, timeout=LONG) as blocker:
        out_dir = panel.export_to(tmp_path / "export")
        assert panel.exporting and not panel.export.button.isEnabled()
    assert blocker.args == [str(out_dir)]
    assert out_dir == tmp_path / "export"
    assert (out_dir / "model.onnx").is_file() and (out_dir / "genotype.json").is_file()
    assert panel.export.progress_bar.value() == 100
    assert any(0 < value < 100 for value in seen), "export_network's progress callback fed the bar"
    box = panel.last_message_box
    assert box is not None and box.icon() == QMessageBox.Icon.Information and str(out_dir) in box.text()
    assert panel.export.button.isEnabled()
    box.close()


def test_export_failure_shows_an_error_box(qtbot: QtBot, model: RunModel, tmp_path: Path, monkeypatch):
    def failing(genotype, out_dir, *, progress, **options):
        progress(0.4, "tracing")
        raise DdartsError(f"{out_dir}: the disk is full")

    monkeypatch.setattr(ddarts.export.formats, "export_network", failing)
    panel = make_panel(qtbot, model)
    panel.set_layers(CELLS)
    (tmp_path / "keep.txt").write_text("mine")
    with qtbot.waitSignal(panel.export_failed, timeout=LONG) as blocker:
        out_dir = panel.export_to(tmp_path)
    assert out_dir == tmp_path / "ddarts-derived-8-layers"  # a non-empty folder is never replaced
    assert blocker.args == [f"{out_dir}: the disk is full"]
    box = panel.last_message_box
    assert box.icon() == QMessageBox.Icon.Critical and "the disk is full" in box.text()
    assert panel.export.progress_bar.value() == 40
    assert (tmp_path / "keep.txt").read_text() == "mine"
    box.close()


def test_export_target_picks_a_fresh_subfolder_for_a_non_empty_folder(tmp_path: Path):
    assert export_target(tmp_path / "new", 14) == tmp_path / "new"
    assert export_target(tmp_path, 14) == tmp_path  # empty
    (tmp_path / "file").write_text("x")
    assert export_target(tmp_path, 14) == tmp_path / "ddarts-derived-14-layers"
    (tmp_path / "ddarts-derived-14-layers").mkdir()
    assert export_target(tmp_path, 14) == tmp_path / "ddarts-derived-14-layers-2"


def test_follows_the_live_run_and_defers_work_while_hidden(qtbot: QtBot, model: RunModel):
    panel = make_panel(qtbot, model)
    first = panel.derivation.source
    alphas = np.full((CELLS, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    alphas[:, EDGES.index((2, 1)), PRIMITIVES.index("dil_conv_5x5")] = 3.0
    model.apply([AlphaSnapshot(1, 10, alphas, "sigmoid")])
    model.flush()
    assert panel.derivation.source.cells[0] == (("dil_conv_5x5", 2, 1),)
    assert panel.derivation.source != first

    panel.hide()
    alphas[:, EDGES.index((2, 0)), PRIMITIVES.index("skip_connect")] = 3.0
    model.apply([AlphaSnapshot(2, 15, alphas, "sigmoid")])
    model.flush()
    assert panel.derivation.source.cells[0] == (("dil_conv_5x5", 2, 1),)  # not re-derived while hidden
    panel.show()
    assert set(panel.derivation.source.cells[0]) == {("dil_conv_5x5", 2, 1), ("skip_connect", 2, 0)}
