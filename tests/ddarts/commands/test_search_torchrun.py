"""`ddarts search` under torchrun: two CPU processes (gloo) share each batch; rank 0 writes the run folder."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ddarts.runs import RunReader

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="torchrun signal handling differs on Windows")

TINY = ["--dataset", "digits", "--cells", "3", "--init-channels", "2", "--batch-size", "8", "--device", "cpu",
        "--num-workers", "0", "--epochs", "2", "--steps-per-epoch", "3"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            "-m", "ddarts", "search", *args]


def _records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_two_process_search_writes_one_run_folder_and_resumes_after_ctrl_c(tmp_path):
    whole = tmp_path / "whole"
    done = subprocess.run(_torchrun(*TINY, "--out", str(whole)), env=ENV, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "× 2 processes (torchrun, gloo)" in done.stderr
    assert done.stderr.count("Finished 6 steps") == 1  # only rank 0 reports
    state = RunReader(whole).read_all()
    assert state.status == "finished"
    assert list(state.step_series("step")) == list(range(1, 7))  # one record per step, not one per process
    started = next(r for r in _records(whole) if r["type"] == "start")
    assert started["world_size"] == 2
    assert (whole / "genotypes" / "final_edge.json").is_file()

    # Ctrl-C reaches torchrun, which passes it to every process: all stop at the same step, rank 0 checkpoints.
    run = tmp_path / "interrupted"
    proc = subprocess.Popen(_torchrun(*TINY, "--out", str(run)), env=ENV, stderr=subprocess.PIPE, text=True)
    metrics = run / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if metrics.exists() and '"type": "step"' in metrics.read_text():
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert "Resume with: torchrun --nproc_per_node 2 -m ddarts search --resume" in err, err
    state = RunReader(run).read_all()
    assert state.status == "stopped"
    assert int(state.step_series("step")[-1]) < 6
    assert (run / "checkpoint.pt").is_file()

    resumed = subprocess.run(_torchrun("--resume", str(run)), env=ENV, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    state = RunReader(run).read_all()
    assert state.status == "finished"
    assert list(state.step_series("step")) == list(range(1, 7))
    np.testing.assert_allclose(np.load(run / "alphas" / "epoch_002.npy"), np.load(whole / "alphas" / "epoch_002.npy"),
                               rtol=0, atol=1e-6)
