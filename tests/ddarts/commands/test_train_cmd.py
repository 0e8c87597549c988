"""`ddarts train` and `ddarts evaluate` end to end on digits with a tiny network."""

import json

import numpy as np
import pytest

import ddarts.cli
from ddarts.genotype.parse import parse_alphas
from ddarts.search.config import SearchConfig
from ddarts.train.folder import load_checkpoint

TINY = ["--dataset", "digits", "--epochs", "1", "--init-channels", "4", "--batch-size", "16", "--steps-per-epoch",
        "3", "--eval-batch-size", "16", "--eval-batches", "2", "--device", "cpu"]


@pytest.fixture(autouse=True)
def only_these_commands(monkeypatch):
    """The dispatcher imports every sub-command; these tests need only train and evaluate."""
    monkeypatch.setattr(ddarts.cli, "COMMANDS", ("train", "evaluate"))


def cli(capsys, *argv):
    code = ddarts.cli.main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def genotype_file(tmp_path):
    alphas = np.random.default_rng(1).normal(0.0, 1.0, (5, 14, 7)).astype(np.float32)
    path = tmp_path / "five.json"
    parse_alphas(alphas, "sparse", 0.3, (1, 3), source="fixture").save(path)
    return path


@pytest.fixture
def search_run(tmp_path):
    """A search run folder as `ddarts search` leaves it after two epochs (only what training reads)."""
    run = tmp_path / "search"
    (run / "alphas").mkdir(parents=True)
    config = SearchConfig(dataset="digits", cells=5, parse="edge", threshold=0.4)
    header = {"format_version": 1, "kind": "search", "ddarts_version": "0.1.0", "created": "2026-01-01T00:00:00Z",
              "config": config.to_dict()}
    (run / "config.json").write_text(json.dumps(header))
    alphas = np.random.default_rng(2).normal(0.5, 1.0, (5, 14, 7)).astype(np.float32)
    np.save(run / "alphas" / "epoch_002.npy", alphas)
    return run


def test_train_from_a_genotype_file_then_evaluate(tmp_path, capsys, genotype_file):
    out_dir = tmp_path / "trained"
    code, out, err = cli(capsys, "train", genotype_file, "--out", out_dir, "--layers", "6", *TINY, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["epochs"] == 1 and summary["steps"] == 3 and 0 <= summary["final_top1"] <= summary["final_top5"]
    assert "training 6-cell network (C=4" in err and "epoch 1/1: train loss" in err
    assert json.loads((out_dir / "genotype.json").read_text())["reductions"] == [2, 4]  # Algorithm 1: 5 -> 6 cells

    code, out, err = cli(capsys, "evaluate", out_dir, "--max-batches", "2", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["images"] == 32 and report["dataset"] == "digits" and report["epochs_done"] == 1
    assert report["top1"] == pytest.approx(summary["final_top1"])  # same weights, same test batches
    code, out, _ = cli(capsys, "evaluate", out_dir / "checkpoint.pt", "--batch-size", "60")
    assert code == 0 and out.startswith("digits test: top-1 ") and "(360 images, cpu;" in out


def test_train_from_a_search_run_folder(tmp_path, capsys, search_run):
    out_dir = tmp_path / "trained"
    args = [a for a in TINY if a not in ("--dataset", "digits")]  # the search run says digits
    code, out, err = cli(capsys, "train", search_run, "--out", out_dir, "--parse", "sparse", "--threshold", "0.3",
                         *args)
    assert code == 0, err
    assert out.startswith("finished 1 epochs in ")
    header = json.loads((out_dir / "config.json").read_text())
    assert header["kind"] == "train" and header["config"]["dataset"] == "digits"
    assert "(epoch 2)" in header["config"]["source"]
    genotype = json.loads((out_dir / "genotype.json").read_text())
    assert genotype["method"] == "sparse" and genotype["threshold"] == 0.3 and len(genotype["cells"]) == 5


def test_ctrl_c_stops_with_a_checkpoint_and_resume_finishes(tmp_path, capsys, genotype_file, monkeypatch):
    import signal

    import ddarts.commands.train as train_cmd
    from ddarts.train import TrainStep

    real_train = train_cmd.train

    def interrupted(*args, **kwargs):
        for event in real_train(*args, **kwargs):
            yield event
            if isinstance(event, TrainStep) and event.step == 2:
                signal.raise_signal(signal.SIGINT)  # the user presses Ctrl-C while step 2 is reported

    out_dir = tmp_path / "run"
    monkeypatch.setattr(train_cmd, "train", interrupted)
    before = signal.getsignal(signal.SIGINT)
    code, out, err = cli(capsys, "train", genotype_file, "--out", out_dir, *TINY, "--epochs", "2")
    assert signal.getsignal(signal.SIGINT) is before  # the handler is restored
    assert code == 130 and out == ""
    assert "stopping after the current step" in err and f"continue with: ddarts train --resume {out_dir}" in err
    assert load_checkpoint(out_dir / "checkpoint.pt")["step"] == 2
    monkeypatch.setattr(train_cmd, "train", real_train)

    code, out, err = cli(capsys, "train", "--resume", out_dir, "--json")
    assert code == 0, err
    assert "resuming 5-cell network" in err and json.loads(out)["steps"] == 6
    state = load_checkpoint(out_dir / "checkpoint.pt")
    assert state["epoch"] == 2 and state["finished"]

    code, _, err = cli(capsys, "train", "--resume", out_dir, "--epochs", "3")
    assert code == 2 and "--resume cannot change epochs" in err


@pytest.mark.parametrize("problem", ["missing source", "existing out", "no out", "file with parse"])
def test_bad_inputs_are_clean_errors_that_write_nothing(tmp_path, capsys, genotype_file, problem):
    out_dir = tmp_path / "out"
    if problem == "missing source":
        argv, expected = ["train", tmp_path / "nope.json", "--out", out_dir], "no such genotype file or run folder"
    elif problem == "existing out":
        out_dir.mkdir()
        (out_dir / "old.txt").write_text("x")
        argv, expected = ["train", genotype_file, "--out", out_dir], "already exists and is not empty"
    elif problem == "no out":
        argv, expected = ["train", genotype_file], "--out RUN"
    else:
        argv, expected = ["train", genotype_file, "--out", out_dir, "--parse", "edge"], "run folders only"
    code, out, err = cli(capsys, *argv, *TINY)
    assert code == 2 and expected in err and err.startswith("ddarts train: error: ")
    assert not out_dir.exists() or [p.name for p in out_dir.iterdir()] == ["old.txt"]


def test_evaluate_rejects_a_missing_target(tmp_path, capsys):
    code, _, err = cli(capsys, "evaluate", tmp_path / "nothing")
    assert code == 2 and "no such training run folder or checkpoint" in err


def test_the_recipe_goes_into_the_runs_config_and_options_override_it(tmp_path, capsys, genotype_file):
    from ddarts.commands.train import _new_run

    parser = ddarts.cli.build_parser()
    args = parser.parse_args(["train", str(genotype_file), "--out", str(tmp_path / "r"), "--recipe",
                              "imagenet-mobile", "--epochs", "400", "--layers", "6"])
    config, _, _ = _new_run(args)
    assert (config.recipe, config.dataset, config.epochs, config.layers) == ("imagenet-mobile", "imagenet", 400, 6)
    assert (config.lr, config.lr_schedule, config.weight_decay, config.init_channels) == (0.1, "step", 3e-5, 48)
    args = parser.parse_args(["train", str(genotype_file), "--out", str(tmp_path / "r"), "--dataset", "imagenet"])
    assert _new_run(args)[0].recipe == "imagenet-mobile"  # ImageNet no longer keeps the CIFAR defaults
    args = parser.parse_args(["train", str(genotype_file), "--out", str(tmp_path / "r"), "--dataset", "imagenet",
                              "--recipe", "cifar"])
    config = _new_run(args)[0]
    assert (config.recipe, config.init_channels, config.lr_schedule, config.cutout) == ("cifar", 36, "cosine", 0)
    from ddarts.train.config import RESUME_MUTABLE

    assert "recipe" not in RESUME_MUTABLE  # a resumed run keeps the recipe it started from
