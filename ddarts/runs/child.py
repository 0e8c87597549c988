"""The child side of `ddarts.runs.process`: `python -m ddarts.runs.child`, driven over its standard streams.

Not a command for users (`ddarts search` is): it reads the request and commands from standard input and
writes event records to standard output, as `ddarts.runs.process` describes.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from typing import IO, Any

import torch

from ddarts.errors import DdartsError
from ddarts.runs.recorded import recorded_search
from ddarts.runs.writer import json_default
from ddarts.runtime.interrupts import StopOnSignals
from ddarts.runtime.threads import use_cores
from ddarts.search.config import SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.events import event_to_record

COMMANDS = {"pause": SearchControl.pause, "resume": SearchControl.resume, "stop": SearchControl.stop}


def follow_commands(stream: IO[str], control: SearchControl) -> None:
    """Apply the parent's commands; the end of input (the parent closed it or died) stops the search."""
    for line in stream:
        command = COMMANDS.get(line.strip())
        if command is not None:
            command(control)
    control.stop()


def warm_up() -> None:
    """What every search does first, done before the request arrives: torch's optimizers import their
    compiler support (about a thousand modules) the first time one is built."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def send(out: IO[str], record: dict[str, Any]) -> bool:
    """One record per line; NaN and infinities travel as Python's JSON writes them (the parent is Python).
    False when the parent has gone (its end of the pipe is closed)."""
    try:
        out.write(json.dumps(record, default=json_default) + "\n")
        out.flush()
        return True
    except (BrokenPipeError, ValueError):  # ValueError: written to after a failed flush closed it
        return False


def main() -> int:
    # The records get a private copy of standard output; whatever else prints goes to standard error.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        warm_up()
        line = sys.stdin.readline()
        if not line:  # a spare the parent no longer wants
            return 0
        request = json.loads(line)
        control = SearchControl()
        threading.Thread(target=follow_commands, args=(sys.stdin, control), daemon=True,
                         name="ddarts commands").start()
        use_cores(reserve=int(request.get("reserve_cores", 0)))
        config = SearchConfig.from_dict(request["config"]) if request.get("config") is not None else None
        with StopOnSignals(control, lambda message: None, ""):
            for event in recorded_search(config, request["run_dir"], control=control,
                                         resume=bool(request.get("resume"))):
                if not send(out, event_to_record(event)):
                    control.stop()  # nobody reads on: stop after this step, with a checkpoint
        return 0
    except DdartsError as exc:
        send(out, {"type": "error", "message": str(exc), "details": "", "input": True})
        return 1
    except Exception as exc:  # noqa: BLE001 - reported to the parent with its traceback
        send(out, {"type": "error", "message": f"{type(exc).__name__}: {exc}", "details": traceback.format_exc(),
                   "input": False})
        return 1


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # The folder is written and unlocked: skip the interpreter's teardown of torch (seconds on a slow machine).
    os._exit(code)
