"""Work the desktop app starts in other processes runs below normal priority, so the window is served first.

On a machine with few cores the app's search process, its Graphviz renders and its event loop compete for the
same cores; the scheduler then gives the window its share first. An idle machine runs them at full speed
all the same. POSIX lowers a started process with `setpriority`; Windows starts it in a lower priority class.
"""

from __future__ import annotations

import os
import subprocess
import sys

SEARCH_NICENESS = 10
"""A search gives way to the window and to the diagrams the user is waiting for."""
RENDER_NICENESS = 5
"""A Graphviz render gives way to the window."""


def creation_flags(niceness: int) -> int:
    """`creationflags` for `subprocess.Popen` that start a process at `niceness` (Windows; 0 elsewhere)."""
    if sys.platform != "win32" or niceness <= 0:
        return 0
    return subprocess.IDLE_PRIORITY_CLASS if niceness > 10 else subprocess.BELOW_NORMAL_PRIORITY_CLASS


def lower(pid: int, niceness: int) -> None:
    """Lower a started process by `niceness` steps (POSIX; Windows uses `creation_flags`). Never raises:
    a process that already ended, or a system that refuses, simply keeps its priority."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, pid)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, current + niceness))
    except OSError:
        pass
