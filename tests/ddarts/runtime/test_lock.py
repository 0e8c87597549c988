"""One writer per run folder: a live holder is named, a dead holder's lock is taken over."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ddarts.errors import LockedError
from ddarts.runtime.folders import LOCK_FILE
from ddarts.runtime.lock import RunLock


def test_second_writer_gets_one_line_naming_pid_and_host(tmp_path):
    with RunLock(tmp_path / "run"):
        with pytest.raises(LockedError) as info:
            RunLock(tmp_path / "run").acquire()
    message = str(info.value)
    assert f"process {os.getpid()} on {socket.gethostname()}" in message and "\n" not in message
    # released: the next writer gets it, and the lock leaves no file behind
    with RunLock(tmp_path / "run"):
        pass
    assert not (tmp_path / "run").exists()


def test_a_lock_file_left_by_a_dead_process_is_taken_over(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / LOCK_FILE).write_text(json.dumps({"pid": 999999, "host": "gone"}))  # no one holds it
    with RunLock(run) as lock:
        assert json.loads((run / LOCK_FILE).read_text())["pid"] == os.getpid() and lock.held
    assert sorted(p.name for p in run.iterdir()) == ["config.json"]


def test_the_lock_dies_with_a_killed_holder(tmp_path):
    run = tmp_path / "run"
    code = ("import sys, time; from ddarts.runtime.lock import RunLock; RunLock(sys.argv[1]).acquire(); "
            "print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(run)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=f"process {holder.pid} on"):
            RunLock(run).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    time.sleep(0.05)
    with RunLock(run) as lock:  # SIGKILL left the file; the kernel dropped the lock
        assert lock.held
