"""One trial: an ordinary recorded search into its run folder, reporting each epoch and obeying the sweep's stop flag.

Independent of Ray (the scheduler passes its `report`), so the trial's behaviour is tested without a cluster.
"""

from __future__ import annotations

import math
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ddarts.errors import RunFolderError
from ddarts.runs import recorded_search
from ddarts.runtime.folders import CHECKPOINT_FILE, CONFIG_FILE
from ddarts.search import SearchControl
from ddarts.search.config import SearchConfig
from ddarts.search.events import CheckpointSaved, EpochMetrics, Failed, Finished, StepMetrics, Stopped

OUTCOMES = ("pending", "stopped", "failed", "finished")


class StopWatcher:
    """Turns the sweep's stop file into `control.stop()`: every trial, on any node that sees the sweep folder,
    stops at its next step boundary and checkpoints."""

    def __init__(self, stop_file: Path, control: SearchControl, poll_s: float = 0.2):
        self.stop_file = stop_file
        self.control = control
        self.poll_s = poll_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ddarts-sweep-stop", daemon=True)

    def __enter__(self) -> "StopWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(self.poll_s):
            if self.stop_file.exists():
                self.control.stop()
                return


def prepare_folder(run_dir: Path) -> bool:
    """True to resume the trial's folder from its checkpoint; False to start it afresh.

    A trial folder that ended before its first checkpoint holds nothing worth keeping and is started again.
    """
    if not run_dir.exists() or (run_dir.is_dir() and not any(run_dir.iterdir())):
        return False
    if (run_dir / CHECKPOINT_FILE).is_file():
        return True
    if not (run_dir / CONFIG_FILE).is_file():
        raise RunFolderError(f"{run_dir} is in the way of a trial and is not a run folder; move it away")
    shutil.rmtree(run_dir)
    return False


def run_trial(config: SearchConfig, run_dir: Path, stop_file: Path, report: Callable[[dict[str, Any]], None], *,
              threads: int | None = None, poll_s: float = 0.2) -> str:
    """Run (or resume) the trial; returns one of OUTCOMES. `report` gets each epoch's metrics."""
    if stop_file.exists():
        return "pending"
    if threads:
        torch.set_num_threads(threads)
    resume = prepare_folder(run_dir)
    control = SearchControl()
    best_acc = -math.inf
    pending: dict[str, Any] | None = None
    # An epoch is reported once its checkpoint is on disk (the last epoch once the run has finished): the
    # scheduler may end the trial inside `report`, and the folder must then be complete up to that epoch.
    with StopWatcher(stop_file, control, poll_s):
        for event in recorded_search(config, run_dir, control=control, resume=resume):
            if isinstance(event, EpochMetrics):
                best_acc = max(best_acc, event.val_acc)
                pending = {
                    "epoch": event.epoch + 1, "val_acc": event.val_acc, "val_loss": event.val_loss,
                    "best_val_acc": best_acc, "train_loss": event.train_loss, "train_acc": event.train_acc,
                    "dominant_share": event.dominant_share, "low_share": event.low_share,
                }
            elif isinstance(event, (CheckpointSaved, StepMetrics)) and pending and pending["epoch"] < config.epochs:
                report(pending)
                pending = None
            elif isinstance(event, (Stopped, Failed, Finished)):
                if pending:
                    report(pending)
                return "stopped" if isinstance(event, Stopped) else "failed" if isinstance(event, Failed) else "finished"
    return "failed"
