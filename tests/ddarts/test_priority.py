"""Helper processes below normal priority: lowered by the asked steps, never an error when that cannot be done."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ddarts import priority

posix = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="POSIX priorities")


@posix
def test_a_started_process_is_lowered_by_the_given_steps():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        priority.lower(child.pid, 3)
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, mine + 3)
        priority.lower(child.pid, 0)  # nothing to do
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, mine + 3)
    finally:
        child.kill()
        child.wait()
    priority.lower(child.pid, 3)  # ended: no error


@pytest.mark.skipif(sys.platform == "win32", reason="Windows uses priority classes")
def test_creation_flags_are_for_windows_only():
    assert priority.creation_flags(priority.SEARCH_NICENESS) == 0
