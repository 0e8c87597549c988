"""Main window edge cases: failures in dialogs, dataset progress, crashed runs, layout kept across launches."""

from __future__ import annotations

import pytest
from gui_test_support import synthetic_run, tiny_digits_config
from PySide6.QtCore import Qt

import app.session as session_module
from app.main_window import MainWindow
from ddarts.runs import recorded_search
from ddarts.search.events import CheckpointSaved, DatasetProgress, Failed


def test_failed_event_shows_a_dialog_and_leaves_the_run_resumable(qtbot, window, tmp_path):
    run_dir = tmp_path / "failed"
    run_dir.mkdir()
    (run_dir / "checkpoint.pt").write_bytes(b"stand-in")  # only its presence matters for the action
    window.model.reset(run_dir=str(run_dir))
    window.session.apply_events(synthetic_run(cells=4, epochs=1)[:3] + [
        Failed("The device ran out of memory at batch size 72. Try a smaller batch.", "oom", "Traceback ...",
               str(run_dir / "checkpoint.pt"))])
    box = window.last_message_box
    assert box.isVisible() and box.windowTitle() == "Out of memory"
    assert "batch size 72" in box.text() and "Resume stopped run" in box.text()
    assert box.detailedText() == "Traceback ..."
    window.model.flush()
    assert window.model.state.status == "failed" and window.act_resume_run.isEnabled()


def test_search_that_cannot_start_reports_why(qtbot, window, tmp_path, data_dir):
    run_dir = tmp_path / "taken"
    run_dir.mkdir()
    (run_dir / "notes.txt").write_text("someone else's")
    shown: list[str] = []
    window.error_shown.connect(shown.append)
    window.start_search(tiny_digits_config(data_dir=data_dir), run_dir)
    qtbot.waitUntil(lambda: not window.runner.is_running, timeout=60_000)
    assert len(shown) == 1 and "already exists" in shown[0] and str(run_dir) in shown[0]
    assert window.last_message_box.windowTitle() == "Search could not run"
    assert (run_dir / "notes.txt").read_text() == "someone else's" and len(list(run_dir.iterdir())) == 1
    assert window.act_new.isEnabled() and not window.act_stop.isEnabled()


def test_dataset_download_progress_is_shown(qtbot, window):
    window.model.apply([DatasetProgress("cifar100", "download", 40, 160, "cifar-100-python.tar.gz")])
    window.model.flush()
    panel = window.statusBar().progress
    assert not panel.dataset_bar.isHidden() and panel.dataset_bar.value() == 250
    assert panel.dataset_label.text() == "cifar100: download" and panel.dataset_bar.format() == "25%"
    assert "preparing data" in window.statusBar().status_label.text()
    window.model.apply([DatasetProgress("cifar100", "ready", 1, 1)])
    window.model.flush()
    assert panel.dataset_bar.isHidden()


@pytest.mark.slow
def test_a_crashed_run_can_be_resumed(qtbot, window, tmp_path, data_dir, monkeypatch):
    run_dir = tmp_path / "crashed"
    events = recorded_search(tiny_digits_config(data_dir=data_dir, epochs=3, loss="fair"), run_dir)  # L_F: half the cost
    for event in events:
        if isinstance(event, CheckpointSaved):
            break
    events.close()  # the writer dies without a "stopped" or "failed" record, as after a kill
    assert window.open_run(run_dir)
    assert window.model.state.status == "running"
    assert not window.act_resume_run.isEnabled()  # it wrote a moment ago: maybe still alive
    monkeypatch.setattr(session_module, "CRASH_QUIET_S", 0.0)
    window.session.poll()
    assert window.act_resume_run.isEnabled()
    window.act_resume_run.trigger()
    assert window.runner.is_running and not window.poll_timer.isActive()
    qtbot.waitUntil(lambda: not window.runner.is_running, timeout=240_000)
    window.model.flush()
    state = window.model.state
    assert state.status == "finished" and list(state.step_series("step")) == [1, 2, 3]


def test_window_layout_is_remembered(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.cells_dock.hide()
    first.resize(1200, 800)
    saved = first.size()
    assert first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert not second.cells_dock.isVisible() and second.alpha_dock.isVisible()
    # not the default 1500×950; with the application's style the docks' minimum sizes move it a few percent
    assert abs(second.size().height() - saved.height()) <= 0.05 * saved.height(), (saved, second.size())
    assert second.size().width() < 1400
    for win in (first, second):
        for widget in (win.cell_diagram, win.network_overview, win.deriver):
            widget.shutdown()


def test_toolbar_and_menus_share_the_actions(qtbot, window):
    toolbar = set(window.toolbar.actions())
    for action in (window.act_new, window.act_open, window.act_start, window.act_pause, window.act_stop,
                   window.act_resume_run, window.act_export):
        assert action in toolbar and not action.icon().isNull()
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Search", "View", "Help"]
    view_items = [a.text() for a in menus["View"].actions() if a.text()]
    assert {"Cells", "Architecture weights α", "Cell diagram", "Network", "Derive && export"} <= set(view_items)
    assert window.size().width() == 1500 and window.size().height() == 950
    assert window.dockWidgetArea(window.cells_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == \
        ["Losses", "Accuracy", "Dominant ops", "Contributions"]
