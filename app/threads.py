"""Runs any generator of events on a QThread and hands its events to the GUI thread in batches.

Search (and any other long job written as a generator: training, exports) checks a control object
for pause/stop between its steps, so the thread is never terminated: Stop sets a flag, the generator
saves what it must and returns, and the thread ends by itself. Abort is the hard variant: the
generator is closed at its next event (its `finally` blocks run, nothing after them). Events are
batched (frequent ones at most ~20 times a second, any other at once) and cross to the GUI thread
through a queued signal; an exception inside the generator arrives there as the `crashed` signal.
"""

from __future__ import annotations

import threading
import time
import traceback
import weakref
from typing import Callable, Iterator

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ddarts.errors import DdartsError
from ddarts.runtime.threads import use_cores
from ddarts.search import SearchControl

BATCH_INTERVAL_S = 0.05
"""Frequent events go out at most this often, together with whatever arrived since; any other event
goes out at once with the batch before it."""

GeneratorFactory = Callable[[SearchControl], Iterator[object]]
"""Builds the generator to run, given the control it must poll for pause and stop."""

_THREADS: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def live_threads() -> list[QThread]:
    """Worker threads that still exist (tests fail when one is left running)."""
    return list(_THREADS)


class _Job(QObject):
    """Lives on the worker thread; iterates the generator and emits batches of events."""

    events = Signal(list)
    crashed = Signal(str, str, object)  # message, traceback ("" for a DdartsError), the exception
    done = Signal()

    def __init__(self, factory: GeneratorFactory, control: SearchControl, abort: threading.Event,
                 frequent: tuple[type, ...]):
        super().__init__()
        self._factory = factory
        self._control = control
        self._abort = abort
        self._frequent = frequent

    @Slot()
    def run(self) -> None:
        batch: list = []
        last_emit = time.monotonic()
        generator = None
        use_cores(reserve=1)  # torch's threads leave one core to the GUI's event loop
        try:
            generator = self._factory(self._control)
            for event in generator:
                batch.append(event)
                now = time.monotonic()
                if not isinstance(event, self._frequent) or now - last_emit >= BATCH_INTERVAL_S:
                    self.events.emit(batch)
                    batch, last_emit = [], now
                if self._abort.is_set():
                    generator.close()
                    break
        except DdartsError as exc:
            self._flush(batch)
            batch = []
            self.crashed.emit(str(exc), getattr(exc, "details", ""), exc.with_traceback(None))
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, never swallowed
            self._flush(batch)
            batch = []
            details = traceback.format_exc()
            self.crashed.emit(f"{type(exc).__name__}: {exc}", details, exc.with_traceback(None))
        finally:
            self._flush(batch)
            self.done.emit()

    def _flush(self, batch: list) -> None:
        if batch:
            self.events.emit(batch)


class GeneratorRunner(QObject):
    """Starts, pauses, resumes, stops and aborts one generator at a time; lives on the GUI thread."""

    events = Signal(list)
    """A batch of events, delivered on the GUI thread."""
    started = Signal(str)
    """The thread started; the argument is the name given to `start`."""
    finished = Signal()
    """The thread ended (finished, stopped, aborted, failed or crashed) and has been joined."""
    crashed = Signal(str, str)
    """The generator raised (message, traceback; the traceback is "" for a DdartsError)."""
    paused_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, frequent: tuple[type, ...] = ()):
        super().__init__(parent)
        self._frequent = frequent
        self._thread: QThread | None = None
        self._job: _Job | None = None
        self._control: SearchControl | None = None
        self._abort = threading.Event()
        self._name: str | None = None
        self.error: BaseException | None = None
        """The exception of the last crash (None when the last run did not crash)."""

    # ------------------------------------------------------------------ queries
    @property
    def is_running(self) -> bool:
        return self._thread is not None

    @property
    def is_paused(self) -> bool:
        return self._control is not None and self._control.paused

    @property
    def stop_requested(self) -> bool:
        return self._control is not None and (self._control.stop_requested or self._abort.is_set())

    @property
    def name(self) -> str | None:
        """The name of the running (or last) job."""
        return self._name

    # ------------------------------------------------------------------ commands
    def start(self, factory: GeneratorFactory, name: str) -> None:
        """Run `factory(control)` on a new thread; `name` labels the thread and the `started` signal."""
        if self._thread is not None:
            raise RuntimeError("a job is already running; stop it first")
        self._name = name
        self.error = None
        self._control = SearchControl()
        self._abort = threading.Event()
        thread = QThread()
        thread.setObjectName(f"ddarts {name}")
        job = _Job(factory, self._control, self._abort, self._frequent)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.events.connect(self.events)
        job.crashed.connect(self._on_crashed)
        job.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # works even while the GUI waits
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._job = thread, job
        _THREADS.add(thread)
        thread.start()
        self.started.emit(name)

    def pause(self) -> None:
        if self._control is not None and not self._control.paused:
            self._control.pause()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._control is not None and self._control.paused:
            self._control.resume()
            self.paused_changed.emit(False)

    def toggle_pause(self) -> None:
        if self.is_paused:
            self.resume()
        else:
            self.pause()

    def stop(self) -> None:
        """Ask the generator to stop at its next step boundary (it may save a checkpoint first)."""
        if self._control is not None:
            was_paused = self._control.paused
            self._control.stop()
            if was_paused:
                self.paused_changed.emit(False)

    def abort(self) -> None:
        """Close the generator at its next event, without its own stopping path (no checkpoint)."""
        if self._control is not None:
            self._abort.set()
            self.stop()  # wakes a paused generator so it reaches its next event

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the thread ended (shutdown paths only; the GUI normally waits for `finished`)."""
        thread = self._thread
        return True if thread is None else bool(thread.wait(timeout_ms))

    # ------------------------------------------------------------------ internals
    @Slot(str, str, object)
    def _on_crashed(self, message: str, details: str, error: object) -> None:
        self.error = error if isinstance(error, BaseException) else None
        self.crashed.emit(message, details)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.wait()
        # Dropping the last references here deletes the job and the finished thread on the GUI thread.
        self._thread = self._job = None
        self._control = None
        self.finished.emit()
