"""Standard output that survives its reader leaving (`ddarts genotype G -o OUT | head -1`).

A closed pipe must not cut a command short: the files it was asked to write still get written, so after a
BrokenPipeError the rest of the output goes to the null device and the command carries on.
"""

from __future__ import annotations

import os
from typing import Any, TextIO


class PipeSafeOutput:
    """Wraps a text stream; writes after the reader left are dropped instead of raising."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self.broken = True
        try:  # the interpreter flushes stdout once more at exit: point it at the null device
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
