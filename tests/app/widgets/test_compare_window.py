import pytest
from PySide6.QtCore import Qt
from recorded_sweep import synthetic_sweep, write_run

from app.widgets.compare_window import CompareWindow
from ddarts.runs import RunWriter
from ddarts.search.config import SearchConfig
from ddarts.search.events import EpochMetrics, Finished


def numbers(trial):
    seed, w = trial.varied["seed"], trial.varied["w_abl"]
    epochs = [(2.0 + w - 0.2 * e * seed, 0.1 * seed + 0.1 * e, 0.1 * e, 0.0) for e in range(2)]
    return (epochs[:1], "running") if trial.name == "w_abl=1_seed=2" else (epochs, "finished")


@pytest.fixture
def window(qtbot, tmp_path):
    plan = synthetic_sweep(tmp_path / "sw", {"w_abl": ("0", "1")}, (1, 2), numbers)
    win = CompareWindow([plan.root], poll_ms=60_000)
    qtbot.addWidget(win)
    return plan, win


def test_table_and_overlaid_curves(window):
    plan, win = window
    assert win.table.rowCount() == 4 and win.table.item(3, 3).text() == "running"
    assert win.table.item(3, 4).text() == "50%" and win.table.item(1, 5).text() == "30.0%"
    assert sorted(win.table.selected_names()) == sorted(t.name for t in plan.trials)
    labels = win.curves.legend_labels()
    assert labels == ["w_abl=0, seed=1", "w_abl=0, seed=2", "w_abl=1, seed=1", "w_abl=1, seed=2"]
    x, y = win.curves.run_curve("w_abl=0_seed=2").getOriginalDataset()
    assert list(x) == [1.0, 2.0] and list(y) == pytest.approx([2.0, 1.6])
    pens = {win.curves.run_curve(n).opts["pen"].color().name() for n in win.model.names}
    assert len(pens) == 4
    win.curves.grouped.setChecked(True)
    assert win.curves.legend_labels() == ["w_abl=0 (n=2)", "w_abl=1 (n=2)"]
    win.curves.metric.setCurrentIndex(win.curves.metric.findData("val_acc"))
    mean, low, high, fill = win.curves.band("w_abl=0 (n=2)", "#000000")
    assert fill.isVisible() and not fill.path().isEmpty()
    assert list(mean.getOriginalDataset()[1]) == pytest.approx([15.0, 25.0])
    assert list(high.getOriginalDataset()[1] - low.getOriginalDataset()[1]) == pytest.approx([10.0, 10.0])


def test_following_a_running_trial_updates_the_same_items(window):
    plan, win = window
    item = win.curves.run_curve("w_abl=1_seed=2")
    assert len(item.getOriginalDataset()[0]) == 1
    trial = plan.trial("w_abl=1_seed=2")
    with RunWriter(plan.run_dir(trial), trial.config, resume=True) as writer:
        writer.write(EpochMetrics(1, 2.0, 0.5, 2.1, 0.5, 0.3, 0.0, (0.3,) * 3, (0.0,) * 3, (), (), 2.0))
        writer.write(Finished(1, 4, 2.0, {}))
    win.poll()
    assert win.table.item(3, 3).text() == "finished" and win.table.item(3, 4).text() == "100%"
    assert win.curves.run_curve("w_abl=1_seed=2") is item and len(item.getOriginalDataset()[0]) == 2
    assert "0 running" in win.statusBar().currentMessage()


def test_figure_tabs(window):
    _, win = window
    fig3 = win.figures["fig3"]
    x, y = fig3.series_data("all runs")
    assert list(x) == [0.0, 1.0] and len(y) == 2
    assert not fig3.message.isVisible()
    assert "two values of w01" in win.figures["fig4"].message.text()
    x, y = win.figures["fig5"].series_data("w_abl=0")
    assert list(y) == pytest.approx([15.0, 25.0])


def test_double_click_asks_to_open_the_run(window, qtbot):
    plan, win = window
    with qtbot.waitSignal(win.open_run_requested) as signal:
        win.table.cellDoubleClicked.emit(2, 0)
    assert signal.args == [str(plan.run_dir("w_abl=1_seed=1"))]


def test_legend_text_is_escaped(qtbot, tmp_path):
    a = write_run(tmp_path / "a", SearchConfig(dataset="digits", cells=3, data_dir="<b>x</b>"), [(1.0, 0.5, 0, 0)])
    b = write_run(tmp_path / "b", SearchConfig(dataset="digits", cells=3, data_dir="d&d"), [(1.0, 0.5, 0, 0)])
    win = CompareWindow([a, b], poll_ms=60_000)
    qtbot.addWidget(win)
    assert win.curves.legend_labels() == ["data_dir=&lt;b&gt;x&lt;/b&gt;", "data_dir=d&amp;d"]
    assert win.table.item(0, 1).text() == "<b>x</b>"
    assert win.table.item(0, 0).data(Qt.ItemDataRole.UserRole) == "a"
