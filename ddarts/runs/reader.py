"""Reading a run folder, including one that another process is writing right now.

The folder layout (file names, format version, header) is `ddarts.runtime.folders`, shared with the writers.
See docs/run-folder.md for the layout and every record type.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ddarts.atomic import describe_kind
from ddarts.errors import RunFolderError
from ddarts.genotype.parse import MIXINGS
from ddarts.limits import loads_bounded
from ddarts.runs.checks import alpha_problem
from ddarts.runs.sources import load_alpha_array
from ddarts.runs.state import RunState
from ddarts.runtime.folders import (
    CONFIG_FILE,
    LIFECYCLE_TYPES,
    METRICS_FILE,
    read_header,
)
from ddarts.runtime.recovery import record_type
from ddarts.search.config import ConfigError, SearchConfig
from ddarts.search.events import AlphaSnapshot, Event, record_to_event


class RunReader:
    """Follows metrics.jsonl incrementally; tolerant of a half-written last line and of garbage lines.

    Each `poll()` reads only the bytes appended since the previous one, so following a live run costs
    little. Malformed lines are skipped and counted in `skipped` (reasons in `problems`), never fatal.
    """

    def __init__(self, run_dir: str | os.PathLike, *, kind: str = "search", alpha_grace_s: float = 10.0):
        self.run_dir = Path(run_dir)
        self.header = read_header(self.run_dir, kind)
        self.kind = kind
        self.alpha_grace_s = alpha_grace_s
        """How long an α record whose .npy is missing waits (while the run is live) before being skipped."""
        self._config: SearchConfig | None = None
        if kind == "search":
            _ = self.config  # a bad configuration is reported when the folder is opened, not when drawn
        self._reset()

    def _reset(self) -> None:
        self._offset = 0
        self._pending = b""
        self._line_no = 0
        self._missing_since: float | None = None
        self._last_lifecycle: str | None = None
        self.skipped = 0
        self.problems: list[str] = []

    @property
    def metrics_path(self) -> Path:
        return self.run_dir / METRICS_FILE

    @property
    def config(self) -> SearchConfig:
        if self._config is None:
            if self.kind != "search":
                raise RunFolderError(f"{self.run_dir / CONFIG_FILE}: a {self.kind!r} run has no search configuration")
            try:
                self._config = SearchConfig.from_dict(self.header["config"])
            except ConfigError as exc:
                raise RunFolderError(f"{self.run_dir / CONFIG_FILE}: bad search configuration: {exc}") from exc
        return self._config

    # ------------------------------------------------------------------ reading
    def poll(self) -> list[Event]:
        """Events appended since the last poll, in file order."""
        data = self._read_new_bytes()
        if not data and not self._pending:
            return []
        buffer = self._pending + data
        events: list[Event] = []
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            outcome = self._parse_line(line, self._line_no + 1)
            if outcome is _RETRY:
                break  # keep this line and everything after it for the next poll, in order
            self._line_no += 1
            start = end + 1
            if outcome is not None:
                events.append(outcome)
        self._pending = buffer[start:]
        return events

    def read_all(self) -> RunState:
        """The state of the whole run so far; later `poll()` calls continue after what this read."""
        self._reset()
        state = RunState(config=self.header.get("config"), run_dir=str(self.run_dir))
        for event in self.poll():
            state.apply(event)
        return state

    def is_live(self, within_s: float = 60.0) -> bool:
        """Heuristic: the run has not ended and metrics.jsonl changed within the last `within_s` seconds."""
        if self._offset == 0:
            self._scan_lifecycle()
        if self._last_lifecycle in ("stopped", "finished", "failed"):
            return False
        return self._recently_modified(within_s)

    # ------------------------------------------------------------------ internals
    def _read_new_bytes(self) -> bytes:
        path = self.metrics_path
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < self._offset:
                    raise RunFolderError(
                        f"{path} shrank from {self._offset} to {size} bytes while being read; reopen the run"
                    )
                handle.seek(self._offset)
                data = handle.read(size - self._offset)
        except FileNotFoundError:
            return b""  # the writer has not created it yet
        except OSError as exc:
            raise RunFolderError(f"cannot read {path}: {exc.strerror or exc}") from exc
        self._offset += len(data)
        return data

    def _recently_modified(self, within_s: float) -> bool:
        try:
            mtime = self.metrics_path.stat().st_mtime
        except OSError:
            return False
        return time.time() - mtime <= within_s

    def _scan_lifecycle(self) -> None:
        try:
            text = self.metrics_path.read_bytes()
        except OSError:
            return
        for line in text.splitlines():
            kind = record_type(line)
            if kind in LIFECYCLE_TYPES:
                self._last_lifecycle = kind

    def _skip(self, line_no: int, reason: str) -> None:
        self.skipped += 1
        self.problems.append(f"{self.metrics_path}:{line_no}: {reason}")

    def _parse_line(self, line: bytes, line_no: int) -> Event | None | object:
        if not line.strip():
            return None
        try:
            record = loads_bounded(line)
        except ValueError as exc:
            self._skip(line_no, f"malformed line skipped ({exc})")
            return None
        if not isinstance(record, dict):
            self._skip(line_no, "malformed line skipped (not a JSON object)")
            return None
        if record.get("type") == "alpha":
            event = self._alpha_event(record, line_no)
        else:
            try:
                event = record_to_event(record)
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                self._skip(line_no, f"bad {record.get('type')!r} record skipped ({exc})")
                return None
        if event is not None and event is not _RETRY and record.get("type") in LIFECYCLE_TYPES:
            self._last_lifecycle = record["type"]
        return event

    def _alpha_event(self, record: dict[str, Any], line_no: int) -> AlphaSnapshot | None | object:
        try:
            epoch, step, mixing, rel = record["epoch"], record["step"], record["mixing"], record["path"]
        except KeyError as exc:
            self._skip(line_no, f"alpha record lacks field {exc.args[0]!r}")
            return None
        if (not isinstance(rel, str) or not isinstance(epoch, int) or not isinstance(step, int)
                or isinstance(epoch, bool) or isinstance(step, bool) or epoch < 0 or step < 0):
            self._skip(line_no, "alpha record has a bad epoch, step or path")
            return None
        if mixing not in MIXINGS:
            self._skip(line_no, f"alpha record has an unknown mixing {mixing!r:.40}")
            return None
        try:
            path = (self.run_dir / rel).resolve()
            inside = path.is_relative_to(self.run_dir.resolve())
        except (OSError, RuntimeError, ValueError):  # a symbolic link loop, a NUL in the path
            self._skip(line_no, f"alpha path {rel!r:.80} cannot be resolved")
            return None
        if not inside:
            self._skip(line_no, f"alpha path {rel!r:.80} points outside the run folder")
            return None
        if describe_kind(path) is not None:
            self._skip(line_no, f"alpha path {rel!r:.80} is {describe_kind(path)}")
            return None
        if not path.is_file():
            now = time.monotonic()
            if self._missing_since is None:
                self._missing_since = now
            waited = now - self._missing_since
            if waited < self.alpha_grace_s and self._recently_modified(self.alpha_grace_s):
                return _RETRY
            self._missing_since = None
            self._skip(line_no, f"alpha file {rel} is missing")
            return None
        self._missing_since = None
        try:
            alphas = load_alpha_array(path)
        except RunFolderError as exc:
            self._skip(line_no, str(exc))
            return None
        problem = alpha_problem(alphas, mixing, None)
        if problem is not None:
            self._skip(line_no, f"{rel}: {problem}")
            return None
        return AlphaSnapshot(epoch=epoch, step=step, alphas=alphas, mixing=mixing)


_RETRY = object()
"""Marker: the line cannot be handled yet (its α file is not there); try again at the next poll."""
