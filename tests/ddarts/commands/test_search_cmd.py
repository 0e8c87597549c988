import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ddarts.cli import main
from ddarts.runs import RunReader

TINY = ["--dataset", "digits", "--cells", "3", "--init-channels", "2", "--batch-size", "8", "--device", "cpu",
        "--workers", "0"]


def test_two_epoch_search_writes_a_complete_run_folder(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["search", *TINY, "--epochs", "2", "--steps-per-epoch", "2", "--w01", "5", "--parse", "sparse",
                 "--threshold", "0.6", "--out", str(run)]) == 0
    err = capsys.readouterr().err
    assert "epoch 2:" in err and "Finished 4 steps" in err and "final_edge.json" in err
    header = json.loads((run / "config.json").read_text())
    assert header["kind"] == "search" and header["format_version"] == 1
    assert header["config"]["w01"] == 5.0 and header["config"]["parse"] == "sparse"
    alphas = np.load(run / "alphas" / "epoch_002.npy")
    assert alphas.shape == (3, 14, 7) and alphas.dtype == np.float32
    for method in ("darts", "sparse", "edge"):
        assert json.loads((run / "genotypes" / f"final_{method}.json").read_text())["reductions"] == [1, 2]
    assert json.loads((run / "genotypes" / "epoch_001.json").read_text())["method"] == "sparse"
    state = RunReader(run).read_all()
    assert state.status == "finished" and len(state.step_series("train_loss")) == 4
    assert state.dataset is not None
    # the same folder again is refused, untouched
    before = (run / "metrics.jsonl").read_bytes()
    assert main(["search", *TINY, "--out", str(run)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (run / "metrics.jsonl").read_bytes() == before


@pytest.mark.parametrize("argv,message", [
    (["--cells", "2"], "cells: must be >= 3"),
    (["--threshold", "1.5"], "threshold: must be <= 1"),
    (["--lr", "0.001", "--lr-min", "0.01"], "lr_min: must not exceed lr"),
    (["--device", "tpu"], "device: expected auto, cpu, cuda or cuda:N"),
])
def test_bad_options_name_the_field_and_write_nothing(tmp_path, capsys, argv, message):
    assert main(["search", *TINY, *argv, "--out", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_missing_dataset_offline_names_the_path_and_options_before_writing(tmp_path, capsys):
    data = tmp_path / "empty"
    data.mkdir()
    code = main(["search", "--dataset", "cifar100", "--data", str(data), "--no-download", "--device", "cpu",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and str(data) in err and "digits" in err
    assert not (tmp_path / "run").exists()


def test_config_file_and_resume_rules(tmp_path, capsys):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"dataset": "digits", "cells": 3, "init_channels": 2, "batch_size": 8,
                               "epochs": 1, "steps_per_epoch": 1, "device": "cpu", "num_workers": 0}))
    run = tmp_path / "run"
    assert main(["search", "--config", str(cfg), "--seed", "5", "--out", str(run), "-q"]) == 0
    assert json.loads((run / "config.json").read_text())["config"]["seed"] == 5
    assert main(["search", "--resume", str(run), "--cells", "4"]) == 2
    assert "cannot be combined with --resume" in capsys.readouterr().err
    cfg.write_text(json.dumps({"cells": 3, "bogus": 1}))
    assert main(["search", "--config", str(cfg), "--out", str(tmp_path / "other")]) == 2
    assert "bogus: unknown configuration field" in capsys.readouterr().err
    assert main(["search", "--resume", str(tmp_path / "missing")]) == 2


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_stops_after_a_step_with_a_resumable_checkpoint(tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "ddarts", "search", *TINY, "--epochs", "2", "--steps-per-epoch", "3",
           "--loss", "fair", "--out", str(run)]  # L_F: the signal is under test, at half the step cost
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    metrics = run / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if metrics.exists() and '"type": "step"' in metrics.read_text():
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Resume with: ddarts search --resume" in err
    assert (run / "checkpoint.pt").is_file()
    state = RunReader(run).read_all()
    assert state.status == "stopped"
    stopped_at = int(state.step_series("step")[-1])
    assert stopped_at < 6
    assert main(["search", "--resume", str(run), "--quiet"]) == 0  # in this process: one launch is enough
    state = RunReader(run).read_all()
    assert state.status == "finished"
    assert list(state.step_series("step")) == list(range(1, 7))
