"""Off-GUI-thread work where only the newest request matters: Graphviz renders, network statistics.

Graphviz can take a noticeable time on a large network diagram, and a live search asks for a new
picture every epoch; running `dot` on the GUI thread would freeze the window. `LatestCall` runs one
job at a time on its own pool, keeps only the newest pending request and silently drops results that
a newer request has made stale, so a burst of requests costs at most two runs.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    QThreadPool,
    Signal,
    Slot,
)

from ddarts.errors import DdartsError
from ddarts.genotype.diagram import render
from ddarts.priority import RENDER_NICENESS


def describe_error(error: BaseException) -> str:
    """A message for a person: input errors speak for themselves, bugs keep their type name."""
    if isinstance(error, DdartsError):
        return str(error)
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _JobSignals(QObject):
    # request id, result, error message (None on success)
    done = Signal(int, object, object)


class _Job(QRunnable):
    def __init__(self, request_id: int, fn: Callable[[], Any]):
        super().__init__()
        self.request_id = request_id
        self.fn: Callable[[], Any] | None = fn
        self.signals = _JobSignals()

    def run(self) -> None:
        fn, self.fn = self.fn, None  # the pool may keep this object; do not keep the job's inputs alive
        try:
            result, error = fn(), None
        except Exception as exc:  # reported to the GUI thread, never raised in a pool thread
            result, error = None, describe_error(exc)
        del fn
        try:
            self.signals.done.emit(self.request_id, result, error)
        except RuntimeError:
            pass  # the receiver was destroyed while the job ran; nobody wants the result


class LatestCall(QObject):
    """Runs callables one at a time off the GUI thread; only the newest request's outcome is reported.

    `finished(request_id, result)` or `failed(request_id, message)` is emitted on the GUI thread for
    the newest request only. `shutdown()` (also run when the application quits) waits for the running
    job, so no thread outlives the owner.
    """

    finished = Signal(int, object)
    failed = Signal(int, str)
    busy_changed = Signal(bool)

    _ids = itertools.count(1)  # unique over all instances, so ids never collide between views
    _instances: "weakref.WeakSet[LatestCall]" = weakref.WeakSet()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._latest = 0
        self._running: _Job | None = None
        self._pending: tuple[int, Callable[[], Any]] | None = None
        self._closed = False
        self._was_busy = False
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        LatestCall._instances.add(self)

    @classmethod
    def running_count(cls) -> int:
        """Jobs running right now in any live instance (tests assert 0 after a widget is closed)."""
        count = 0
        for instance in list(cls._instances):
            try:
                count += instance._pool.activeThreadCount()
            except RuntimeError:
                continue  # the Qt object is gone; its pool waited for its threads when it was deleted
        return count

    # ------------------------------------------------------------------ public
    def submit(self, fn: Callable[[], Any]) -> int:
        """Queue `fn`; it replaces any request that has not started yet. Returns the request id."""
        if self._closed:
            return 0
        request_id = next(self._ids)
        self._latest = request_id
        if self._running is None:
            self._start(request_id, fn)
        else:
            self._pending = (request_id, fn)
        self._note_busy()
        return request_id

    def cancel(self) -> None:
        """Forget the pending request and make the running one's outcome stale."""
        self._pending = None
        self._latest = next(self._ids)
        self._note_busy()

    @property
    def busy(self) -> bool:
        """True while the newest request has not been answered yet."""
        return self._pending is not None or (self._running is not None and self._running.request_id == self._latest)

    @property
    def latest_id(self) -> int:
        return self._latest

    def wait(self, msecs: int = -1) -> bool:
        """Block until the running job ends (for tests and shutdown); results still arrive as events."""
        return self._pool.waitForDone(msecs)

    @Slot()
    def shutdown(self) -> None:
        """Drop pending work and wait for the running job: after this no pool thread runs our code."""
        self._closed = True
        self._pending = None
        self._pool.waitForDone()
        self._pool.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ internals
    def _start(self, request_id: int, fn: Callable[[], Any]) -> None:
        job = _Job(request_id, fn)
        job.setAutoDelete(False)  # we keep the Python object alive until its result is delivered
        job.signals.done.connect(self._on_done)
        self._running = job
        self._pool.start(job)

    @Slot(int, object, object)
    def _on_done(self, request_id: int, result: Any, error: str | None) -> None:
        self._running = None
        if self._pending is not None and not self._closed:
            next_id, fn = self._pending
            self._pending = None
            self._start(next_id, fn)
        self._note_busy()
        if request_id != self._latest or self._closed:
            return  # stale: a newer request exists or the owner is gone
        if error is None:
            self._deliver(request_id, result)
        else:
            self.failed.emit(request_id, error)

    def _note_busy(self) -> None:
        busy = self.busy
        if busy != self._was_busy:
            self._was_busy = busy
            self.busy_changed.emit(busy)

    def _deliver(self, request_id: int, result: Any) -> None:
        self.finished.emit(request_id, result)


def _default_render(dot_source: str) -> bytes:
    return render(dot_source, fmt="svg", niceness=RENDER_NICENESS)  # the window's event loop comes first


class GraphvizRenderer(LatestCall):
    """Renders DOT to SVG bytes off the GUI thread; `rendered(request_id, svg)` for the newest request.

    One renderer per view: the coalescing is per renderer, so two views never drop each other's work.
    `render_fn` (DOT text -> SVG bytes) defaults to `ddarts.genotype.diagram.render`.
    """

    rendered = Signal(int, bytes)

    def __init__(self, parent: QObject | None = None, render_fn: Callable[[str], bytes] | None = None):
        super().__init__(parent)
        self._render_fn = render_fn or _default_render

    def request(self, dot_source: str) -> int:
        render_fn = self._render_fn
        return self.submit(lambda: bytes(render_fn(dot_source)))

    def _deliver(self, request_id: int, result: Any) -> None:
        self.rendered.emit(request_id, result)
        self.finished.emit(request_id, result)


class RendererOwner:
    """Mixin for a widget that owns a `GraphvizRenderer` in `_renderer`: exposes it and, on close, waits for a
    render still running on the pool so no job outlives its widget."""

    _renderer: GraphvizRenderer

    @property
    def renderer(self) -> GraphvizRenderer:
        return self._renderer

    def shutdown(self) -> None:
        """Wait for a running render; called on close and when the application quits."""
        self._renderer.shutdown()

    def closeEvent(self, event) -> None:  # noqa: ANN001 - QCloseEvent
        self.shutdown()
        super().closeEvent(event)  # type: ignore[misc]
