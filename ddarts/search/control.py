"""Pause/resume/stop requests for a running search, safe to call from any thread (GUI, signal handler)."""

from __future__ import annotations

import threading


class SearchControl:
    """The engine polls this at step boundaries only, so a step is never cut in half."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused search must wake up to stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self, timeout: float) -> bool:
        """Block up to `timeout` seconds while paused; True once running (or stopping) again."""
        return self._running.wait(timeout)
