"""Off-thread Graphviz rendering (coalescing, stale results, errors, shutdown) and the zoomable SVG view."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.graphviz_render import GraphvizRenderer, LatestCall
from app.widgets.svg_view import SvgView
from ddarts.errors import DdartsError
from ddarts.genotype.core import Genotype
from ddarts.genotype.diagram import cell_dot, render

CELL = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1), ("dil_conv_3x3", 3, 2), ("max_pool_3x3", 4, 0),
        ("sep_conv_5x5", 5, 3))
TINY = Genotype(cells=(CELL, CELL, CELL), reductions=(1, 2))


@pytest.fixture(autouse=True)
def _no_render_left_running():
    yield
    assert LatestCall.running_count() == 0, "a background job outlived its test"


def _svg(nodes: int) -> bytes:
    chain = " -> ".join(f"n{i}" for i in range(nodes))
    return render(f"digraph {{ rankdir=LR; {chain}; }}")


def test_render_runs_off_the_gui_thread_and_the_view_shows_the_svg(qtbot: QtBot):
    threads: list[int] = []

    def recording_render(dot: str) -> bytes:
        threads.append(threading.get_ident())
        return render(dot)

    renderer = GraphvizRenderer(render_fn=recording_render)
    view = SvgView()
    qtbot.addWidget(view)
    renderer.rendered.connect(lambda _rid, svg: view.set_svg(svg))
    with qtbot.waitSignal(renderer.rendered, timeout=20_000) as blocker:
        request_id = renderer.request(cell_dot(TINY, 0))
    renderer.shutdown()

    assert threads and all(t != threading.main_thread().ident for t in threads)
    rid, svg = blocker.args
    assert rid == request_id
    assert isinstance(svg, bytes) and b"<svg" in svg
    assert view.has_diagram and view.message == ""
    assert view.renderer is not None and view.renderer.isValid()


def test_burst_of_requests_renders_first_and_last_only_and_reports_the_last(qtbot: QtBot):
    gate = threading.Event()
    rendered_sources: list[str] = []

    def slow_render(dot: str) -> bytes:
        gate.wait(10)
        rendered_sources.append(dot)
        return dot.encode()

    renderer = GraphvizRenderer(render_fn=slow_render)
    received: list[tuple[int, bytes]] = []
    renderer.rendered.connect(lambda rid, data: received.append((rid, data)))
    ids = [renderer.request(f"graph {i}") for i in range(5)]
    assert renderer.busy
    gate.set()
    qtbot.waitUntil(lambda: not renderer.busy, timeout=10_000)
    renderer.shutdown()

    assert rendered_sources == ["graph 0", "graph 4"]  # 1..3 were replaced before they started
    assert received == [(ids[-1], b"graph 4")]  # graph 0 finished stale and was dropped


def test_render_errors_arrive_as_messages(qtbot: QtBot):
    def broken(dot: str) -> bytes:
        if "bug" in dot:
            raise KeyError("oops")
        raise DdartsError("no Graphviz engine found: install Graphviz")

    renderer = GraphvizRenderer(render_fn=broken)
    with qtbot.waitSignal(renderer.failed, timeout=10_000) as blocker:
        renderer.request("digraph {}")
    assert blocker.args[1] == "no Graphviz engine found: install Graphviz"
    with qtbot.waitSignal(renderer.failed, timeout=10_000) as blocker:
        renderer.request("bug")
    assert blocker.args[1].startswith("KeyError")
    renderer.shutdown()


def test_cancel_drops_the_running_result(qtbot: QtBot):
    gate = threading.Event()
    renderer = GraphvizRenderer(render_fn=lambda dot: (gate.wait(10), dot.encode())[1])
    received: list = []
    renderer.rendered.connect(lambda rid, data: received.append(data))
    renderer.request("a")
    renderer.cancel()
    assert not renderer.busy
    gate.set()
    renderer.wait()
    qtbot.wait(50)
    renderer.shutdown()
    assert received == []


def test_shutdown_waits_for_the_running_job_and_refuses_new_work(qtbot: QtBot):
    started = threading.Event()

    def slow(dot: str) -> bytes:
        started.set()
        time.sleep(0.3)
        return b"<svg/>"

    renderer = GraphvizRenderer(render_fn=slow)
    renderer.request("x")
    assert started.wait(5)
    renderer.shutdown()
    assert LatestCall.running_count() == 0
    assert renderer.request("y") == 0 and renderer.closed


# ---------------------------------------------------------------------------------------------- SvgView
@pytest.fixture
def view(qtbot: QtBot) -> SvgView:
    widget = SvgView()
    widget.resize(400, 300)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_wheel_zooms_around_the_cursor(view: SvgView, qtbot: QtBot):
    view.set_svg(render(cell_dot(TINY, 0)))
    view.zoom_by(3.0)
    scene = view.mapFromScene(view.sceneRect()).boundingRect()
    assert scene.width() > view.viewport().width() and scene.height() > view.viewport().height()
    before_zoom = view.zoom
    cursor = QPoint(120, 140)
    under_cursor = view.mapToScene(cursor)
    event = QWheelEvent(QPointF(cursor), QPointF(view.viewport().mapToGlobal(cursor)), QPoint(0, 0), QPoint(0, 360),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom == pytest.approx(before_zoom * 1.0015 ** 360, rel=1e-3)
    after = view.mapToScene(cursor)
    assert abs(after.x() - under_cursor.x()) < 2 / view.zoom + 0.5
    assert abs(after.y() - under_cursor.y()) < 2 / view.zoom + 0.5


def test_drag_pans_and_double_click_fits(view: SvgView, qtbot: QtBot):
    view.set_svg(_svg(8))
    fitted = view.zoom
    view.zoom_by(4.0, QPoint(200, 150))
    assert view.zoom == pytest.approx(fitted * 4.0)
    h_before = view.horizontalScrollBar().value()
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(300, 150))
    qtbot.mouseMove(view.viewport(), QPoint(250, 150))
    qtbot.mouseMove(view.viewport(), QPoint(200, 150))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    assert view.horizontalScrollBar().value() > h_before
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    assert view.zoom == pytest.approx(fitted)


def test_same_size_diagram_keeps_the_zoom_another_size_refits(view: SvgView):
    first = _svg(6)
    view.set_svg(first)
    fitted = view.zoom
    view.zoom_by(3.0, QPoint(100, 100))
    scroll = view.horizontalScrollBar().value()
    view.set_svg(first)
    assert view.zoom == pytest.approx(fitted * 3.0)
    assert view.horizontalScrollBar().value() == scroll
    view.set_svg(_svg(2))
    assert view.zoom != pytest.approx(fitted * 3.0)
    assert view.zoom <= 1.5 + 1e-9  # a small diagram is not blown up


def test_invalid_svg_is_refused_and_messages_replace_the_picture(view: SvgView):
    view.set_svg(_svg(3))
    with pytest.raises(ValueError):
        view.set_svg(b"this is not svg")
    assert view.has_diagram
    view.show_message("Cannot draw the cell diagram.")
    assert not view.has_diagram and view.message == "Cannot draw the cell diagram."


def test_click_without_drag_reports_the_scene_position(view: SvgView, qtbot: QtBot):
    view.set_svg(_svg(3))
    with qtbot.waitSignal(view.clicked, timeout=2_000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    assert blocker.args[0] == view.mapToScene(QPoint(200, 150))


def test_deleting_the_owner_waits_for_the_running_job(qtbot: QtBot):
    from PySide6.QtWidgets import QWidget

    finished = threading.Event()

    def slow(dot: str) -> bytes:
        time.sleep(0.3)
        finished.set()
        return b"<svg/>"

    owner = QWidget()
    renderer = GraphvizRenderer(owner, render_fn=slow)
    renderer.request("x")
    del renderer
    owner.deleteLater()
    qtbot.waitUntil(lambda: LatestCall.running_count() == 0, timeout=5_000)
    assert finished.is_set()
