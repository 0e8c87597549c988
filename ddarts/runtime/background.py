"""Work that reports progress from a helper thread, passed on by a generator in the caller's thread.

Search and training both load their data this way: a download can take minutes, and the caller (the CLI's
progress bar, the app's worker) must keep receiving reports, and must see the loader's exception as its own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def run_reporting(work: Callable[[Callable[[Any], None]], T], out: dict[str, Any], *,
                  name: str = "ddarts-data") -> Iterator[Any]:
    """Run `work(report)` in a thread and yield each report it makes; its result is stored in `out["result"]`.

    An exception raised by `work` is raised here, in the generator's thread, after the last report."""
    reports: queue.Queue = queue.Queue()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work(reports.put)
        except BaseException as exc:  # re-raised in the caller's thread below
            outcome["error"] = exc
        finally:
            reports.put(_DONE)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    while (report := reports.get()) is not _DONE:
        yield report
    thread.join()
    if "error" in outcome:
        raise outcome.pop("error")
    out["result"] = outcome["result"]


_DONE = object()
