import pytest
from recorded_sweep import synthetic_sweep, write_run

from app.viewmodels.compare import CompareModel, paths_to_compare
from ddarts.errors import DdartsError
from ddarts.runs import RunWriter
from ddarts.search.config import SearchConfig
from ddarts.search.events import EpochMetrics, Finished


def numbers(trial):
    seed = trial.varied["seed"]
    epochs = [(2.0 - 0.2 * e, 0.1 * seed + 0.1 * e, 0.1 * e, 0.0) for e in range(2)]
    return (epochs[:1], "running") if trial.name == "w01=5_seed=2" else (epochs, "finished")


@pytest.fixture
def sweep(tmp_path):
    return synthetic_sweep(tmp_path / "sw", {"w01": ("0", "5")}, (1, 2), numbers)


def test_rows_colours_and_labels(sweep):
    model = CompareModel([sweep.root])
    assert model.title == "Sweep sw" and model.columns() == ["run", "w01", "seed", "status", "progress",
                                                              "best top-1", "σ > 0.9"]
    rows = model.rows()
    assert [r.values for r in rows] == [("0", "1"), ("0", "2"), ("5", "1"), ("5", "2")]
    assert [r.status for r in rows] == ["finished", "finished", "finished", "running"]
    assert rows[3].progress == pytest.approx(0.5) and rows[1].best_acc == pytest.approx(0.3)
    assert len({model.colour(n) for n in model.names}) == 4
    assert model.legend_label("w01=5_seed=1") == "w01=5, seed=1" and model.live


def test_bands_group_the_seeds(sweep):
    model = CompareModel([sweep.root])
    bands = model.bands(model.names, "val_acc")
    assert [b.label for b in bands] == ["w01=0 (n=2)", "w01=5 (n=2)"]
    assert bands[0].mean == pytest.approx([15.0, 25.0]) and bands[0].high - bands[0].low == pytest.approx([10, 10])
    assert bands[1].mean[1] == pytest.approx(20.0)  # epoch 2 has only the finished seed
    x, y = model.curve("w01=0_seed=2", "dominant_share")
    assert list(x) == [1.0, 2.0] and y == pytest.approx([0.0, 10.0])


def test_refresh_follows_a_running_trial(sweep):
    model = CompareModel([sweep.root])
    assert model.refresh() == []
    trial = sweep.trial("w01=5_seed=2")
    with RunWriter(sweep.run_dir(trial), trial.config, resume=True) as writer:
        writer.write(EpochMetrics(1, 1.9, 0.4, 1.8, 0.4, 0.2, 0.0, (0.2,) * 3, (0.0,) * 3, (), (), 2.0))
        writer.write(Finished(1, 4, 2.0, {}))
    assert model.refresh() == ["w01=5_seed=2"] and not model.live
    assert model.rows()[3].status == "finished" and model.rows()[3].best_acc == pytest.approx(0.4)


def test_figures_and_their_reasons(sweep):
    model = CompareModel([sweep.root])
    panel, reason = model.figure_panel("fig4")
    assert reason == "" and [s.label for s in panel.series] == ["σ(α) > 0.9", "σ(α) < 0.1"]
    panel, reason = model.figure_panel("fig3")
    assert panel is None and "two values of w_abl" in reason


def test_what_a_folder_compares(sweep, tmp_path):
    assert paths_to_compare(sweep.root) == [sweep.root]
    loose = tmp_path / "runs"
    a = write_run(loose / "a", SearchConfig(dataset="digits", cells=3), [(1.0, 0.5, 0.0, 0.0)])
    b = write_run(loose / "b", SearchConfig(dataset="digits", cells=4), [(1.0, 0.5, 0.0, 0.0)])
    (loose / "notes").mkdir()
    assert paths_to_compare(loose) == [a, b] and paths_to_compare(a) == [a]
    with pytest.raises(DdartsError, match="holds no run folders"):
        paths_to_compare(loose / "notes")
