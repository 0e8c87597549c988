"""Inspecting run folders: a finished run, a run a CLI process is writing right now, bad folders, deriving."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ddarts.runs import RunReader

REPO = Path(__file__).resolve().parents[2]


def test_open_a_finished_run(qtbot, window, finished_run):
    assert window.open_run(finished_run)
    state, expected = window.model.state, RunReader(finished_run).read_all()
    assert state.status == "finished" and window.model.run_dir == str(Path(finished_run).resolve())
    assert window.model.refreshes.pending > 1  # the views catch up one per event-loop turn, not all at once
    qtbot.waitUntil(lambda: not window.model.refreshes.pending)
    np.testing.assert_allclose(window.loss_plot.curve_data("val_ce")[1], expected.step_series("val_loss"))
    np.testing.assert_allclose(window.heatmap.image.image.T.shape, (14, 7))
    assert window.cell_list.list.count() == 5 and "finished" in window.header.text()
    assert window.poll_timer.isActive()
    recent = [a.text() for a in window.recent_menu.actions()]
    assert Path(finished_run).name in recent
    assert window.act_export.isEnabled() and not window.act_resume_run.isEnabled()


def test_opening_a_folder_that_is_not_a_run_explains_why(qtbot, window, tmp_path):
    shown: list[str] = []
    window.error_shown.connect(shown.append)
    assert not window.open_run(tmp_path)
    assert len(shown) == 1 and str(tmp_path) in shown[0] and "config.json" in shown[0]
    assert window.last_message_box.isVisible()
    assert window.model.run_dir is None and not window.poll_timer.isActive()


@pytest.mark.slow
def test_follow_a_run_written_by_the_cli(qtbot, window, tmp_path, data_dir):
    run_dir = tmp_path / "cli-run"
    command = [sys.executable, "-m", "ddarts", "search", "--dataset", "digits", "--cells", "3",
               "--init-channels", "2", "--batch-size", "4", "--steps-per-epoch", "2", "--epochs", "2",
               "--device", "cpu", "--no-amp", "--workers", "0", "--data", data_dir, "--seed", "5",
               "--loss", "fair", "--out", str(run_dir), "--quiet"]  # L_F: following is under test, at half the cost
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        qtbot.waitUntil(lambda: (run_dir / "config.json").is_file() or process.poll() is not None, timeout=120_000)
        assert process.poll() is None, process.stdout.read().decode()
        window.poll_timer.setInterval(100)
        assert window.open_run(run_dir)
        seen_at_open = window.model.state.step
        steps_seen: list[int] = []
        window.model.updated.connect(lambda: steps_seen.append(window.model.state.step))
        qtbot.waitUntil(lambda: window.model.state.status == "finished", timeout=180_000)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    window.model.flush()
    assert seen_at_open < 4  # we joined while the CLI was still searching ...
    assert steps_seen and steps_seen[-1] == 4  # ... and followed it to the end
    state = window.model.state
    np.testing.assert_array_equal(state.step_series("step"), [1, 2, 3, 4])
    assert sorted(state.alphas) == [0, 1] and len(window.loss_plot.curve_data("train_ce")[0]) == 4


def test_derive_and_export_through_the_deriver(qtbot, window, finished_run, tmp_path):
    window.open_run(finished_run)
    window.act_derive.trigger()
    assert window.deriver_dock.isVisible()
    deriver = window.deriver
    deriver.method_combo.setCurrentText("darts")  # after two tiny epochs no σ reaches the edge threshold
    deriver.set_layers(6)
    deriver.channels_spin.setValue(4)
    qtbot.wait(300)
    assert deriver.derivation is not None, deriver.message
    with qtbot.waitSignal(deriver.export_finished, timeout=180_000) as blocker:
        deriver.export_to(tmp_path / "exported")
    out_dir = Path(blocker.args[0])
    assert out_dir.is_dir() and any(out_dir.iterdir())
    # a genotype file can be the source instead of the run on show
    genotype_file = Path(finished_run) / "genotypes" / "final_darts.json"
    window.derive_from(genotype_file)
    assert deriver.source_path == genotype_file
