"""Heartbeat benchmark of the GUI thread: `python -m app.latency [--json FILE]`.

It opens the real main window, starts a real tiny digits search in it, clicks through the views
(every cell, every tab, every epoch of the cell diagram, the α scope), then follows a folder that a
separate `ddarts search` process writes. A 5 ms timer on the GUI thread beats all along; a gap
between two beats is time the event loop could not answer the user. Every gap over the stall limit
is reported with what ran during it (the scripted action, event batches, redraws, polls).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer

from ddarts.errors import DdartsError
from ddarts.runs import RunReader
from ddarts.search import SearchConfig

BEAT_MS = 5
STALL_MS = 100.0
SAMPLE_AFTER_MS = 60.0
"""A late beat gets its stacks sampled from here on, or from 60% of a lower stall limit."""


@dataclass
class Stall:
    at_s: float  # seconds since the benchmark started, at the end of the gap
    gap_ms: float
    phase: str
    during: list[str]


@dataclass
class Report:
    beats: int
    median_ms: float
    p99_ms: float
    max_ms: float
    stalls: list[Stall]
    phases: dict[str, dict[str, float]] = field(default_factory=dict)
    duration_s: float = 0.0
    cores: int = 0

    def text(self, limit_ms: float = STALL_MS) -> str:
        lines = [f"GUI-thread heartbeat ({BEAT_MS} ms timer) over {self.duration_s:.1f} s on {self.cores} cores: "
                 f"{self.beats} beats, gap median {self.median_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
                 f"max {self.max_ms:.1f} ms"]
        for phase, figures in self.phases.items():
            lines.append(f"  {phase:<16} median {figures['median_ms']:6.1f}  p99 {figures['p99_ms']:7.1f}  "
                         f"max {figures['max_ms']:7.1f} ms  stalls {int(figures['stalls'])}")
        lines.append(f"{len(self.stalls)} stalls over {limit_ms:.0f} ms" + (":" if self.stalls else ""))
        for stall in self.stalls:
            lines.append(f"  {stall.at_s:7.2f} s  {stall.gap_ms:7.1f} ms  [{stall.phase}]  {'; '.join(stall.during)}")
        return "\n".join(lines)


def summarise(gaps: np.ndarray) -> dict[str, float]:
    if gaps.size == 0:
        return {"median_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {"median_ms": float(np.median(gaps)), "p99_ms": float(np.percentile(gaps, 99)),
            "max_ms": float(gaps.max())}


class Heartbeat(QObject):
    """Beats every BEAT_MS on the GUI thread and keeps every gap, with notes of what ran in between."""

    def __init__(self, limit_ms: float = STALL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.limit_ms = limit_ms
        self.phase = "start"
        self.gaps: list[tuple[str, float]] = []
        self.stalls: list[Stall] = []
        self._notes: list[str] = []
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(BEAT_MS)
        self._timer.timeout.connect(self._beat)
        self._t0 = self._last = 0.0

    def start(self) -> None:
        self._t0 = self._last = time.perf_counter()
        self._timer.start()
        gc.callbacks.append(self._on_gc)

    def stop(self) -> None:
        self._timer.stop()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        """Collections are work on the GUI thread too (app/gui_gc.py runs them there): note the slow ones."""
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        ms = (time.perf_counter() - getattr(self, "_gc_start", time.perf_counter())) * 1000.0
        if ms >= 10.0:
            self.note(f"gc gen {info.get('generation')} {ms:.0f} ms")

    def note(self, what: str) -> None:
        if what not in self._notes:
            self._notes.append(what)

    def _beat(self) -> None:
        now = time.perf_counter()
        gap_ms = (now - self._last) * 1000.0
        self._last = now
        self.gaps.append((self.phase, gap_ms))
        if gap_ms > self.limit_ms:
            self.stalls.append(Stall(round(now - self._t0, 3), round(gap_ms, 1), self.phase, self._notes[:12]))
        self._notes.clear()

    def report(self) -> Report:
        gaps = np.array([g for _p, g in self.gaps])
        phases: dict[str, dict[str, float]] = {}
        for phase in dict.fromkeys(p for p, _g in self.gaps):
            figures = summarise(np.array([g for p, g in self.gaps if p == phase]))
            figures["stalls"] = float(sum(1 for s in self.stalls if s.phase == phase))
            phases[phase] = figures
        whole = summarise(gaps)
        return Report(len(self.gaps), whole["median_ms"], whole["p99_ms"], whole["max_ms"], list(self.stalls),
                      phases, round(time.perf_counter() - self._t0, 2), os.cpu_count() or 0)


IDLE_FUNCTIONS = {"wait", "_wait_for_tstate_lock", "select", "poll", "readline", "read", "get", "acquire", "sleep",
                  "exec", "_recv", "recv_into", "accept", "run", "process_search"}
"""Innermost functions of a thread that is waiting, not computing (its stack says nothing about a stall);
`process_search` waits in a read of the search process's pipe."""


def _where(frame, depth: int = 3) -> str:
    """The innermost `depth` frames as module:function, innermost first."""
    names = []
    while frame is not None and len(names) < depth:
        module = Path(frame.f_code.co_filename).stem
        names.append(f"{module}:{frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(names)


class StallSampler(threading.Thread):
    """Looks at every thread's stack once a beat is late: where the GUI thread is, and which other threads of
    the window's process run Python then (they hold the interpreter lock the GUI thread needs)."""

    def __init__(self, beat: Heartbeat, after_ms: float = SAMPLE_AFTER_MS, every_s: float = 0.01):
        super().__init__(name="latency sampler", daemon=True)
        self.beat, self.after_s, self.every_s = beat, after_ms / 1000.0, every_s
        self.gui_ident = threading.main_thread().ident
        self._stop = threading.Event()

    def run(self) -> None:
        sampled_for = None
        while not self._stop.wait(self.every_s):
            last = self.beat._last
            if last == sampled_for or time.perf_counter() - last < self.after_s:
                continue
            sampled_for = last
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == self.gui_ident:
                    self.beat.note(f"GUI thread in {_where(frame)}")
                elif ident != self.ident and frame.f_code.co_name not in IDLE_FUNCTIONS:
                    self.beat.note(f"{names.get(ident, 'thread')} in {_where(frame)}")

    def stop(self) -> None:
        self._stop.set()


def watch(window, beat: Heartbeat) -> None:
    """Note the window's own work (event batches, coalesced redraws, polls, renders) in the heartbeat."""
    def batch(events: list) -> None:
        kinds = sorted({type(e).__name__ for e in events} - {"StepMetrics", "DatasetProgress"})
        beat.note("events" + (f" ({', '.join(kinds)})" if kinds else ""))

    window.runner.events.connect(batch)
    window.model.updated.connect(lambda: beat.note("redraw"))
    window.model.genotype_changed.connect(lambda: beat.note("α redraw"))
    window.model.run_replaced.connect(lambda: beat.note("run replaced"))
    window.poll_timer.timeout.connect(lambda: beat.note("folder poll"))


def click_through(window, beat: Heartbeat, pause_ms: int) -> Iterator:
    """Every cell, every plot tab, each right-hand dock, the histogram scope, every epoch of the diagram."""
    for i in range(window.cell_list.list.count()):
        beat.note(f"select cell {i}")
        window.cell_list.list.setCurrentRow(i)
        yield pause_ms
    for t in range(window.tabs.count()):
        beat.note(f"tab {window.tabs.tabText(t)}")
        window.tabs.setCurrentIndex(t)
        yield pause_ms
    for dock in (window.network_dock, window.deriver_dock, window.diagram_dock):
        beat.note(f"dock {dock.windowTitle()}")
        dock.raise_()
        yield pause_ms
    scope = window.histogram.scope
    for k in (1, 0):
        beat.note(f"histogram scope {scope.itemText(k)}")
        scope.setCurrentIndex(k)
        yield pause_ms
    diagram = window.cell_diagram
    slider = diagram.epoch_slider
    for value in range(slider.minimum(), slider.maximum() + 1):
        beat.note(f"scrub epoch {value + 1}")
        slider.setValue(value)
        yield pause_ms // 2
    beat.note("follow latest")
    diagram.follow_box.setChecked(True)
    yield pause_ms


def search_args(config: SearchConfig) -> list[str]:
    return ["--dataset", config.dataset, "--data", config.data_dir, "--cells", str(config.cells),
            "--init-channels", str(config.init_channels), "--batch-size", str(config.batch_size),
            "--epochs", str(config.epochs), "--steps-per-epoch", str(config.steps_per_epoch),
            "--device", "cpu", "--seed", str(config.seed), "--alpha-live-s", str(config.alpha_live_s), "-q"]


def scenario(window, beat: Heartbeat, config: SearchConfig, work: Path, pause_ms: int) -> Iterator:
    beat.phase = "shown"
    yield 1000
    beat.phase = "live search"
    beat.note("start search")
    window.start_search(config, work / "live")
    while window.runner.is_running:
        yield from click_through(window, beat, pause_ms)
    beat.phase = "finished run"
    yield 500
    yield from click_through(window, beat, pause_ms)

    beat.phase = "follow folder"
    folder = work / "followed"
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    process = subprocess.Popen([sys.executable, "-m", "ddarts", "search", *search_args(config), "-o", str(folder)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    window._latency_process = process
    yield lambda: _readable(folder) or process.poll() is not None
    beat.note("open folder")
    if not window.open_run(folder):
        raise DdartsError(f"could not open {folder}")
    while process.poll() is None:
        yield from click_through(window, beat, pause_ms)
    if process.returncode:
        raise DdartsError(f"`ddarts search` failed: {process.stderr.read().decode(errors='replace')[-2000:]}")
    yield 2500  # the last polls
    window.session.stop_following()


def _readable(folder: Path) -> bool:
    try:
        RunReader(folder)
    except DdartsError:
        return False
    return True


def run_script(steps: Iterator, done: Callable[[BaseException | None], None]) -> None:
    """Drive a scenario from the event loop: each step runs in a timer callback, never blocking the loop."""
    def advance() -> None:
        try:
            step = next(steps)
        except StopIteration:
            done(None)
            return
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            done(exc)
            return
        if callable(step):
            wait_for(step)
        else:
            QTimer.singleShot(int(step), advance)

    def wait_for(condition: Callable[[], bool]) -> None:
        QTimer.singleShot(50, lambda: advance() if condition() else wait_for(condition))

    QTimer.singleShot(0, advance)


def benchmark(config: SearchConfig, pause_ms: int = 250, limit_ms: float = STALL_MS,
              work_dir: str | None = None) -> Report:
    """Run the whole scenario in a fresh main window and return the heartbeat report."""
    from .application import create_application
    from .gui_gc import settle
    from .main_window import MainWindow
    from .settings import use_settings_folder

    with tempfile.TemporaryDirectory(prefix="ddarts-latency-") as tmp:
        work = Path(work_dir or tmp)
        use_settings_folder(Path(tmp) / "settings")  # never touches the user's preferences
        app = create_application([sys.argv[0]])
        window = MainWindow()
        window.confirm_stop_on_close = lambda: True
        window.show()
        settle()  # as `python -m app` does
        beat = Heartbeat(limit_ms)
        watch(window, beat)
        outcome: list[BaseException | None] = []

        def done(error: BaseException | None) -> None:
            beat.stop()  # quitting (a last full collection, closing the window) is not part of the figures
            outcome.append(error)
            app.quit()

        sampler = StallSampler(beat, after_ms=min(SAMPLE_AFTER_MS, 0.6 * limit_ms))  # --stall-ms 30 gets stacks too
        beat.start()
        sampler.start()
        run_script(scenario(window, beat, config, work, pause_ms), done)
        app.exec()
        beat.stop()
        sampler.stop()
        process = getattr(window, "_latency_process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if window.runner.is_running:
            window.runner.abort()
            window.runner.wait()
        window.close()
        if outcome and outcome[0] is not None:
            raise outcome[0]
        return beat.report()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.latency", description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--init-channels", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps-per-epoch", type=int, default=6)
    parser.add_argument("--data", default="data", help="dataset folder (digits are built in)")
    parser.add_argument("--pause-ms", type=int, default=250, help="wait between two clicks")
    parser.add_argument("--stall-ms", type=float, default=STALL_MS, help="gaps longer than this are stalls")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    config = SearchConfig(dataset="digits", data_dir=args.data, cells=args.cells, init_channels=args.init_channels,
                          batch_size=args.batch_size, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                          device="cpu", seed=0, alpha_live_s=2.0)
    try:
        report = benchmark(config, args.pause_ms, args.stall_ms)
    except DdartsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.text(args.stall_ms))
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # data loaders may spawn processes that re-import this module
    sys.exit(main())
