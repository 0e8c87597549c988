"""Where the run on show comes from: a search in a process of its own, or a run folder followed on a timer.

A search runs as a child process (`ddarts.runs.process`) that writes its run folder and streams its events
back; a worker thread here only waits on that pipe, so the search never holds this process's interpreter lock
or imports on its time, and the GUI thread keeps answering.

A followed folder is read on a worker thread (the records and α arrays a poll finds), so a long run or a
slow disk never holds the event loop; the events are applied on the GUI thread. The session feeds either
source into one `RunModel`, so the views never know which it is, and answers the questions that depend on the
source: is a search running, can the run be resumed (a stopped or failed run, or a followed one whose writer
went quiet without saying why: crashed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from .graphviz_render import LatestCall
from .run_model import RunModel
from .threads import GeneratorRunner
from ddarts.errors import DdartsError
from ddarts.priority import SEARCH_NICENESS
from ddarts.runs import CHECKPOINT_FILE, RunReader, RunState
from ddarts.runs.process import SearchChild, process_search
from ddarts.search import SearchConfig
from ddarts.search.events import DatasetProgress, Failed, StepMetrics, Stopped

POLL_INTERVAL_MS = 1000
"""How often a run folder opened from disk is checked for new records."""
CRASH_QUIET_S = 60.0
"""A run that has not ended and wrote nothing for this long is taken for crashed (and offered for resuming)."""
FREQUENT_EVENTS = (StepMetrics, DatasetProgress)
"""Events a search sends many times a second; they reach the GUI in batches."""


class RunSession(QObject):
    changed = Signal()
    """Running, paused, following or resumable may have changed: actions should be updated."""
    problem = Signal(str, str, str)
    """Something the user must read in a dialog: title, text, details."""
    notice = Signal(str)
    """A passing note for the status bar."""
    search_ended = Signal()
    """The search thread ended and has been joined (its last events are in the model)."""

    def __init__(self, model: RunModel, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.runner = GeneratorRunner(self, frequent=FREQUENT_EVENTS)
        self.reader: RunReader | None = None
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_INTERVAL_MS)
        self.poll_timer.timeout.connect(self.poll_in_background)
        self._poller = LatestCall(self)
        self._poller.finished.connect(self._on_polled)
        self._poller.failed.connect(lambda _id, message: self._poll_failed(message))
        self._polled_reader: RunReader | None = None
        self.runner.events.connect(self.apply_events)
        self.runner.finished.connect(self._on_search_ended)
        self.runner.crashed.connect(lambda text, details: self.problem.emit("Search could not run", text, details))
        self.runner.paused_changed.connect(lambda _paused: self.changed.emit())
        self._spare: SearchChild | None = None

    # ------------------------------------------------------------------ queries
    @property
    def searching(self) -> bool:
        return self.runner.is_running

    @property
    def process_ready(self) -> bool:
        """A search process started ahead is waiting for its search."""
        return self._spare is not None and self._spare.alive

    @property
    def following(self) -> bool:
        """A run folder is shown and polled for what another process appends."""
        return self.reader is not None

    def resumable(self) -> bool:
        """A stopped or failed run, or one whose writer died (no record for CRASH_QUIET_S), with a checkpoint."""
        state, run_dir = self.model.state, self.model.run_dir
        if self.runner.is_running or not run_dir:
            return False
        if state.status in ("running", "paused"):
            if self.reader is None or self.reader.is_live(within_s=CRASH_QUIET_S):
                return False
        elif state.status not in ("stopped", "failed"):
            return False
        return (Path(run_dir) / CHECKPOINT_FILE).is_file()

    # ------------------------------------------------------------------ live searches
    @contextmanager
    def process_ahead(self) -> Iterator[None]:
        """A search process starts at once, for a search started inside the block (from the search form), so
        Start does not wait for its imports; one that no search took ends with the block."""
        if self._spare is None and not self.runner.is_running:
            try:
                self._spare = SearchChild.start(SEARCH_NICENESS)
            except OSError:  # none to spare: a search starts its own
                self._spare = None
        try:
            yield
        finally:
            spare, self._spare = self._spare, None
            if spare is not None:
                spare.close()

    def _take_spare(self) -> SearchChild | None:
        spare, self._spare = self._spare, None
        return spare

    def start_search(self, config: SearchConfig, run_dir: str | os.PathLike) -> str:
        """Start a new search in `run_dir` and show it live; returns the resolved folder."""
        if self.runner.is_running:
            raise RuntimeError("a search is already running")
        run_dir = str(Path(run_dir).resolve())
        self.stop_following()
        self.model.reset(RunState(config=config.to_dict(), run_dir=run_dir), run_dir=run_dir)
        spare = self._take_spare()
        self.runner.start(lambda control: process_search(
            config, run_dir, control=control, child=spare, niceness=SEARCH_NICENESS), run_dir)
        self.changed.emit()
        return run_dir

    def resume(self) -> bool:
        """Continue the run on show from its checkpoint; False (and a problem) when it cannot be read."""
        run_dir = self.model.run_dir
        if not run_dir or self.runner.is_running:
            return False
        try:
            state = RunReader(run_dir).read_all()
        except DdartsError as exc:
            self.problem.emit("Cannot resume", str(exc), "")
            return False
        self.stop_following()
        self.model.reset(state, run_dir=run_dir)
        spare = self._take_spare()
        self.runner.start(lambda control: process_search(
            None, run_dir, control=control, resume=True, child=spare, niceness=SEARCH_NICENESS), run_dir)
        self.changed.emit()
        return True

    def apply_events(self, events: list) -> None:
        """Fold a batch into the model; failures and stops also become messages."""
        self.model.apply(events)
        for event in events:
            if isinstance(event, Failed):
                title = "Out of memory" if event.kind == "oom" else "Search failed"
                note = "\n\nThe run is resumable: Search › Resume stopped run." if event.checkpoint else ""
                self.problem.emit(title, event.message + note, event.traceback)
            elif isinstance(event, Stopped):
                self.notice.emit("Search stopped; Search › Resume stopped run continues it.")

    def _on_search_ended(self) -> None:
        self.model.flush()
        self.changed.emit()
        self.search_ended.emit()

    # ------------------------------------------------------------------ followed folders
    def open_folder(self, run_dir: str | os.PathLike) -> str:
        """Show a run folder and follow it while another process appends to it; DdartsError if unreadable."""
        if self.runner.is_running:
            raise DdartsError("stop the running search before opening another run")
        try:
            run_dir = str(Path(run_dir).resolve())
        except (OSError, RuntimeError) as exc:  # a symbolic link loop
            raise DdartsError(f"{run_dir}: {exc}") from None
        reader = RunReader(run_dir)
        state = RunState.from_events(reader.poll(), config=reader.header.get("config"), run_dir=run_dir)
        self.stop_following()
        self.reader = reader
        self.model.reset(state, run_dir=run_dir)  # one round of view refreshes, one view per event-loop turn
        self.poll_timer.start()
        self.changed.emit()
        return run_dir

    def poll(self) -> None:
        """Read what the writer appended and show it, now (the timer uses `poll_in_background`)."""
        if self.reader is None:
            return
        try:
            events = self.reader.poll()
        except DdartsError as exc:
            self._poll_failed(str(exc))
            return
        self._take(events)

    def poll_in_background(self) -> None:
        """The timer's poll: reading the records and α arrays runs on a worker thread, the events are applied
        here when they arrive. One read at a time, each continuing where the last one stopped."""
        reader = self.reader
        if reader is None or self._poller.busy:
            return
        self._polled_reader = reader
        self._poller.submit(reader.poll)

    def _on_polled(self, _request_id: int, events: list) -> None:
        if self._polled_reader is self.reader and self.reader is not None:  # else the folder changed meanwhile
            self._take(events)

    def _poll_failed(self, message: str) -> None:
        self.stop_following()
        self.problem.emit("Stopped following the run", message, "")

    def _take(self, events: list) -> None:
        if events:
            self.model.apply(events)
        else:
            self.changed.emit()  # a run that went quiet may have crashed: offer to resume it

    def stop_following(self) -> None:
        self.poll_timer.stop()
        self._poller.cancel()  # a read still running is not applied
        self.reader = None
