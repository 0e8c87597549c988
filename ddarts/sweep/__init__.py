"""Sweeps: many searches from one base configuration, a grid of values and seeds, run as Ray Tune trials.

Each trial is an ordinary run folder inside the sweep folder; `sweep.json` holds the plan and `summary.csv` one
row per trial. Ray is imported only by `ddarts.sweep.ray_runner`, so reading sweeps (summary, plots, the app)
needs no cluster.
"""

from ddarts.sweep.plan import SUMMARY_FILE, SWEEP_FILE, SweepPlan, is_sweep_dir, new_plan, read_plan, write_plan
from ddarts.sweep.runs import DONE_STATUSES, RUN_STATUSES, RunEntry, RunSet, load_runs
from ddarts.sweep.spec import SweepSpec, TrialSpec, build_spec, read_spec_file, trial_name

__all__ = [
    "DONE_STATUSES", "RUN_STATUSES", "SUMMARY_FILE", "SWEEP_FILE", "RunEntry", "RunSet", "SweepPlan", "SweepSpec",
    "TrialSpec", "build_spec", "is_sweep_dir", "load_runs", "new_plan", "read_plan", "read_spec_file",
    "trial_name", "write_plan",
]
