"""`ddarts sweep`: many searches from one base configuration, a grid and seeds, as Ray Tune trials.

`ddarts sweep [search options] --grid FIELD=V1,V2 --seeds 1,2 --out DIR` plans and runs a sweep;
`ddarts sweep --resume DIR` continues one; `ddarts sweep best DIR [--by val_acc]` names its best trial.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from ddarts.commands.options import add_config_options, given_options, read_config_file
from ddarts.config import ConfigError
from ddarts.errors import DdartsError
from ddarts.genotype.files import load_genotype
from ddarts.runtime.interrupts import StopOnSignals
from ddarts.search.config import SearchConfig
from ddarts.search.fields import FIELDS
from ddarts.sweep import (
    DONE_STATUSES,
    build_spec,
    load_runs,
    new_plan,
    read_plan,
    read_spec_file,
    write_plan,
)
from ddarts.sweep.options import EARLY_STOPS, METRICS, RayOptions
from ddarts.sweep.plan import STOP_FILE, SweepPlan
from ddarts.sweep.spec import SweepSpec, format_value, parse_grid_option, parse_seeds
from ddarts.sweep.summary import RANKINGS, best, format_table, write_summary

ACTIONS = ("best",)
MIN_DERIVE_CELLS = 5
"""Algorithm 1 grows deeper networks only from genotypes of at least 5 searched cells."""
RAY_DEFAULTS = RayOptions()
"""The Ray options' defaults live in `RayOptions`; the command line offers them."""
STOP_MESSAGE = "Stopping every trial after its current step, with a checkpoint (Ctrl-C again to abort now)..."


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep", help="run many searches (a grid of values and seeds) on Ray, or pick a sweep's best trial",
        description="Run a grid of D-DARTS searches as Ray Tune trials, each an ordinary run folder inside --out. "
                    "Example: ddarts sweep --dataset digits --cells 3 --init-channels 2 --batch-size 8 --epochs 1 "
                    "--steps-per-epoch 2 --device cpu --grid w_abl=0,0.5 --seeds 1,2 --out sweeps/demo. "
                    "Continue with: ddarts sweep --resume DIR. Best trial: ddarts sweep best DIR [--by val_acc].",
    )
    parser.add_argument("action", nargs="*", metavar="best DIR", help="`best DIR`: print the best trial of a sweep")
    parser.add_argument("--out", "-o", metavar="DIR", help="new sweep folder")
    parser.add_argument("--resume", metavar="DIR", help="continue a sweep: finished trials are skipped, interrupted "
                                                        "ones resume from their checkpoints")
    parser.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2,...",
                        help="values of any search configuration field (repeatable)")
    parser.add_argument("--seeds", metavar="S1,S2,...", help="repeat every grid point with these seeds")
    parser.add_argument("--spec", metavar="FILE.yaml|json", help="sweep file with `base`, `grid` and `seeds`; "
                                                                 "options given here override it")
    parser.add_argument("--config", metavar="FILE.json", help="base search configuration (a run's config.json works)")
    parser.add_argument("--dry-run", action="store_true", help="write the plan (sweep.json) and list the trials "
                                                               "without running them; run it later with --resume")
    parser.add_argument("--quiet", "-q", action="store_true", help="no per-epoch lines, only the summary")
    parser.add_argument("--by", choices=tuple(RANKINGS), default="val_acc", help="`best`: ranking (default val_acc)")
    ray_group = parser.add_argument_group("Ray")
    ray_group.add_argument("--address", help="join this Ray cluster (e.g. auto, or HOST:6379); the sweep folder must "
                                             "be on storage every node reads. Default: a local Ray for the sweep")
    ray_group.add_argument("--cpus", type=int, help="CPUs of the local Ray (default: all)")
    ray_group.add_argument("--gpus", type=int, help="GPUs of the local Ray (default: all)")
    ray_group.add_argument("--cpus-per-trial", type=float, default=RAY_DEFAULTS.cpus_per_trial,
                           help=f"CPUs per trial; also its torch threads (default {RAY_DEFAULTS.cpus_per_trial:g})")
    ray_group.add_argument("--gpus-per-trial", type=float, default=RAY_DEFAULTS.gpus_per_trial,
                           help="GPUs per trial, fractions allowed (0.5: two trials per card; "
                                f"default {RAY_DEFAULTS.gpus_per_trial:g})")
    ray_group.add_argument("--max-concurrent", type=int, help="at most this many trials at once")
    ray_group.add_argument("--early-stop", choices=EARLY_STOPS, default=RAY_DEFAULTS.early_stop,
                           help="asha: end trials whose per-epoch --metric falls behind "
                                f"(default {RAY_DEFAULTS.early_stop})")
    ray_group.add_argument("--metric", choices=tuple(METRICS), default=RAY_DEFAULTS.metric, help="what ASHA compares")
    ray_group.add_argument("--grace-epochs", type=int, default=RAY_DEFAULTS.grace_epochs,
                           help="ASHA: epochs before a trial can be ended")
    ray_group.add_argument("--reduction-factor", type=int, default=RAY_DEFAULTS.reduction_factor,
                           help="ASHA: keep 1/N at each rung")
    _add_search_options(parser)
    parser.set_defaults(func=run)


def _add_search_options(parser: argparse.ArgumentParser) -> None:
    """Every `ddarts search` configuration option, as the base of the sweep."""
    add_config_options(parser, SearchConfig, FIELDS)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return given_options(args, SearchConfig, FIELDS)


def build_sweep_spec(args: argparse.Namespace) -> SweepSpec:
    """The spec from a sweep file, --config, the search options, --grid and --seeds; ConfigError names the field."""
    spec_file = read_spec_file(args.spec) if args.spec else {"base": {}, "grid": [], "seeds": None}
    base = {**spec_file["base"], **(read_config_file(args.config, "search") if args.config else {}), **_given(args)}
    grid = list(spec_file["grid"])
    from_file = {name for name, _ in grid}
    for text in args.grid:
        name, values = parse_grid_option(text)
        if name in from_file:
            raise ConfigError(name, f"in both {args.spec} and --grid; give it once")
        grid.append((name, values))
    seeds_source = args.seeds if args.seeds is not None else spec_file["seeds"]
    seeds = parse_seeds(seeds_source) if seeds_source not in (None, "", []) else ()
    if args.seeds is not None and not seeds:
        raise ConfigError("seed", "empty list of seeds")
    return build_spec(base, grid, seeds)


def _ray_options(args: argparse.Namespace) -> RayOptions:
    return RayOptions(address=args.address, cpus=args.cpus, gpus=args.gpus, cpus_per_trial=args.cpus_per_trial,
                      gpus_per_trial=args.gpus_per_trial, max_concurrent=args.max_concurrent,
                      early_stop=args.early_stop, metric=args.metric, grace_epochs=args.grace_epochs,
                      reduction_factor=args.reduction_factor)


def run(args: argparse.Namespace) -> int:
    if args.action:
        return _best(args)
    options = _ray_options(args)
    if args.resume:
        mixed = [flag for flag, given in (("--out", args.out), ("--grid", args.grid), ("--seeds", args.seeds),
                                          ("--spec", args.spec), ("--config", args.config)) if given]
        mixed += ["--" + name.replace("_", "-") for name in _given(args)]
        if args.dry_run:
            mixed.insert(0, "--dry-run")
        if mixed:
            raise DdartsError(f"{mixed[0]} cannot be combined with --resume: a resumed sweep keeps its plan")
        plan = read_plan(args.resume)
    else:
        if not args.out:
            raise DdartsError("give the sweep folder with --out DIR (or --resume DIR)")
        plan = new_plan(build_sweep_spec(args), args.out)
        write_plan(plan)
        if args.dry_run:
            for trial in plan.trials:
                print(trial.name)
            print(f"Planned {len(plan.trials)} trials in {plan.root / 'sweep.json'}; run them with: "
                  f"ddarts sweep --resume {shlex.quote(str(plan.root))}", file=sys.stderr)
            return 0
    return run_plan(plan, options, quiet=args.quiet)


def run_plan(plan: SweepPlan, options: RayOptions, *, quiet: bool = False) -> int:
    """Run every trial of `plan` not yet done; prints the summary table, writes summary.csv."""
    out = sys.stderr
    stop_file = plan.root / STOP_FILE
    stop_file.unlink(missing_ok=True)
    runs = load_runs([plan.root])
    todo = [entry.name for entry in runs.entries if entry.status not in DONE_STATUSES]
    done = len(runs.entries) - len(todo)
    print(f"Sweep {plan.root}: {len(plan.trials)} trials varying {', '.join(plan.varied_fields)}"
          + (f"; {done} already done" if done else ""), file=out, flush=True)

    control = _StopFlag(stop_file)
    errors: dict[str, str] = {}
    if todo:
        # Imported here, not at the top: Ray takes seconds to import and every `ddarts` command builds this parser.
        from ddarts.sweep import ray_runner

        with StopOnSignals(control, lambda message: print(message, file=out, flush=True), STOP_MESSAGE):
            started = ray_runner.connect(options)
            try:
                errors = ray_runner.run_trials(plan, todo, options, quiet=quiet)
            finally:
                if started:
                    ray_runner.shutdown()
    runs = load_runs([plan.root], ended=True)  # Ray has returned: no trial of this sweep is running any more
    write_summary(runs, plan.root)
    print(format_table(runs), file=sys.stdout, flush=True)
    for name, message in errors.items():
        print(f"{name}: error: {message}", file=out)
    if control.stop_requested:
        stop_file.unlink(missing_ok=True)
        print(f"Stopped. Resume with: ddarts sweep --resume {shlex.quote(str(plan.root))}", file=out)
        return 130
    failed = [e.name for e in runs.entries if e.status not in DONE_STATUSES]
    if failed:
        print(f"{len(failed)} trial(s) did not finish ({', '.join(failed)}); "
              f"retry with: ddarts sweep --resume {shlex.quote(str(plan.root))}", file=out)
        return 1
    print(f"Summary: {plan.root / 'summary.csv'}", file=out)
    return 0


class _StopFlag:
    """What StopOnSignals drives: the first Ctrl-C creates the sweep's stop file, which every trial watches."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def stop_requested(self) -> bool:
        return self.path.exists()

    def stop(self) -> None:
        self.path.touch()


def _best(args: argparse.Namespace) -> int:
    if args.action[0] not in ACTIONS or len(args.action) != 2:
        raise DdartsError(f"unknown sweep action {' '.join(args.action)!r}; use: ddarts sweep best DIR [--by METRIC]")
    runs = load_runs([args.action[1]])
    entry, value = best(runs, args.by)
    column = RANKINGS[args.by][0]
    shown = f"{value * 100:.2f}%" if "acc" in column or "share" in column else f"{value:.4f}"
    varied = ", ".join(f"{k}={format_value(v)}" for k, v in entry.varied.items())
    print(f"best by {args.by}: {entry.name} ({column} {shown}; {entry.status}; {varied})")
    print(f"run folder: {entry.run_dir}")
    genotype = entry.genotype_path()
    if genotype is None:
        print("no genotype yet: the trial has not finished an epoch")
        return 1
    cells = None
    for candidate in (genotype, entry.run_dir / "genotypes" / "final_darts.json"):
        try:
            cells = load_genotype(candidate).n_cells
        except DdartsError as exc:
            print(f"{candidate.name}: {str(exc).split(': ', 1)[-1]}")
            continue
        genotype = candidate
        break
    if cells is None:
        return 1
    print(f"genotype:   {genotype}")
    g = shlex.quote(str(genotype))
    print("next:")
    if cells >= MIN_DERIVE_CELLS:
        print(f"  ddarts derive {g} --layers 14 -o best-14.json")
    print(f"  ddarts train {g} --out runs/train-best")
    print(f"  ddarts export {g} -o best-export")
    return 0
