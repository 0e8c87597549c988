"""Trials on Ray Tune: a local Ray started for the sweep or an existing cluster (`address`), one trial per CPU
share or GPU fraction, a concurrency cap, and ASHA early stopping on the per-epoch reports.

Tune schedules; the run folders stay the record. After Tune returns, a trial whose folder did not end on its own
(no finished/stopped/failed record) and whose actor raised nothing was ended by the scheduler, and is marked so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import ray
from ray import tune
from ray.tune.progress_reporter import TrialProgressCallback
from ray.tune.schedulers import ASHAScheduler

from ddarts.atomic import write_json
from ddarts.runtime.folders import now_iso
from ddarts.search.config import SearchConfig
from ddarts.sweep.options import METRICS, RayOptions
from ddarts.sweep.plan import EARLY_STOP_FILE, RAY_DIR, STOP_FILE, SweepPlan
from ddarts.sweep.runs import RunEntry, load_runs
from ddarts.sweep.summary import write_summary
from ddarts.sweep.trial import run_trial

def _trainable(config: dict[str, Any], payload: dict[str, Any]) -> None:
    """Runs in a Ray worker: the trial named by `config["trial"]`."""
    item = payload["trials"][config["trial"]]
    run_trial(SearchConfig.from_dict(item["config"]), Path(item["run_dir"]), Path(payload["stop_file"]), tune.report,
              threads=payload["threads"])


class _Progress(TrialProgressCallback):
    """Driver-side: one line per trial epoch (unless quiet) and summary.csv rewritten as each trial ends.

    Replaces Tune's own per-trial printer (hence the base class) and holds only picklable values: Tune saves its
    callbacks with the experiment state.
    """

    def __init__(self, root: Path, quiet: bool):
        super().__init__()
        self.root = root
        self.quiet = quiet

    def on_trial_result(self, iteration, trials, trial, result, **info):  # noqa: ANN001 - Tune's signature
        if not self.quiet:
            print(f"{trial.config['trial']}: epoch {result.get('epoch')} α-split L_CE "
                  f"{result.get('val_loss', 0):.4f} acc {result.get('val_acc', 0) * 100:.1f}% "
                  f"σ>0.9 {result.get('dominant_share', 0) * 100:.1f}%", file=sys.stderr, flush=True)

    def on_trial_complete(self, iteration, trials, trial, **info):  # noqa: ANN001
        write_summary(load_runs([self.root]), self.root)

    def on_trial_error(self, iteration, trials, trial, **info):  # noqa: ANN001
        print(f"{trial.config['trial']}: the Ray worker failed (details under {self.root / RAY_DIR})", file=sys.stderr,
              flush=True)
        write_summary(load_runs([self.root]), self.root)


def connect(options: RayOptions) -> bool:
    """Start or join Ray; True when this call started it (and the sweep should shut it down)."""
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    if options.address:
        ray.init(address=options.address, include_dashboard=False, logging_level="WARNING")
    else:
        ray.init(num_cpus=options.cpus, num_gpus=options.gpus, include_dashboard=False, logging_level="WARNING")
    return True


def shutdown() -> None:
    ray.shutdown()


def run_trials(plan: SweepPlan, names: list[str], options: RayOptions, *, quiet: bool = False) -> dict[str, str]:
    """Run the named trials of `plan` on Ray (already connected); returns {name: error message} for failed actors."""
    # The sweep handles Ctrl-C itself (a stop at a step boundary); workers must not chdir away from the paths.
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"
    os.environ.setdefault("RAY_CHDIR_TO_TRIAL_DIR", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    root = plan.root.resolve()
    threads = max(1, int(options.cpus_per_trial))
    gpus = gpus_per_trial(plan, names, options, float(ray.cluster_resources().get("GPU", 0)))
    payload = {
        "trials": {name: {"config": _trial_config(plan.trial(name).config, gpus).to_dict(),
                          "run_dir": str(root / name)} for name in names},
        "stop_file": str(root / STOP_FILE), "threads": threads,
    }
    resources = {"cpu": options.cpus_per_trial, "gpu": gpus}
    scheduler = None
    if options.early_stop == "asha":
        epochs = max(t.config.epochs for t in plan.trials)
        scheduler = ASHAScheduler(time_attr="epoch", max_t=epochs, grace_period=min(options.grace_epochs, epochs),
                                  reduction_factor=options.reduction_factor)
    tuner = tune.Tuner(
        tune.with_resources(tune.with_parameters(_trainable, payload=payload), resources),
        param_space={"trial": tune.grid_search(list(names))},
        tune_config=tune.TuneConfig(metric=options.metric, mode=METRICS[options.metric], scheduler=scheduler,
                                    max_concurrent_trials=options.max_concurrent, reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(root / RAY_DIR), name="tune", verbose=0,
                                  callbacks=[_Progress(root, quiet)]),
    )
    grid = tuner.fit()
    errors: dict[str, str] = {}
    for result in grid:
        name = (result.config or {}).get("trial")
        if name is None:
            continue
        if result.error is not None:
            errors[name] = str(result.error).strip().splitlines()[-1] if str(result.error).strip() else "Ray worker failed"
        elif options.early_stop != "none":
            _mark_if_ended_early(RunEntry(name, root / name, {}), options, result.metrics or {}, root)
    return errors


def gpus_per_trial(plan: SweepPlan, names: list[str], options: RayOptions, cluster_gpus: float) -> float:
    """The GPU share of a trial: as given, else one whole GPU when the cluster has GPUs and trials may use them."""
    if options.gpus_per_trial > 0:
        return options.gpus_per_trial
    wants_gpu = any(plan.trial(name).config.device != "cpu" for name in names)
    return 1.0 if wants_gpu and cluster_gpus > 0 else 0.0


def _trial_config(config: SearchConfig, gpus: float) -> SearchConfig:
    """With GPUs per trial, Ray hands each trial its card(s) as CUDA_VISIBLE_DEVICES, so the trial uses `cuda`;
    without, `auto` must not pile every trial onto a GPU that Ray does not account for."""
    if gpus > 0 and config.device != "cpu":
        return config.replace(device="cuda")
    if gpus == 0 and config.device == "auto":
        return config.replace(device="cpu")
    return config


def _mark_if_ended_early(entry: RunEntry, options: RayOptions, metrics: dict[str, Any], root: Path) -> None:
    if (root / STOP_FILE).exists():
        return  # stopped by the user, not by the scheduler
    entry.refresh()
    if entry.state is None or entry.state.status not in ("running", "paused", "preparing"):
        return  # it ended on its own (finished, stopped or failed) or never started
    write_json(entry.run_dir / EARLY_STOP_FILE, {
        "reason": options.early_stop, "time": now_iso(), "epoch": metrics.get("epoch"),
        "metric": options.metric, "value": metrics.get(options.metric),
        "note": "ended by the sweep's early-stopping scheduler; the run folder resumes like any stopped search",
    })
