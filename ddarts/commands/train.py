"""`ddarts train`: train a derived network from a search run or a genotype file, with resume."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ddarts.commands.options import (
    add_config_options,
    add_file_options,
    given_options,
    print_config,
    read_config_file,
)
from ddarts.commands.progress import ProgressBar, format_duration
from ddarts.commands.telemetry import add_output_options, with_tensorboard
from ddarts.data.progress import DatasetProgress
from ddarts.errors import DdartsError, RunFolderError
from ddarts.genotype.core import PARSE_METHODS
from ddarts.runs.sources import genotype_from_source
from ddarts.runtime import distributed
from ddarts.runtime.folders import read_header
from ddarts.runtime.interrupts import StopOnSignals, Terminated
from ddarts.search.config import ConfigError
from ddarts.search.control import SearchControl
from ddarts.train import (
    TrainCheckpoint,
    TrainConfig,
    TrainEpoch,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
    train,
)
from ddarts.train.config import RESUME_MUTABLE, TRAIN_DATASETS
from ddarts.train.fields import FIELDS, GENOTYPE
from ddarts.train.folder import read_run
from ddarts.train.recipes import RECIPES, default_recipe

DEFAULTS = TrainConfig()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="train a derived network (from a search run or a genotype file)",
        description="Train a network built from a genotype on the train split, evaluating top-1/top-5 on the test "
                    "split every epoch. SOURCE is a search run folder (its latest α are parsed) or a genotype file. "
                    "Ctrl-C stops after the current step and leaves a checkpoint that --resume continues. Several "
                    "GPUs: torchrun --nproc_per_node N -m ddarts train ... (batch sizes are totals).",
    )
    p.add_argument("source", nargs="?", metavar="SOURCE", help="search run folder or genotype file")
    p.add_argument("--out", "-o", metavar="RUN", help="new run folder to create")
    p.add_argument("--resume", metavar="RUN", help="continue a stopped training run (SOURCE and --out not needed)")
    add_file_options(p, "train")
    add_output_options(p)
    p.add_argument("--json", action="store_true", help="print the final result as JSON on stdout")
    g = p.add_argument_group(GENOTYPE)
    g.add_argument("--parse", choices=PARSE_METHODS, help="parse method for a run folder (default: the run's)")
    g.add_argument("--threshold", type=float, help="parse threshold for a run folder (default: the run's)")
    add_config_options(p, TrainConfig, FIELDS, {GENOTYPE: g})
    p.set_defaults(func=run)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return given_options(args, TrainConfig, FIELDS)


def _search_dataset(source: Path) -> str | None:
    """The dataset a search run folder searched on, if SOURCE is one."""
    try:
        name = read_header(source, kind=None)["config"].get("dataset")
    except RunFolderError:
        return None
    return name if name in TRAIN_DATASETS else None


def _new_run(args: argparse.Namespace) -> tuple[TrainConfig, Any, Path]:
    if args.out is not None and not args.out.strip():
        raise DdartsError("--out is empty; give a new run folder")
    if not args.source or not (args.out or args.print_config):
        raise DdartsError("give SOURCE and --out RUN for a new run, or --resume RUN to continue one")
    source = Path(args.source)
    if source.is_file() and (args.parse is not None or args.threshold is not None):
        raise DdartsError("--parse and --threshold apply to search run folders only; a genotype file is already parsed")
    given = {**(read_config_file(args.config, "train") if args.config else {}), **_given(args)}
    recipe = given.pop("recipe", None) or default_recipe(given.get("dataset"))
    if "dataset" not in given and "dataset" not in RECIPES.get(recipe, {}) and source.is_dir():
        given["dataset"] = _search_dataset(source) or DEFAULTS.dataset
    if "cutout" not in given and given.get("dataset") == "imagenet":
        given["cutout"] = 0
    genotype = genotype_from_source(source, method=args.parse, threshold=args.threshold)
    config = TrainConfig.from_recipe(recipe, **given, source=getattr(genotype, "source", None) or str(source))
    return config, genotype, Path(args.out or ".")


def _resume_run(args: argparse.Namespace) -> tuple[TrainConfig, Path]:
    if args.source or args.out or args.parse is not None or args.threshold is not None or args.config:
        raise DdartsError("--resume continues the run as configured; drop SOURCE, --out, --config, --parse and "
                          "--threshold")
    run_dir = Path(args.resume)
    stored, _ = read_run(run_dir)
    given = _given(args)
    frozen = sorted(k for k in given if k not in RESUME_MUTABLE)
    if frozen:
        raise DdartsError(f"--resume cannot change {', '.join(frozen)}; only {', '.join(RESUME_MUTABLE)} may change")
    try:
        config = TrainConfig.from_dict({**stored, **given})
    except ConfigError as exc:
        raise DdartsError(f"{run_dir / 'config.json'}: {exc}") from None
    return config, run_dir


class _DatasetReporter:
    """Shows a download as a byte progress bar and other dataset stages as lines, all on stderr."""

    def __init__(self) -> None:
        self.bar: ProgressBar | None = None

    def __call__(self, event: DatasetProgress) -> None:
        if event.stage == "download":
            if self.bar is None:
                self.bar = ProgressBar(event.total, f"download {event.dataset} (bytes)", stream=sys.stderr)
            self.bar.set(event.done)
            return
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if event.stage in ("extract", "ready") and event.message:
            print(event.message, file=sys.stderr)


def _percent(x: float) -> str:
    return f"{100 * x:.2f}%"


def run(args: argparse.Namespace) -> int:
    if args.resume:
        config, run_dir = _resume_run(args)
        genotype, resume = None, True
    else:
        config, genotype, run_dir = _new_run(args)
        resume = False
    if args.print_config:
        print_config(config)
        return 0
    # Under torchrun every process runs this command: DistributedDataParallel over the processes.
    dist = distributed.start(config.device)
    try:
        if dist is not None and not dist.is_main:
            return _run_replica(config, run_dir, genotype, resume, dist)
        return _run(args, config, run_dir, genotype, resume, dist)
    finally:
        if dist is not None:
            dist.close()


STOP_MESSAGE = "\nstopping after the current step (Ctrl-C again aborts without a checkpoint)"


def _run_replica(config, run_dir: Path, genotype, resume: bool, dist) -> int:
    """A torchrun process other than rank 0: trains its shard, prints only its own errors."""
    control = SearchControl()
    with StopOnSignals(control, lambda message: None, STOP_MESSAGE) as signals:
        for event in train(config, run_dir, genotype, control=control, resume=resume, dist=dist):
            if isinstance(event, TrainStopped):
                return signals.exit_code
        return 0


def _run(args: argparse.Namespace, config, run_dir: Path, genotype, resume: bool, dist) -> int:
    control = SearchControl()
    resume_prefix = f"torchrun --nproc_per_node {dist.world_size} -m " if dist is not None else ""

    bar: ProgressBar | None = None
    datasets = _DatasetReporter()
    result: TrainFinished | TrainStopped | None = None
    interrupts = StopOnSignals(control, lambda message: print(message, file=sys.stderr), STOP_MESSAGE).install()
    try:
        events = train(config, run_dir, genotype, control=control, resume=resume, dist=dist)
        if args.tensorboard:
            events = with_tensorboard(events, args.tensorboard)
        for event in events:
            if isinstance(event, DatasetProgress):
                datasets(event)
            elif isinstance(event, TrainStarted):
                cfg = TrainConfig.from_dict(event.config)
                verb = "resuming" if event.resumed else "training"
                print(f"{verb} {event.genotype.n_cells}-cell network (C={cfg.init_channels}, {event.params:,} "
                      f"parameters) on {cfg.dataset}, device {event.device}, {event.epochs} epochs x "
                      f"{event.steps_per_epoch} steps, run folder {event.run_dir}", file=sys.stderr)
                bar = ProgressBar(event.total_steps, "train", stream=sys.stderr, initial=event.start_step)
            elif isinstance(event, TrainStep) and bar is not None:
                bar.set(event.step, f"epoch {event.epoch + 1}/{config.epochs} loss {event.loss:.3f}")
            elif isinstance(event, TrainEpoch) and bar is not None:
                bar.write(f"epoch {event.epoch + 1}/{event.epochs}: train loss {event.train_loss:.4f} "
                          f"top-1 {_percent(event.train_top1)} | test loss {event.test_loss:.4f} "
                          f"top-1 {_percent(event.test_top1)} top-5 {_percent(event.test_top5)} | "
                          f"best {_percent(event.best_top1)} | lr {event.lr:.5f} drop-path {event.drop_path_prob:.3f}")
            elif isinstance(event, TrainCheckpoint):
                pass
            elif isinstance(event, (TrainStopped, TrainFinished)):
                result = event
    except KeyboardInterrupt:  # a second Ctrl-C: abort now
        if bar is not None:
            bar.close()
            bar = None
        print(f"aborted; the last checkpoint in {run_dir} resumes the run (--resume)", file=sys.stderr)
        return 130
    except Terminated:  # SIGTERM after a first stop request: abort now
        if bar is not None:
            bar.close()
            bar = None
        print(f"terminated; the last checkpoint in {run_dir} resumes the run (--resume)", file=sys.stderr)
        return 143
    finally:
        if bar is not None:
            bar.close()
        if datasets.bar is not None:
            datasets.bar.close()
        interrupts.restore()
    if isinstance(result, TrainStopped):
        print(f"stopped at step {result.step} (epoch {result.epoch + 1}); checkpoint {result.checkpoint}; "
              f"continue with: {resume_prefix}ddarts train --resume {run_dir}", file=sys.stderr)
        return interrupts.exit_code
    assert isinstance(result, TrainFinished)
    summary = {"run": str(run_dir), "epochs": result.epochs, "steps": result.step, "best_top1": result.best_top1,
               "final_top1": result.final_top1, "final_top5": result.final_top5, "elapsed_s": result.elapsed_s}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"finished {result.epochs} epochs in {format_duration(result.elapsed_s)}: test top-1 "
              f"{_percent(result.final_top1)}, top-5 {_percent(result.final_top5)} (best top-1 "
              f"{_percent(result.best_top1)}); run folder {run_dir}")
    return 0
