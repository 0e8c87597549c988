"""`ddarts train` under torchrun: DistributedDataParallel over two CPU processes (gloo), rank 0 writes the run."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from ddarts.cli import main
from ddarts.genotype.parse import parse_alphas

pytestmark = [pytest.mark.slow,  # processes: scheduled first
              pytest.mark.skipif(sys.platform == "win32", reason="torchrun signal handling differs on Windows")]

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
if os.path.exists("/sys/class/net/lo"):  # loopback: gloo must not depend on the host name resolving
    ENV.setdefault("GLOO_SOCKET_IFNAME", "lo")


def test_two_process_training_writes_one_run_whose_sharded_evaluation_matches_a_single_process(tmp_path, capsys):
    genotype = tmp_path / "five.json"
    alphas = np.random.default_rng(1).normal(0.0, 1.0, (5, 14, 7)).astype(np.float32)
    parse_alphas(alphas, "sparse", 0.3, (1, 3), source="test").save(genotype)
    run = tmp_path / "trained"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "ddarts",
           "train", str(genotype), "--out", str(run), "--layers", "6", "--dataset", "digits", "--epochs", "2",
           "--init-channels", "4", "--batch-size", "16", "--steps-per-epoch", "3", "--eval-batch-size", "60",
           "--drop-path", "0.3", "--device", "cpu", "--json"]
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cpu × 2 processes (torchrun, gloo)" in done.stderr
    summary = json.loads(done.stdout)  # rank 0 alone prints
    assert summary["epochs"] == 2 and summary["steps"] == 6

    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert sum(r["type"] == "step" for r in records) <= 6  # one writer, not one per process
    epochs = [r for r in records if r["type"] == "epoch"]
    assert len(epochs) == 2
    checkpoint = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert len(checkpoint["rng_per_process"]) == 2  # each process's drop-path stream resumes as it was

    # Each process evaluated half of every test batch; together that is the single-process evaluation.
    assert main(["evaluate", str(run), "--batch-size", "60", "--device", "cpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["images"] == 360
    assert report["top1"] == pytest.approx(summary["final_top1"], abs=1e-12)
    assert report["top5"] == pytest.approx(summary["final_top5"], abs=1e-12)
    assert report["loss"] == pytest.approx(epochs[-1]["test_loss"], rel=1e-6)
