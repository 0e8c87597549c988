"""TensorBoard files written live by `--tensorboard` and afterwards by `ddarts metrics`, read back with
TensorBoard's own event reader."""

from __future__ import annotations

import csv

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ddarts.cli import main
from ddarts.runs import RunReader

SEARCH = ["search", "--dataset", "digits", "--cells", "3", "--init-channels", "2", "--batch-size", "8", "--epochs",
          "2", "--steps-per-epoch", "1", "--device", "cpu", "--workers", "0"]
TRAIN = ["--dataset", "digits", "--init-channels", "4", "--batch-size", "8", "--epochs", "1", "--steps-per-epoch",
         "2", "--eval-batches", "1", "--device", "cpu", "--auxiliary-weight", "0", "--log-every", "1"]


def read(folder) -> EventAccumulator:
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    return events


def test_search_scalars_and_alpha_histograms_live_and_converted(tmp_path):
    run, live, later = tmp_path / "run", tmp_path / "tb-live", tmp_path / "tb-later"
    assert main([*SEARCH, "-o", str(run), "--tensorboard", str(live)]) == 0
    events = read(live)
    tags = events.Tags()
    assert {"search/train_loss", "search/alpha_split_acc", "lr/alpha", "epoch/dominant_share",
            "step_mc/cell_2", "step_l_ab/cell_0", "epoch_l_ab/cell_1"} <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("search/train_loss")] == [1, 2]
    state = RunReader(run).read_all()
    assert np.allclose([e.value for e in events.Scalars("search/train_loss")], state.step_series("train_loss"))
    assert tags["histograms"] == ["sigma_alpha/cell_0", "sigma_alpha/cell_1", "sigma_alpha/cell_2"]
    histogram = events.Histograms("sigma_alpha/cell_1")
    alphas = np.load(run / "alphas" / "epoch_002.npy")[1]
    assert [h.step for h in histogram] == [1, 2] and histogram[-1].histogram_value.num == alphas.size
    assert abs(histogram[-1].histogram_value.sum - (1 / (1 + np.exp(-alphas))).sum()) < 1e-3

    table = tmp_path / "m.csv"
    assert main(["metrics", str(run), "--tensorboard", str(later), "--csv", str(table)]) == 0
    again = read(later)
    assert set(again.Tags()["scalars"]) == set(tags["scalars"])
    assert [e.value for e in again.Scalars("epoch/low_share")] == [e.value for e in events.Scalars("epoch/low_share")]
    rows = list(csv.DictReader(table.open()))
    assert {"tag": "search/train_loss", "step": "2"}.items() <= next(
        r for r in rows if r["tag"] == "search/train_loss" and r["step"] == "2").items()


def test_training_runs_too(tmp_path, capsys):
    genotype = "tests/data/reference-genotypes/DARTS_V2.txt"
    run, live = tmp_path / "train", tmp_path / "tb"
    assert main(["train", genotype, "--layers", "3", *TRAIN, "-o", str(run), "--tensorboard", str(live)]) == 0
    assert {"train/loss", "epoch/test_top1", "epoch/lr"} <= set(read(live).Tags()["scalars"])
    table = tmp_path / "t.csv"
    assert main(["metrics", str(run), "--csv", str(table)]) == 0
    assert sum(1 for r in csv.DictReader(table.open()) if r["tag"] == "train/loss") == 2
    assert main(["metrics", str(run)]) == 2 and "--tensorboard DIR and/or --csv" in capsys.readouterr().err
