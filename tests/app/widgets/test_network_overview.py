"""NetworkOverview: the whole network's diagram, cell selection by clicking a cell box."""

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
from app.widgets.network_overview import NetworkOverview, cell_elements
from ddarts.errors import DdartsError
from ddarts.genotype.diagram import render
from ddarts.search.config import SearchConfig
from ddarts.search.events import AlphaSnapshot, RunStarted
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions

CELLS = 5


@pytest.fixture(autouse=True)
def _no_render_left_running():
    yield
    assert LatestCall.running_count() == 0, "a render outlived its test"


def alphas(strong_rows: tuple[int, ...]) -> np.ndarray:
    a = np.full((CELLS, len(EDGES), len(PRIMITIVES)), -3.0, np.float32)
    a[:, strong_rows, PRIMITIVES.index("sep_conv_3x3")] = 3.0
    return a


@pytest.fixture
def model() -> RunModel:
    config = SearchConfig(cells=CELLS, epochs=4, parse="sparse", threshold=0.85).to_dict()
    m = RunModel()
    m.apply([RunStarted(None, config, "cpu", CELLS, reduction_positions(CELLS), PRIMITIVES, 5, 20, 0, 0),
             AlphaSnapshot(0, 5, alphas((0, 1, 2)), "sigmoid")])
    m.flush()
    return m


class Recorder:
    def __init__(self, error: Exception | None = None):
        self.calls: list[str] = []
        self.threads: list[int] = []
        self.error = error

    def __call__(self, dot: str) -> bytes:
        self.calls.append(dot)
        self.threads.append(threading.get_ident())
        if self.error is not None:
            raise self.error
        return render(dot)


def make_overview(qtbot: QtBot, model: RunModel, recorder: Recorder) -> NetworkOverview:
    widget = NetworkOverview(model, render_fn=recorder)
    widget.resize(900, 260)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_overview_shows_every_cell_of_the_current_genotype(qtbot: QtBot, model: RunModel):
    recorder = Recorder()
    overview = make_overview(qtbot, model, recorder)
    qtbot.waitUntil(lambda: overview.view.has_diagram and bool(overview.cell_rects), timeout=20_000)
    assert threading.main_thread().ident not in recorder.threads
    assert overview.header.text() == "Network · 5 cells (reductions 1, 3) · sparse parse at 0.85 · epoch 1"
    rects = overview.cell_rects
    assert sorted(rects) == list(range(CELLS))
    lefts = [rects[i].left() for i in range(CELLS)]
    assert lefts == sorted(lefts), "cells are laid out left to right in network order"
    assert overview.genotype.cells[0] == (("sep_conv_3x3", 2, 0), ("sep_conv_3x3", 2, 1), ("sep_conv_3x3", 3, 0))


def test_clicking_a_cell_box_selects_that_cell(qtbot: QtBot, model: RunModel):
    overview = make_overview(qtbot, model, Recorder())
    qtbot.waitUntil(lambda: bool(overview.cell_rects), timeout=20_000)
    target = overview.cell_rects[3].center()
    with qtbot.waitSignal(model.selected_cell_changed, timeout=2_000) as blocker:
        qtbot.mouseClick(overview.view.viewport(), Qt.MouseButton.LeftButton, pos=overview.view.mapFromScene(target))
    assert blocker.args == [3] and model.selected_cell == 3
    highlight = [item for item in overview.view.scene().items() if item.zValue() == 10]
    assert len(highlight) == 1 and highlight[0].isVisible()
    assert highlight[0].rect().contains(overview.cell_rects[3])

    gap = overview.cell_rects[0].topLeft()
    gap.setY(gap.y() - 50)  # above the boxes: nothing selected
    assert overview.select_cell_at(gap) is None and model.selected_cell == 3


def test_redraws_only_when_the_genotype_changes(qtbot: QtBot, model: RunModel):
    recorder = Recorder()
    overview = make_overview(qtbot, model, recorder)
    qtbot.waitUntil(lambda: overview.view.has_diagram, timeout=20_000)
    calls = len(recorder.calls)
    model.apply([AlphaSnapshot(1, 10, alphas((0, 1, 2)) * 1.5, "sigmoid")])
    model.flush()
    overview.renderer.wait()
    assert len(recorder.calls) == calls
    model.apply([AlphaSnapshot(2, 15, alphas((0, 1, 2, 5)), "sigmoid")])
    model.flush()
    qtbot.waitUntil(lambda: len(recorder.calls) == calls + 1 and not overview.renderer.busy, timeout=20_000)
    assert "epoch 3" in overview.header.text()


def test_render_error_is_readable(qtbot: QtBot, model: RunModel):
    overview = make_overview(qtbot, model, Recorder(DdartsError("no Graphviz engine found")))
    qtbot.waitUntil(lambda: "no Graphviz engine found" in overview.view.message, timeout=20_000)
    assert overview.cell_rects == {}


def test_cell_elements_reads_graphviz_node_titles():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><g id="graph0" class="graph">'
           b'<g id="node1" class="node"><title>stem</title></g>'
           b'<g id="node2" class="node"><title>cell0</title></g>'
           b'<g id="node7" class="node"><title>cell12</title></g>'
           b'<g id="edge1" class="edge"><title>cell0&#45;&gt;cell12</title></g></g></svg>')
    assert cell_elements(svg) == {0: "node2", 12: "node7"}
    assert cell_elements(b"not xml") == {}


def test_behind_another_tab_it_waits_and_draws_once_shown(qtbot: QtBot, model: RunModel):
    from PySide6.QtWidgets import QLabel, QTabWidget

    recorder = Recorder()
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("in front"), "front")
    overview = NetworkOverview(model, render_fn=recorder)
    tabs.addTab(overview, "network")
    tabs.show()
    qtbot.waitExposed(tabs)
    overview.renderer.wait()
    calls = len(recorder.calls)  # the epoch-1 network, drawn while the tab widget was not shown yet
    model.apply([AlphaSnapshot(1, 10, alphas((0, 3, 5)), "sigmoid")])
    model.flush()
    overview.renderer.wait()
    assert len(recorder.calls) == calls and "epoch 1" in overview.header.text()  # nobody sees it: no parse
    tabs.setCurrentWidget(overview)
    qtbot.waitUntil(lambda: len(recorder.calls) == calls + 1, timeout=20_000)
    assert "epoch 2" in overview.header.text()
