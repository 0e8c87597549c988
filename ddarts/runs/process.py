"""A recorded search in a process of its own, streamed back as events: what the desktop app runs.

A search on a thread of the app's own process shares its interpreter lock with the GUI thread, and its first
steps import half of torch there; both showed as stalls of the window. In a child process the search has its
own interpreter, and the app's thread only waits on a pipe. The child writes the same run folder as
`ddarts search` and sends each event, after it is recorded, as one JSON line (the records of metrics.jsonl),
so the parent yields exactly what `recorded_search` would have yielded.

The protocol, both directions line by line in UTF-8:
- parent → child: first the request `{"config": {...} | null, "run_dir": "...", "resume": bool,
  "reserve_cores": int}`, then commands `pause`, `resume`, `stop`. End of input means the parent is gone:
  the child stops after its step, with a checkpoint.
- child → parent: event records, and at most one `{"type": "error", "message", "details", "input"}` when the
  search raised (`input`: a DdartsError, bad input rather than a bug). Anything else the child prints goes to
  its standard error, which the parent keeps in a temporary file for its error messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ddarts import priority
from ddarts.errors import DdartsError
from ddarts.search.config import SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.events import Event, Failed, Finished, Stopped, record_to_event

CHILD_MODULE = "ddarts.runs.child"
CONTROL_POLL_S = 0.05
"""How often pause/stop requests are looked for and passed on (the engine acts on them at its next step)."""
TERMINATE_WAIT_S = 5.0
"""After SIGTERM (stop after this step, checkpoint) the child is killed if it has not ended by then."""
STDERR_TAIL = 4000
ENDINGS = (Finished, Stopped, Failed)


class SearchProcessError(DdartsError):
    """The search process failed: `details` is its traceback or the end of its error output ("" for bad input)."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class SearchChild:
    """A started child process, waiting for its request: `SearchChild.start()` ahead of time (while a form is
    filled in) hides its start-up, torch's imports, from the person who clicks Start."""

    def __init__(self, niceness: int = 0) -> None:
        self.errors = tempfile.TemporaryFile()
        try:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", CHILD_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self.errors, env=_child_environment(), cwd=os.getcwd(),
                creationflags=priority.creation_flags(niceness),
            )
        except BaseException:
            self.errors.close()  # no child: its error file goes too
            raise
        priority.lower(self.popen.pid, niceness)

    @classmethod
    def start(cls, niceness: int = 0) -> "SearchChild":
        """`niceness` > 0: below normal priority (ddarts.priority), as the desktop app runs its searches."""
        return cls(niceness)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def close(self) -> None:
        """End the child (SIGTERM, then a kill after TERMINATE_WAIT_S) and free its pipes and error file."""
        _end(self.popen)
        self.errors.close()


def process_search(config: SearchConfig | None, run_dir: str | os.PathLike, *, control: SearchControl,
                   resume: bool = False, reserve_cores: int = 1, child: SearchChild | None = None,
                   niceness: int = 0) -> Iterator[Event]:
    """`recorded_search(config, run_dir, control=control, resume=resume)` run by a child Python process.

    `child` is one started ahead (it is used if still alive, and ended with the search); else one starts here,
    at `niceness` (see `SearchChild.start`).
    Pause, resume and stop on `control` reach the child within CONTROL_POLL_S. Closing the generator early
    ends the child: SIGTERM (it stops after the current step), then a kill after TERMINATE_WAIT_S; the run
    folder survives either (a later resume recovers it). Raises SearchProcessError when the search raised
    in the child or the child died without a last event.
    """
    request = {"config": None if config is None else config.to_dict(), "run_dir": str(run_dir),
               "resume": resume, "reserve_cores": reserve_cores}
    if child is None or not child.alive:
        if child is not None:
            child.close()
        child = SearchChild.start(niceness)
    done = threading.Event()
    try:
        popen = child.popen
        _send(popen.stdin, json.dumps(request))
        threading.Thread(target=_forward_control, args=(control, popen.stdin, done), daemon=True,
                         name="ddarts search control").start()
        ended = False
        assert popen.stdout is not None
        for line in popen.stdout:
            event = _decode(line)
            ended = ended or isinstance(event, ENDINGS)
            yield event
        code = popen.wait()
        if not ended:
            raise SearchProcessError(
                f"the search process ended without finishing, stopping or failing (exit code {code})",
                _tail(child.errors))
    except _ChildRaised as raised:
        raise SearchProcessError(raised.message, raised.details) from None
    finally:
        done.set()
        child.close()


class _ChildRaised(Exception):
    def __init__(self, record: dict[str, Any]):
        super().__init__(record.get("message"))
        self.message = str(record.get("message") or "the search process failed")
        self.details = "" if record.get("input") else str(record.get("details") or "")


def _decode(line: bytes) -> Event:
    shown = line[:200].decode("utf-8", "replace")
    try:
        record = json.loads(line)
    except ValueError:
        raise SearchProcessError("the search process sent a line that is not JSON", shown) from None
    if not isinstance(record, dict):
        raise SearchProcessError("the search process sent a record that is not an object", shown)
    if record.get("type") == "error":
        raise _ChildRaised(record)
    try:
        return record_to_event(record)
    except ValueError as exc:
        raise SearchProcessError(f"the search process sent a malformed event: {exc}", shown) from None


def _send(stream: IO[bytes] | None, line: str) -> bool:
    """Write one line; False when the child has gone (its end of the pipe is closed)."""
    if stream is None:
        return False
    try:
        stream.write(line.encode("utf-8") + b"\n")
        stream.flush()
        return True
    except (BrokenPipeError, OSError, ValueError):
        return False


def _forward_control(control: SearchControl, stream: IO[bytes] | None, done: threading.Event) -> None:
    paused = False
    while not done.wait(CONTROL_POLL_S):
        if control.stop_requested:  # also wakes a paused child
            _send(stream, "stop")
            return
        if control.paused != paused:
            paused = control.paused
            if not _send(stream, "pause" if paused else "resume"):
                return


def _end(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(TERMINATE_WAIT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for stream in (child.stdin, child.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass


def _tail(errors: IO[bytes]) -> str:
    errors.seek(0, os.SEEK_END)
    size = errors.tell()
    errors.seek(max(0, size - STDERR_TAIL))
    return errors.read().decode("utf-8", "replace")


def _child_environment() -> dict[str, str]:
    """This process's environment, with this copy of ddarts first on the path so the child runs the same code
    (and, from Python 3.11, never a `ddarts` folder in the working directory, which `-m` would put first)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONSAFEPATH"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env
