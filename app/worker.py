"""Runs a search on a QThread and hands its events to the GUI thread in batches.

The engine is a generator that checks pause/stop between steps, so the thread is never terminated:
Stop sets a flag, the engine saves a checkpoint and returns, and the thread ends by itself. Events
are batched (at most ~20 batches a second for step metrics, at once for anything else) and cross
to the GUI thread through a queued signal.
"""

from __future__ import annotations

import time
import traceback
import weakref
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ddarts.errors import DdartsError
from ddarts.runs import recorded_search
from ddarts.runtime.threads import use_cores
from ddarts.search import SearchConfig, SearchControl
from ddarts.search.events import DatasetProgress, StepMetrics

BATCH_INTERVAL_S = 0.05
"""Frequent events (step metrics, dataset progress) go out at most this often, together with whatever
arrived since; any other event goes out at once with the batch before it."""

_THREADS: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def live_threads() -> list[QThread]:
    """Search threads that still exist (tests fail when one is left running)."""
    return list(_THREADS)


class _SearchJob(QObject):
    """Lives on the worker thread; iterates the engine and emits batches of events."""

    events = Signal(list)
    crashed = Signal(str, str)  # message, traceback ("" for an input error with a clear message)
    done = Signal()

    def __init__(self, config: SearchConfig | None, run_dir: str, resume: bool, control: SearchControl):
        super().__init__()
        self._config = config
        self._run_dir = run_dir
        self._resume = resume
        self._control = control

    @Slot()
    def run(self) -> None:
        batch: list = []
        last_emit = time.monotonic()
        use_cores(reserve=1)  # one core stays with the GUI's event loop
        try:
            for event in recorded_search(self._config, self._run_dir, control=self._control, resume=self._resume):
                batch.append(event)
                now = time.monotonic()
                if not isinstance(event, (StepMetrics, DatasetProgress)) or now - last_emit >= BATCH_INTERVAL_S:
                    self.events.emit(batch)
                    batch, last_emit = [], now
        except DdartsError as exc:
            self._flush(batch)
            batch = []
            self.crashed.emit(str(exc), "")
        except Exception as exc:  # noqa: BLE001 - shown to the user in a dialog, never swallowed
            self._flush(batch)
            batch = []
            self.crashed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        finally:
            self._flush(batch)
            self.done.emit()

    def _flush(self, batch: list) -> None:
        if batch:
            self.events.emit(batch)


class SearchRunner(QObject):
    """Starts, pauses, resumes and stops one search at a time; lives on the GUI thread."""

    events = Signal(list)
    """A batch of engine events, delivered on the GUI thread."""
    started = Signal(str)
    """The search thread started for this run folder."""
    finished = Signal()
    """The search thread ended (finished, stopped, failed or crashed) and has been joined."""
    crashed = Signal(str, str)
    """The search could not run or raised outside the engine's own failure handling (message, traceback)."""
    paused_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _SearchJob | None = None
        self._control: SearchControl | None = None
        self._run_dir: str | None = None

    # ------------------------------------------------------------------ queries
    @property
    def is_running(self) -> bool:
        return self._thread is not None

    @property
    def is_paused(self) -> bool:
        return self._control is not None and self._control.paused

    @property
    def stop_requested(self) -> bool:
        return self._control is not None and self._control.stop_requested

    @property
    def run_dir(self) -> str | None:
        return self._run_dir

    # ------------------------------------------------------------------ commands
    def start(self, config: SearchConfig | None, run_dir: str | Path, *, resume: bool = False) -> None:
        """Start a new search (config given) or resume the one in run_dir (resume=True, config may be None)."""
        if self._thread is not None:
            raise RuntimeError("a search is already running; stop it first")
        self._run_dir = str(run_dir)
        self._control = SearchControl()
        thread = QThread()
        thread.setObjectName(f"ddarts-search {Path(run_dir).name}")
        job = _SearchJob(config, self._run_dir, resume, self._control)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.events.connect(self.events)
        job.crashed.connect(self.crashed)
        job.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # works even while the GUI waits
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._job = thread, job
        _THREADS.add(thread)
        thread.start()
        self.started.emit(self._run_dir)

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
        """Ask the engine to stop after the current step; it saves a checkpoint, then the thread ends."""
        if self._control is not None:
            was_paused = self._control.paused
            self._control.stop()
            if was_paused:
                self.paused_changed.emit(False)

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the thread ended (shutdown paths only; the GUI normally waits for `finished`)."""
        thread = self._thread
        if thread is None:
            return True
        ok = thread.wait(timeout_ms)
        return bool(ok)

    # ------------------------------------------------------------------ internals
    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.wait()
        # Dropping the last references here deletes the job and the finished thread on the GUI thread.
        self._thread = self._job = None
        self._control = None
        self.finished.emit()
