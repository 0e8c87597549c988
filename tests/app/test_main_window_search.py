"""Real searches from the main window: form → live plots and diagram, pause/resume, stop/resume, close."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gui_test_support import tiny_digits_config
from PySide6.QtCore import QTimer

from ddarts.runs import RunReader

pytestmark = pytest.mark.slow  # each search is a child process: scheduled first

SEARCH_TIMEOUT_MS = 240_000


def wait_idle(qtbot, win) -> None:
    qtbot.waitUntil(lambda: not win.runner.is_running, timeout=SEARCH_TIMEOUT_MS)
    win.model.flush()


def records(run_dir) -> list[dict]:
    return [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines() if line]


def test_search_from_the_form_pauses_resumes_and_draws(qtbot, window, tmp_path, data_dir, monkeypatch):
    run_dir = tmp_path / "digits-run"
    form = window.make_search_form()  # a child of the window, deleted by it after the dialog closes
    form.preset_combo.setCurrentIndex(form.preset_combo.findText("Quick CPU demo (digits)"))
    for name, value in (("cells", 3), ("init_channels", 2), ("batch_size", 4), ("steps_per_epoch", 2),
                        ("epochs", 2), ("device", "cpu"), ("data_dir", data_dir)):
        form.set_value(name, value)
    form.set_run_dir(run_dir)
    assert form.start_button.isEnabled(), form.error_label.text()
    monkeypatch.setattr(window, "make_search_form", lambda: form)

    paused_at_start = []

    def pause_as_soon_as_started(_run_dir: str) -> None:
        window.toggle_pause()  # before the first step: the engine must stop at its first step boundary
        paused_at_start.append(window.runner.is_paused)

    window.runner.started.connect(pause_as_soon_as_started)
    ready_while_the_form_is_open = []

    def click_start() -> None:
        ready_while_the_form_is_open.append(window.session.process_ready)
        form.start_button.click()

    QTimer.singleShot(0, click_start)
    window.new_search()  # runs the dialog; the click above accepts it
    assert ready_while_the_form_is_open == [True] and not window.session.process_ready  # the search took it
    assert window.runner.is_running and paused_at_start == [True]
    assert window.act_pause.isChecked() and window.act_pause.text() == "&Resume"
    assert not window.act_new.isEnabled() and window.act_stop.isEnabled()

    qtbot.waitUntil(lambda: window.model.state.status == "paused", timeout=SEARCH_TIMEOUT_MS)
    qtbot.wait(300)
    assert window.model.state.step == 0  # really paused
    window.toggle_pause()
    assert not window.runner.is_paused
    wait_idle(qtbot, window)

    state = window.model.state
    assert state.status == "finished" and state.step == 4 and sorted(state.alphas) == [0, 1]
    assert [r["state"] for r in records(run_dir) if r["type"] == "state"][:3] == ["running", "paused", "running"]
    # every panel got the real numbers
    np.testing.assert_allclose(window.loss_plot.curve_data("train_ce")[1], state.step_series("train_loss"))
    window.tabs.setCurrentWidget(window.accuracy_plot)  # hidden tabs wait, and catch up when shown
    assert len(window.accuracy_plot.curve_data("val")[0]) == 4
    window.tabs.setCurrentWidget(window.dominant_plot)
    assert len(window.dominant_plot.curve_data("dominant")[0]) == len(state.shares)  # per step: every α report
    window.dominant_plot.x_mode.setCurrentIndex(1)
    assert len(window.dominant_plot.curve_data("dominant")[0]) == 2
    window.tabs.setCurrentWidget(window.contributions_plot)
    assert len(window.contributions_plot.mc_bars.opts["height"]) == 3
    assert window.histogram.counts.sum() == 14 * 7
    assert window.heatmap.weights is not None and window.heatmap.weights.shape == (14, 7)
    assert window.cell_list.list.count() == 3
    assert "3 cells" in window.header.text() and "C=2" in window.header.text() and "batch 4" in window.header.text()
    assert "finished" in window.statusBar().status_label.text()
    assert window.statusBar().progress.epoch_bar.format() == "2/2"
    # the cell diagram renders (darts parse keeps two edges per node, so no cell is dead)
    window.cell_list.list.setCurrentRow(2)
    window.cell_diagram.set_method("darts")
    qtbot.waitUntil(lambda: window.cell_diagram.view.has_diagram, timeout=60_000)
    assert window.cell_diagram.current.cell == 2
    assert window.settings.recent_runs()[0] == str(run_dir.resolve())
    assert window.settings.last_search_config()["cells"] == 3  # the next form starts from these values
    assert window.act_export.isEnabled() and not window.act_resume_run.isEnabled()
    window.save_genotype(tmp_path / "exported.json")
    assert json.loads((tmp_path / "exported.json").read_text())["format_version"] == 1


def test_stop_then_resume_continues_the_run(qtbot, window, tmp_path, data_dir):
    run_dir = tmp_path / "stop-resume"
    config = tiny_digits_config(data_dir=data_dir, epochs=3)

    def stop_after_first_epoch(events: list) -> None:
        if any(type(e).__name__ == "AlphaSnapshot" for e in events) and not window.runner.stop_requested:
            window.stop_search()

    window.runner.events.connect(stop_after_first_epoch)
    window.start_search(config, run_dir)
    wait_idle(qtbot, window)
    window.runner.events.disconnect(stop_after_first_epoch)
    state = window.model.state
    stopped_at = state.step
    assert state.status == "stopped" and 1 <= stopped_at < 3
    assert (run_dir / "checkpoint.pt").is_file()
    assert window.act_resume_run.isEnabled()

    window.resume_run()
    assert window.runner.is_running and not window.act_resume_run.isEnabled()
    wait_idle(qtbot, window)
    state = window.model.state
    assert state.status == "finished" and state.resumes == 1
    np.testing.assert_array_equal(state.step_series("step"), [1, 2, 3])  # continued, nothing redone twice
    np.testing.assert_array_equal(state.epoch_series("epoch"), [0, 1, 2])
    reread = RunReader(run_dir).read_all()
    np.testing.assert_array_equal(reread.step_series("step"), [1, 2, 3])


def test_closing_during_a_search_stops_it_with_a_checkpoint(qtbot, window, tmp_path, data_dir, monkeypatch):
    run_dir = tmp_path / "closed"
    window.start_search(tiny_digits_config(data_dir=data_dir, epochs=3), run_dir)
    monkeypatch.setattr(window, "confirm_stop_on_close", lambda: False)
    assert not window.close()  # the user said Cancel: the search goes on
    assert window.isVisible() and window.runner.is_running and not window.runner.stop_requested
    monkeypatch.setattr(window, "confirm_stop_on_close", lambda: True)
    assert not window.close()  # stops first, closes once the thread has ended
    assert window.runner.stop_requested
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=SEARCH_TIMEOUT_MS)
    assert not window.runner.is_running
    assert (run_dir / "checkpoint.pt").is_file()
    assert records(run_dir)[-1]["type"] == "stopped"
    assert RunReader(run_dir).read_all().status == "stopped"
    assert window.settings.window_geometry() is not None
