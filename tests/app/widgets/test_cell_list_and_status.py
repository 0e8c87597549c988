"""Cells list selects cells; the status bar reports status, speed, times and progress."""

from __future__ import annotations

from app.run_model import RunModel
from app.widgets.cell_list import CellList
from app.widgets.status_bar import RunStatusBar, format_duration


def test_cell_list_marks_reductions_and_selects(qtbot, make_run):
    model = RunModel()
    cells = CellList(model)
    qtbot.addWidget(cells)
    assert cells.list.count() == 0
    model.apply(make_run(cells=6, epochs=1))
    model.flush()
    texts = [cells.list.item(i).text() for i in range(cells.list.count())]
    assert len(texts) == 6
    assert "reduction" in texts[2] and "reduction" in texts[4] and "normal" in texts[3]
    with qtbot.waitSignal(model.selected_cell_changed) as blocker:
        cells.list.setCurrentRow(4)
    assert blocker.args == [4]
    model.set_selected_cell(1)
    assert cells.list.currentRow() == 1


def test_status_bar_progress(qtbot, make_run):
    model = RunModel()
    bar = RunStatusBar(model)
    qtbot.addWidget(bar)
    events = make_run(cells=3, epochs=3, steps_per_epoch=4)
    model.apply(events[:7])  # start, the 4 steps of epoch 1, its epoch metrics and α
    model.flush()
    state = model.state
    assert state.step == 4
    assert bar.progress.epoch_bar.format() == "2/3" and bar.progress.step_bar.format() == "0/4"
    assert "2.00 steps/s" in bar.speed_label.text() and "running" in bar.status_label.text()
    assert bar.eta_label.text() == f"ETA {format_duration(state.eta_s)}"
    model.apply(events[7:9])
    model.flush()
    assert bar.progress.step_bar.format() == "1/4"
    assert format_duration(3725) == "1:02:05" and format_duration(65) == "1:05" and format_duration(None) == "–"
