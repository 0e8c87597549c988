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

pytestmark = [pytest.mark.slow,  # processes: scheduled first
              pytest.mark.skipif(sys.platform == "win32", reason="torchrun signal handling differs on Windows")]

TINY = ["--dataset", "digits", "--cells", "3", "--init-channels", "2", "--batch-size", "8", "--device", "cpu",
        "--workers", "0", "--epochs", "2", "--steps-per-epoch", "3"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
if os.path.exists("/sys/class/net/lo"):  # loopback: gloo must not depend on the host name resolving
    ENV.setdefault("GLOO_SOCKET_IFNAME", "lo")


def _torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            "-m", "ddarts", "search", *args]


def _records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_two_process_search_stops_on_ctrl_c_and_resumes_into_one_run_folder(tmp_path):
    # Ctrl-C reaches torchrun, which passes it to every process: all stop at the same step, rank 0 checkpoints.
    run = tmp_path / "run"
    proc = subprocess.Popen(_torchrun(*TINY, "--out", str(run)), env=ENV, stderr=subprocess.PIPE, text=True)
    metrics = run / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if metrics.exists() and '"type": "step"' in metrics.read_text():
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert "× 2 processes (torchrun, gloo)" in err
    assert err.count("Resume with: torchrun --nproc_per_node 2 -m ddarts search --resume") == 1, err
    state = RunReader(run).read_all()
    assert state.status == "stopped"
    stopped_at = int(state.step_series("step")[-1])
    assert stopped_at < 6
    assert (run / "checkpoint.pt").is_file()

    # Both processes resume from rank 0's checkpoint; had either not, the replica check at the next
    # checkpoint would have failed the run ("replicas diverged").
    resumed = subprocess.run(_torchrun("--resume", str(run)), env=ENV, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.count("Finished 6 steps") == 1  # only rank 0 reports
    state = RunReader(run).read_all()
    assert state.status == "finished"
    assert list(state.step_series("step")) == list(range(1, 7))  # one record per step, not one per process
    starts = [r for r in _records(run) if r["type"] == "start"]
    assert [s["world_size"] for s in starts] == [2, 2] and starts[1]["resumed"]
    assert np.load(run / "alphas" / "epoch_002.npy").shape == (3, 14, 7)
    assert (run / "genotypes" / "final_edge.json").is_file()
