"""A sweep folder: `sweep.json` (the plan) and one ordinary run folder per trial, named after its varied values.

```
SWEEP/
  sweep.json        {"format_version": 1, "kind": "sweep", "spec": {...}, "trials": [{"name", "varied", "config"}]}
  summary.csv       one row per trial (rewritten as trials end)
  <trial name>/     a run folder (docs/run-folder.md); early_stop.json when the scheduler ended it
  .ray/             Ray Tune's own experiment state
```
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddarts import __version__
from ddarts.atomic import write_json
from ddarts.config import ConfigError
from ddarts.errors import RunFolderError
from ddarts.runtime.folders import now_iso
from ddarts.search.config import SearchConfig
from ddarts.sweep.spec import SweepSpec, TrialSpec

SWEEP_FILE = "sweep.json"
SUMMARY_FILE = "summary.csv"
EARLY_STOP_FILE = "early_stop.json"
"""Written into a trial's run folder when the scheduler (ASHA) ended it: the run is complete as far as the sweep goes."""
STOP_FILE = ".stop-requested"
"""Present while the sweep is asked to stop (Ctrl-C): every trial stops at its next step boundary."""
RAY_DIR = ".ray"
SWEEP_FORMAT_VERSION = 1


@dataclass(frozen=True)
class SweepPlan:
    root: Path
    spec: SweepSpec
    trials: tuple[TrialSpec, ...]

    @property
    def varied_fields(self) -> tuple[str, ...]:
        return self.spec.varied_fields

    def run_dir(self, trial: TrialSpec | str) -> Path:
        return self.root / (trial if isinstance(trial, str) else trial.name)

    def trial(self, name: str) -> TrialSpec:
        for trial in self.trials:
            if trial.name == name:
                return trial
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": SWEEP_FORMAT_VERSION, "kind": "sweep", "created": now_iso(),
            "ddarts_version": __version__, "spec": self.spec.to_dict(),
            "trials": [{"name": t.name, "varied": t.varied, "config": t.config.to_dict()} for t in self.trials],
        }


def new_plan(spec: SweepSpec, root: str | os.PathLike) -> SweepPlan:
    """The plan of a new sweep; refuses a folder that already holds something (resume it instead)."""
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise RunFolderError(f"{root} already exists and is not empty; choose another folder or "
                             f"continue it with: ddarts sweep --resume {root}")
    return SweepPlan(root, spec, tuple(spec.trials()))


def write_plan(plan: SweepPlan) -> Path:
    plan.root.mkdir(parents=True, exist_ok=True)
    return write_json(plan.root / SWEEP_FILE, plan.to_dict())


def is_sweep_dir(path: str | os.PathLike) -> bool:
    return (Path(path) / SWEEP_FILE).is_file()


def read_plan(root: str | os.PathLike) -> SweepPlan:
    """The plan in `root/sweep.json`, every trial configuration validated again."""
    root = Path(root)
    path = root / SWEEP_FILE
    if not root.is_dir():
        raise RunFolderError(f"sweep folder not found: {root}")
    if not path.is_file():
        raise RunFolderError(f"not a sweep folder: {root} (no {SWEEP_FILE})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != "sweep" or data.get("format_version") != SWEEP_FORMAT_VERSION:
        raise RunFolderError(f"{path} is not a ddarts sweep file of format version {SWEEP_FORMAT_VERSION}")
    try:
        raw = data["spec"]
        spec = SweepSpec(dict(raw["base"]), tuple((k, tuple(v)) for k, v in raw["grid"].items()),
                         tuple(raw.get("seeds") or ()))
        trials = []
        for item in data["trials"]:
            name = item["name"]
            if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
                raise RunFolderError(f"{path}: bad trial name {name!r}")
            trials.append(TrialSpec(name, dict(item["varied"]), SearchConfig.from_dict(item["config"])))
    except (KeyError, TypeError, AttributeError) as exc:
        raise RunFolderError(f"{path}: malformed sweep plan ({exc})") from None
    except ConfigError as exc:
        raise RunFolderError(f"{path}: bad trial configuration: {exc}") from None
    return SweepPlan(root, spec, tuple(trials))
