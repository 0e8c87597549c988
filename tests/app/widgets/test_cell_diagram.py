"""CellDiagram: follows the search epoch by epoch, steps back, re-parses, explains dead cells and errors."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.graphviz_render import LatestCall
from app.run_model import RunModel
from app.widgets.cell_diagram import CellDiagram
from ddarts.errors import DdartsError
from ddarts.genotype.core import Genotype
from ddarts.genotype.diagram import render
from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaSnapshot, Finished, GenotypeParsed, RunStarted
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

CELLS = 4
SEP3 = PRIMITIVES.index("sep_conv_3x3")
DIL3 = PRIMITIVES.index("dil_conv_3x3")
STRONG_ROWS = (EDGES.index((2, 0)), EDGES.index((2, 1)), EDGES.index((3, 0)), EDGES.index((4, 1)))
MID_ROW = EDGES.index((3, 2))


@pytest.fixture(autouse=True)
def _no_render_left_running():
    yield
    assert LatestCall.running_count() == 0, "a render outlived its test"


def start(cells: int = CELLS, parse: str = "edge", threshold: float = 0.85) -> RunStarted:
    config = SearchConfig(cells=cells, epochs=10, parse=parse, threshold=threshold).to_dict()
    return RunStarted(None, config, "cpu", cells, reduction_positions(cells), PRIMITIVES, 5, 50, 0, 0)


def alphas(strong: float = 3.0, mid: float = 1.2, cells: int = CELLS) -> np.ndarray:
    """σ(strong) ≈ 0.95 on four edges (sep_conv_3x3), σ(mid) ≈ 0.77 on one more (dil_conv_3x3)."""
    a = np.full((cells, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    a[:, STRONG_ROWS, SEP3] = strong
    a[:, MID_ROW, DIL3] = mid
    return a


def snapshot(epoch: int, values: np.ndarray) -> AlphaSnapshot:
    return AlphaSnapshot(epoch, 5 * (epoch + 1), values, "sigmoid")


class Recorder:
    """A render function that records its threads and calls, optionally failing."""

    def __init__(self, error: Exception | None = None):
        self.threads: list[int] = []
        self.calls: list[str] = []
        self.error = error
        self.lock = threading.Lock()

    def __call__(self, dot: str) -> bytes:
        with self.lock:
            self.threads.append(threading.get_ident())
            self.calls.append(dot)
        if self.error is not None:
            raise self.error
        return render(dot)


@pytest.fixture
def model(qtbot: QtBot) -> RunModel:
    m = RunModel()
    m.apply([start(), snapshot(0, np.zeros((CELLS, len(EDGES), len(PRIMITIVES)), np.float32)),
             snapshot(1, alphas())])
    m.flush()
    return m


def make_diagram(qtbot: QtBot, model: RunModel, recorder: Recorder) -> CellDiagram:
    widget = CellDiagram(model, render_fn=recorder)
    widget.resize(460, 420)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_shows_the_latest_epoch_rendered_off_the_gui_thread(qtbot: QtBot, model: RunModel):
    recorder = Recorder()
    diagram = make_diagram(qtbot, model, recorder)
    qtbot.waitUntil(lambda: diagram.view.has_diagram, timeout=20_000)
    assert diagram.epoch == 1 and diagram.following
    assert diagram.header.text() == "Cell 0 (normal) · epoch 2 · 4 ops"
    assert recorder.threads and threading.main_thread().ident not in recorder.threads
    assert diagram.current is not None
    assert set(diagram.current.edges) == {("sep_conv_3x3", 2, 0), ("sep_conv_3x3", 2, 1),
                                          ("sep_conv_3x3", 3, 0), ("sep_conv_3x3", 4, 1)}


def test_follows_new_epochs_and_stepping_back_stops_following(qtbot: QtBot, model: RunModel):
    diagram = make_diagram(qtbot, model, Recorder())
    model.apply([snapshot(2, alphas(strong=4.0))])
    model.flush()
    assert diagram.epoch == 2 and diagram.epoch_label.text() == "3/10"

    qtbot.mouseClick(diagram.prev_button, Qt.MouseButton.LeftButton)
    assert diagram.epoch == 1 and not diagram.following
    model.apply([snapshot(3, alphas())])
    model.flush()
    assert diagram.epoch == 1, "a user looking back is not dragged to the new epoch"
    assert diagram.epoch_slider.maximum() == 3

    diagram.set_following(True)
    assert diagram.epoch == 3
    diagram.epoch_slider.setValue(0)  # dragging the slider back also stops following
    assert not diagram.following and diagram.epoch == 0
    diagram.step_epoch(+1)
    assert diagram.epoch == 1


def test_redraws_only_when_the_parsed_cell_changes(qtbot: QtBot, model: RunModel):
    recorder = Recorder()
    diagram = make_diagram(qtbot, model, recorder)
    qtbot.waitUntil(lambda: diagram.view.has_diagram, timeout=20_000)
    calls = len(recorder.calls)
    model.apply([snapshot(2, alphas(strong=5.0, mid=0.5))])  # other numbers, same parse at 0.85
    model.flush()
    assert diagram.epoch == 2
    diagram.renderer.wait()
    assert len(recorder.calls) == calls
    assert "epoch 3" in diagram.header.text()


def test_threshold_change_reparses(qtbot: QtBot, model: RunModel):
    recorder = Recorder()
    diagram = make_diagram(qtbot, model, recorder)
    qtbot.waitUntil(lambda: diagram.view.has_diagram, timeout=20_000)
    calls = len(recorder.calls)
    diagram.set_threshold(0.7)
    assert diagram.header.text().endswith("5 ops")
    assert ("dil_conv_3x3", 3, 2) in diagram.current.edges
    qtbot.waitUntil(lambda: len(recorder.calls) == calls + 1 and not diagram.renderer.busy, timeout=20_000)
    assert "dil_conv_3x3" in recorder.calls[-1]
    diagram.set_method("darts")  # the threshold does not apply to darts parsing
    assert not diagram.threshold_spin.isEnabled()
    assert diagram.current.genotype.method == "darts"


def test_dead_cell_shows_a_message_instead_of_an_empty_picture(qtbot: QtBot, model: RunModel):
    recorder = Recorder()
    diagram = make_diagram(qtbot, model, recorder)
    diagram.set_epoch(0)  # every σ(α) is 0.5 < 0.85
    assert diagram.header.text() == "Cell 0 (normal) · epoch 1 · 0 ops"
    assert not diagram.view.has_diagram
    assert "no live node" in diagram.view.message and "0.85" in diagram.view.message
    diagram.set_threshold(0.5)  # now every op passes
    qtbot.waitUntil(lambda: diagram.view.has_diagram, timeout=20_000)
    assert diagram.view.message == ""


def test_render_error_is_shown_in_the_view(qtbot: QtBot, model: RunModel):
    diagram = make_diagram(qtbot, model, Recorder(DdartsError("no Graphviz engine found: install Graphviz")))
    qtbot.waitUntil(lambda: "no Graphviz engine found" in diagram.view.message, timeout=20_000)
    assert "Cannot draw" in diagram.view.message


def test_selected_cell_follows_the_model(qtbot: QtBot, model: RunModel):
    diagram = make_diagram(qtbot, model, Recorder())
    model.set_selected_cell(1)
    model.flush()  # the views refresh in the model's queue
    assert diagram.header.text().startswith("Cell 1 (reduction)")
    assert diagram.current.cell == 1


def test_runs_without_alpha_fall_back_to_stored_genotypes(qtbot: QtBot):
    cell = (("skip_connect", 2, 0), ("max_pool_3x3", 3, 1), ("sep_conv_5x5", 4, 2), ("dil_conv_5x5", 5, 3))
    genotype = Genotype(cells=(cell,) * CELLS, reductions=reduction_positions(CELLS), method="sparse",
                        threshold=0.85)
    model = RunModel()
    model.apply([start(parse="sparse"), GenotypeParsed(0, "sparse", 0.85, genotype),
                 GenotypeParsed(1, "sparse", 0.85, genotype)])
    model.flush()
    diagram = make_diagram(qtbot, model, Recorder())
    assert diagram.epoch == 1
    assert diagram.header.text() == "Cell 0 (normal) · epoch 2 · 4 ops"
    qtbot.waitUntil(lambda: diagram.view.has_diagram, timeout=20_000)

    only_final = RunModel()
    only_final.apply([start(parse="sparse"), Finished(9, 50, 1.0, {"sparse": genotype})])
    only_final.flush()
    final_view = make_diagram(qtbot, only_final, Recorder())
    assert final_view.epoch is None
    assert final_view.header.text() == "Cell 0 (normal) · final · 4 ops"


def test_a_new_run_resets_parse_settings(qtbot: QtBot, model: RunModel):
    from ddarts.runs import RunState

    diagram = make_diagram(qtbot, model, Recorder())
    diagram.set_threshold(0.6)
    diagram.set_following(False)
    state = RunState()
    state.apply(start(parse="sparse", threshold=0.9))
    model.reset(state)
    model.flush()  # the views refresh in the model's queue
    assert diagram.method == "sparse" and diagram.threshold == pytest.approx(0.9)
    assert diagram.following and diagram.epoch is None
    assert "first epoch" in diagram.view.message
