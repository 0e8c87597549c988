from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from recorded_sweep import synthetic_sweep

from app import compare_menu


def test_file_menu_offers_sweeps_and_comparisons(window):
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    opens = texts.index(window.act_open.text())
    assert texts[opens + 1: opens + 3] == ["Open s&weep…", "&Compare runs…"]


def test_a_double_clicked_run_opens_in_the_main_window(window, qtbot, tmp_path):
    plan = synthetic_sweep(tmp_path / "sw", {"w01": ("0", "5")}, (),
                           lambda t: ([(1.0, 0.5, 0.1, 0.0), (0.9, 0.6, 0.2, 0.0)], "finished"))
    compare = compare_menu.open_compare(window, [plan.root])
    qtbot.addWidget(compare)
    assert compare in window.compare_windows and compare.table.rowCount() == 2
    compare.table.cellDoubleClicked.emit(1, 0)
    assert window.model.run_dir == str(Path(plan.run_dir("w01=5")).resolve())
    assert window.model.state.status == "finished"


def test_a_folder_without_runs_is_a_warning_not_a_window(window, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    assert compare_menu.open_compare(window, [tmp_path]) is None
    assert "holds no run folders" in warnings[0] and window.compare_windows == []
