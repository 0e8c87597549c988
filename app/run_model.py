"""The Qt face of a `RunState`: one model that every widget of the window observes.

A live search, a run folder followed while another process writes it, and a finished run all feed
events through `apply`, so the widgets have a single code path. Engines can emit hundreds of events
a second; `updated` is coalesced by a timer so the views redraw at most about ten times a second, and
the views queue their redraws (`later`) so that each runs, and is painted, in its own event-loop turn.
With `parse_off_thread` (the main window's model) a new α is parsed (every method at the run's threshold,
what the views ask for) on a worker thread before the views hear of it, so their questions are answered
from the state's cache; without it the views parse when they ask.
"""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import QObject, QTimer, Signal

from .graphviz_render import LatestCall
from .refresh_queue import RefreshQueue
from ddarts.runs import RunState
from ddarts.search.events import AlphaLive, AlphaSnapshot, Finished, GenotypeParsed, RunStarted

REDRAW_INTERVAL_MS = 100
"""Minimum time between two `updated` signals (about 10 Hz)."""

_GENOTYPE_EVENTS = (AlphaSnapshot, AlphaLive, GenotypeParsed, Finished, RunStarted)


class RunModel(QObject):
    updated = Signal()
    """Events were applied since the last emission (coalesced, at most ~10 Hz)."""
    run_replaced = Signal()
    """A different run (new search, opened folder) replaced the state."""
    selected_cell_changed = Signal(int)
    genotype_changed = Signal()
    """A new α snapshot (live or at an epoch end) or genotype arrived; expensive views redraw only then."""

    def __init__(self, state: RunState | None = None, parent: QObject | None = None,
                 interval_ms: int = REDRAW_INTERVAL_MS, parse_off_thread: bool = False):
        super().__init__(parent)
        self._state = state if state is not None else RunState()
        self._run_dir: str | None = None
        self._selected = 0
        self._pending_update = False
        self._pending_genotype = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._notify)
        self.refreshes = RefreshQueue(self)
        """View refreshes waiting for their turn (see `later`)."""
        self._parser = LatestCall(self)
        self._parser.finished.connect(self._on_parsed)
        self._parser.failed.connect(lambda _id, _message: self._emit())  # the views parse and say what failed
        self._parsing: RunState | None = None
        self._parse_off_thread = parse_off_thread

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> RunState:
        return self._state

    @property
    def run_dir(self) -> str | None:
        """Folder of the run shown, or None for a run kept only in memory."""
        return self._run_dir or getattr(self._state, "run_dir", None)

    @property
    def selected_cell(self) -> int:
        return self._selected

    def set_selected_cell(self, i: int) -> None:
        i = int(i)
        if i < 0:
            raise ValueError(f"cell index must be >= 0, got {i}")
        n = self.n_cells
        if n and i >= n:
            raise ValueError(f"cell index {i} out of range for a run with {n} cells")
        if i != self._selected:
            self._selected = i
            self.selected_cell_changed.emit(i)

    @property
    def n_cells(self) -> int:
        """Number of searched cells, 0 before the run has started."""
        return int(getattr(self._state, "n_cells", 0) or 0)

    # ------------------------------------------------------------------ events
    def apply(self, events: Iterable) -> None:
        """Fold events into the state; observers hear about it on the next timer tick."""
        applied = False
        for event in events:
            self._state.apply(event)
            applied = True
            if isinstance(event, _GENOTYPE_EVENTS):
                self._pending_genotype = True
        if not applied:
            return
        if self._selected and self.n_cells and self._selected >= self.n_cells:
            self._selected = 0
            self.selected_cell_changed.emit(0)
        self._pending_update = True
        if not self._timer.isActive():
            self._timer.start()

    def later(self, refresh) -> None:  # noqa: ANN001 - a callable taking no argument
        """Run a view's `refresh` in a later event-loop turn, once however often it is asked for meanwhile."""
        self.refreshes.post(refresh)

    def flush(self) -> None:
        """Emit pending notifications and run the views' queued refreshes, now (tests, the end of a search);
        a parse still on the worker is dropped and the views parse what they need themselves."""
        self._parser.cancel()
        self._emit()
        self.refreshes.flush()

    def _notify(self) -> None:
        """The timer's notification: a new α is first parsed off the GUI thread, then the views hear of it."""
        self._timer.stop()
        if self._parser.busy:
            return  # `_on_parsed` notifies
        jobs = self._state.newest_parse_jobs() if self._pending_genotype and self._parse_off_thread else []
        if not jobs or self._parser.closed:
            self._emit()
            return
        self._parsing = self._state
        self._parser.submit(lambda: [(job, job.run()) for job in jobs])

    def shutdown(self) -> None:
        """Wait for a parse still running (the window closes); later α are parsed when the views ask."""
        self._parser.shutdown()

    def _on_parsed(self, _request_id: int, results: list) -> None:
        if self._parsing is self._state:
            for job, genotype in results:
                self._state.store_parse(job, genotype)
        self._notify()  # the views hear of it now, or after the parse of an even newer α

    def _emit(self) -> None:
        self._timer.stop()
        update, genotype = self._pending_update, self._pending_genotype
        self._pending_update = self._pending_genotype = False
        if update:
            self.updated.emit()
        if genotype:
            self.genotype_changed.emit()

    def reset(self, state: RunState | None = None, run_dir: str | None = None) -> None:
        """Show another run: replace the state and tell every view at once."""
        self._timer.stop()
        self._parser.cancel()
        self._pending_update = self._pending_genotype = False
        self._state = state if state is not None else RunState()
        self._run_dir = None if run_dir is None else str(run_dir)
        selected_before = self._selected
        self._selected = 0
        self.run_replaced.emit()
        if selected_before != 0:
            self.selected_cell_changed.emit(0)
        self.updated.emit()
        self.genotype_changed.emit()
