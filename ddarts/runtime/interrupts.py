"""Ctrl-C and SIGTERM for the long-running commands (`ddarts search`, `ddarts train`).

First signal: ask the loop to stop after the current step, which leaves a checkpoint. Second: abort at once
(KeyboardInterrupt, or `Terminated` for SIGTERM). SIGTERM counts too, because torchrun and batch schedulers stop
jobs with it. `exit_code` is what the command exits with: 130 after SIGINT, 143 after SIGTERM.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that `finally` blocks (cleanups, lock release) run."""


def raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


class StopOnSignals:
    """Installs the handlers for its `with` block (or between `install` and `restore`); outside the main
    thread, where Python allows no handlers, it does nothing."""

    def __init__(self, control: Any, report: Callable[[str], None], message: str) -> None:
        self.control = control
        self.report = report
        self.message = message
        self.previous: dict[int, Any] = {}
        self.signum: int | None = None
        """The first signal received."""

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)

    def install(self) -> "StopOnSignals":
        try:
            for sig in SIGNALS:
                self.previous[sig] = signal.signal(sig, self._handle)
        except ValueError:  # not the main thread
            self.restore()
        return self

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}

    def __enter__(self) -> "StopOnSignals":
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def _handle(self, signum: int, frame: Any) -> None:
        if self.control.stop_requested:
            if signum == signal.SIGTERM:
                raise Terminated()
            raise KeyboardInterrupt
        self.signum = signum
        self.control.stop()
        self.report(self.message)
