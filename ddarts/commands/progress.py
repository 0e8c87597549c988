"""A small terminal progress bar with rate and ETA, for long CLI runs (search, training).

On a terminal it redraws one line in place at most ~5 times a second; into a file or pipe (logs, CI) it
writes a plain line now and then instead, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

BAR_WIDTH = 24
TTY_INTERVAL_S = 0.2
PLAIN_INTERVAL_S = 10.0


def format_duration(seconds: float) -> str:
    """H:MM:SS (or M:SS under an hour); '?' for an unknown duration."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    """`update(n, postfix)` advances by n; `set(done, postfix)` jumps to a count (a resumed run starts there)."""

    def __init__(self, total: int, desc: str = "", stream: TextIO | None = None, *, initial: int = 0,
                 clock: Callable[[], float] = time.monotonic, isatty: bool | None = None):
        self.total = max(int(total), 0)
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.done = int(initial)
        self.postfix = ""
        self._clock = clock
        self._start = clock()
        self._start_done = self.done
        self._last_draw = float("-inf")
        self._tty = bool(isatty) if isatty is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self._line_len = 0
        self._drawn: tuple[int, str] | None = None
        self._closed = False

    # ------------------------------------------------------------------ public
    def update(self, n: int = 1, postfix: str | None = None) -> None:
        self.set(self.done + n, postfix)

    def set(self, done: int, postfix: str | None = None) -> None:
        self.done = int(done)
        if postfix is not None:
            self.postfix = postfix
        now = self._clock()
        if now - self._last_draw >= (TTY_INTERVAL_S if self._tty else PLAIN_INTERVAL_S):
            self._draw(now)

    def write(self, message: str) -> None:
        """Print a line above the bar without garbling it."""
        if self._tty and self._line_len:
            self.stream.write("\r" + " " * self._line_len + "\r")
        self.stream.write(message.rstrip("\n") + "\n")
        if self._tty and not self._closed and self._line_len:
            self._draw(self._clock())
        self.stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        if self._tty or self._drawn != (self.done, self.postfix):
            self._draw(self._clock())
        if self._tty:
            self.stream.write("\n")
        self.stream.flush()
        self._closed = True

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ rendering
    def rate(self, now: float | None = None) -> float:
        elapsed = (self._clock() if now is None else now) - self._start
        return (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0

    def render(self, now: float | None = None) -> str:
        now = self._clock() if now is None else now
        elapsed = now - self._start
        rate = self.rate(now)
        remaining = (self.total - self.done) / rate if rate > 0 else float("nan")
        head = f"{self.desc}: " if self.desc else ""
        if self.total:
            frac = min(max(self.done / self.total, 0.0), 1.0)
            filled = int(frac * BAR_WIDTH)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text = f"{head}{frac * 100:3.0f}% [{bar}] {self.done}/{self.total}"
        else:
            text = f"{head}{self.done}"
        text += f" [{format_duration(elapsed)}<{format_duration(remaining)}, {rate:.2f} it/s]"
        return f"{text} {self.postfix}".rstrip()

    def _draw(self, now: float) -> None:
        line = self.render(now)
        if self._tty:
            pad = max(self._line_len - len(line), 0)
            self.stream.write("\r" + line + " " * pad)
            self._line_len = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._last_draw = now
        self._drawn = (self.done, self.postfix)
