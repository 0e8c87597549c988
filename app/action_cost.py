"""GUI-thread cost of each user action on a run folder: `python -m app.action_cost RUN_DIR [--repeat N]`.

The heartbeat benchmark (app/latency.py) measures stalls as the user meets them, which depends on what
else the machine runs. This measures the work itself: it opens the folder in the real main window, then
selects every cell, shows every plot tab and right-hand dock, scrubs the diagram's epochs and replays an
α report, and after each action runs the event loop until the views' refresh queue is empty. For every
action it reports the longest single pass of the event loop (the longest the user could have waited, the
figure that must stay under 100 ms) and the whole time until the window had caught up, painting included.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

PASSES = 60
"""At most this many event-loop passes after an action (the views' queue empties well before)."""


def _measure(app, window, action: Callable[[], object]) -> tuple[float, float]:  # noqa: ANN001 - Qt objects
    """(longest event-loop pass, whole catch-up) in ms for one action, the action's own call counted as a pass."""
    start = time.perf_counter()
    action()
    passes = [time.perf_counter() - start]
    queue = getattr(window.model, "refreshes", None)  # None in checkouts before the views' queue
    for n in range(PASSES):
        begin = time.perf_counter()
        app.processEvents()
        passes.append(time.perf_counter() - begin)
        if n >= 3 and (queue is None or not queue.pending):
            break
    return max(passes) * 1000.0, (time.perf_counter() - start) * 1000.0


def _settle(app, seconds: float = 0.1) -> None:  # noqa: ANN001 - QApplication
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def action_costs(app, window, run_dir: str, repeat: int = 3) -> dict[str, list[tuple[float, float]]]:  # noqa: ANN001
    """Every action's (longest pass, catch-up) in ms, per kind of action, in a shown main window."""
    costs: dict[str, list[tuple[float, float]]] = {}

    def record(kind: str, action: Callable[[], object]) -> None:
        costs.setdefault(kind, []).append(_measure(app, window, action))
        _settle(app)

    _settle(app, 0.3)
    record("open folder", lambda: window.open_run(run_dir))
    _settle(app, 0.5)
    window.session.stop_following()
    for _ in range(repeat):
        for i in range(window.cell_list.list.count()):
            record("select cell", lambda i=i: window.cell_list.list.setCurrentRow(i))
        for t in range(window.tabs.count()):
            record("show plot tab", lambda t=t: window.tabs.setCurrentIndex(t))
        for dock in (window.network_dock, window.deriver_dock, window.diagram_dock):
            record("raise dock", dock.raise_)
        slider = window.cell_diagram.epoch_slider
        for value in range(slider.minimum(), slider.maximum() + 1):
            record("scrub epoch", lambda value=value: slider.setValue(value))
        window.cell_diagram.follow_box.setChecked(True)
        record("α report", lambda: (window.model.updated.emit(), window.model.genotype_changed.emit()))
    return costs


def _run(run_dir: str, repeat: int) -> dict[str, list[tuple[float, float]]]:
    from .application import create_application
    from .gui_gc import settle
    from .main_window import MainWindow
    from .settings import use_settings_folder

    with tempfile.TemporaryDirectory(prefix="ddarts-action-cost-") as tmp:
        use_settings_folder(Path(tmp) / "settings")  # never touches the user's preferences
        app = create_application([sys.argv[0]])
        window = MainWindow()
        window.show()
        settle()  # as `python -m app` does
        try:
            return action_costs(app, window, run_dir, repeat)
        finally:
            window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.action_cost", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a run folder (finished or not)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of clicks through the views")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    costs = _run(args.run_dir, args.repeat)
    print(f"GUI-thread cost per action on {args.run_dir} (ms; median and max of n actions)")
    for kind, values in costs.items():
        longest, whole = [v[0] for v in values], [v[1] for v in values]
        print(f"  {kind:<14} n={len(values):3d}  longest pass {statistics.median(longest):6.1f} / {max(longest):6.1f}"
              f"   caught up after {statistics.median(whole):6.1f} / {max(whole):6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
