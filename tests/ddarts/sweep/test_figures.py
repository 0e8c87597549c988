import pytest
from recorded_sweep import synthetic_sweep

from ddarts.errors import DdartsError
from ddarts.sweep import load_runs
from ddarts.sweep.figures import curves, fig3, fig4, fig5, figure


def numbers(trial):
    w, seed = trial.varied.get("w_abl", trial.varied.get("w01")), trial.varied["seed"]
    # α-split loss falls with epochs; seed 2 is 0.2 worse; the shares grow with the weight
    epochs = [(2.0 + w - 0.5 * e + 0.2 * (seed - 1), 0.1 * (e + 1) * seed, 0.1 * w + 0.05 * e, 0.02 * w)
              for e in range(2 if seed == 1 else 3)]
    return epochs, "finished"


def test_fig3_minimal_loss_mean_and_spread_over_seeds(tmp_path):
    plan = synthetic_sweep(tmp_path / "s", {"w_abl": ("0", "1")}, (1, 2), numbers, w01=0.0)
    (panel,) = figure(load_runs([plan.root]), "fig3")
    (series,) = panel.series
    assert list(series.x) == [0.0, 1.0] and list(series.n) == [2, 2]
    # minimal losses: seed 1 -> 2 + w - 0.5, seed 2 -> 2 + w - 1.0 + 0.2
    assert series.mean == pytest.approx([(1.5 + 1.2) / 2, (2.5 + 2.2) / 2])
    assert series.spread == pytest.approx([0.15, 0.15])
    assert "w_abl" in panel.xlabel and "L_CE" in panel.ylabel


def test_fig4_shares_in_percent(tmp_path):
    plan = synthetic_sweep(tmp_path / "s", {"w01": ("0", "5")}, (1,), numbers)
    dominant, low = fig4(load_runs([plan.root])).series
    assert dominant.mean == pytest.approx([5.0, 55.0]) and low.mean == pytest.approx([0.0, 10.0])
    assert dominant.style == "solid" and low.style == "dashed"


def test_fig5_and_curves_are_per_epoch_and_ragged(tmp_path):
    plan = synthetic_sweep(tmp_path / "s", {"w_abl": ("0",)}, (1, 2), numbers)
    (series,) = fig5(load_runs([plan.root])).series
    assert list(series.x) == [1, 2, 3] and list(series.n) == [2, 2, 1]
    assert series.mean == pytest.approx([15.0, 30.0, 60.0])  # best so far: (10, 20) and (20, 40, 60)
    loss, acc, dominant = curves(load_runs([plan.root]))
    assert acc.series[0].mean == pytest.approx([15.0, 30.0, 60.0]) and loss.series[0].spread[2] == 0.0
    assert dominant.series[0].mean == pytest.approx([0.0, 5.0, 10.0])


def test_figures_refuse_runs_that_do_not_vary_the_axis(tmp_path):
    plan = synthetic_sweep(tmp_path / "s", {"w_abl": ("0", "1")}, (1,), numbers)
    with pytest.raises(DdartsError, match="at least two values of w01"):
        fig4(load_runs([plan.root]))
    assert len(fig3(load_runs([plan.root])).series) == 1
