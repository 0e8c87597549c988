"""`ddarts train`: train a derived network from a search run or a genotype file, with resume."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ddarts.commands.progress import ProgressBar, format_duration
from ddarts.data.progress import DatasetProgress
from ddarts.errors import DdartsError
from ddarts.genotype.core import PARSE_METHODS
from ddarts.genotype.sources import genotype_from_source
from ddarts.runtime import distributed
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
from ddarts.train.config import AMP_DTYPES, RESUME_MUTABLE, TRAIN_DATASETS
from ddarts.train.folder import read_run

DEFAULTS = TrainConfig()
# option dest -> TrainConfig field; every option defaults to None so a resume can tell what was given
OPTION_FIELDS = {
    "dataset": "dataset", "data": "data_dir", "download": "download", "workers": "num_workers",
    "image_size": "image_size", "epochs": "epochs", "batch_size": "batch_size",
    "eval_batch_size": "eval_batch_size", "steps_per_epoch": "steps_per_epoch", "eval_batches": "eval_batches",
    "lr": "lr", "lr_min": "lr_min", "momentum": "momentum", "weight_decay": "weight_decay",
    "grad_clip": "grad_clip", "init_channels": "init_channels", "layers": "layers",
    "auxiliary_weight": "auxiliary_weight", "cutout": "cutout", "drop_path": "drop_path",
    "label_smoothing": "label_smoothing", "seed": "seed", "device": "device", "amp": "amp",
    "amp_dtype": "amp_dtype", "channels_last": "channels_last", "log_every": "log_every",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="train a derived network (from a search run or a genotype file)",
        description="Train a network built from a genotype on the train split, evaluating top-1/top-5 on the test "
                    "split every epoch. SOURCE is a search run folder (its latest α are parsed) or a genotype file. "
                    "Ctrl-C stops after the current step and leaves a checkpoint that --resume continues. Several "
                    "GPUs: torchrun --nproc_per_node N -m ddarts train ... (batch sizes are totals).",
    )
    p.add_argument("source", nargs="?", metavar="SOURCE", help="search run folder or genotype file")
    p.add_argument("--out", metavar="RUN", help="new run folder to create")
    p.add_argument("--resume", metavar="RUN", help="continue a stopped training run (SOURCE and --out not needed)")
    g = p.add_argument_group("genotype")
    g.add_argument("--parse", choices=PARSE_METHODS, help="parse method for a run folder (default: the run's)")
    g.add_argument("--threshold", type=float, help="parse threshold for a run folder (default: the run's)")
    g.add_argument("--layers", type=int, metavar="N",
                   help="network depth; a searched genotype is derived with Algorithm 1 when N differs from its "
                        "cell count (default: its own depth; 20 for a DARTS-format genotype, 14 on ImageNet)")
    d = p.add_argument_group("data")
    d.add_argument("--dataset", choices=TRAIN_DATASETS,
                   help="default: the search run's dataset, else cifar10")
    d.add_argument("--data", metavar="DIR", help=f"dataset folder (default {DEFAULTS.data_dir})")
    d.add_argument("--no-download", dest="download", action="store_const", const=False,
                   help="fail instead of downloading a missing dataset")
    d.add_argument("--workers", type=int, metavar="N", help=f"ImageNet loader processes (default {DEFAULTS.num_workers})")
    d.add_argument("--image-size", type=int, metavar="PX", help="ImageNet crop size (default 224)")
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=int, help=f"default {DEFAULTS.epochs}")
    t.add_argument("--batch-size", type=int, help=f"default {DEFAULTS.batch_size}")
    t.add_argument("--eval-batch-size", type=int, help="default: --batch-size")
    t.add_argument("--steps-per-epoch", type=int, metavar="N", help="cap on steps per epoch, for quick runs")
    t.add_argument("--eval-batches", type=int, metavar="N", help="cap on test batches per evaluation, for quick runs")
    t.add_argument("--lr", type=float, help=f"initial learning rate, cosine-annealed (default {DEFAULTS.lr})")
    t.add_argument("--lr-min", type=float, help=f"final learning rate (default {DEFAULTS.lr_min})")
    t.add_argument("--momentum", type=float, help=f"default {DEFAULTS.momentum}")
    t.add_argument("--weight-decay", type=float, help=f"default {DEFAULTS.weight_decay}")
    t.add_argument("--grad-clip", type=float, help=f"gradient-norm clip (default {DEFAULTS.grad_clip})")
    t.add_argument("--init-channels", type=int, help=f"default {DEFAULTS.init_channels}")
    t.add_argument("--auxiliary-weight", type=float, help=f"0 disables the auxiliary head (default {DEFAULTS.auxiliary_weight})")
    t.add_argument("--cutout", type=int, metavar="PX", help="cutout square side, 0 disables (default 16; 0 on ImageNet)")
    t.add_argument("--drop-path", type=float, help=f"final drop-path probability, ramped from 0 (default {DEFAULTS.drop_path})")
    t.add_argument("--label-smoothing", type=float, help="default 0.1 on ImageNet, else 0")
    t.add_argument("--seed", type=int, help=f"default {DEFAULTS.seed}")
    e = p.add_argument_group("execution")
    e.add_argument("--device", help="auto, cpu, cuda or cuda:N (default auto)")
    e.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="mixed precision (default: on with CUDA)")
    e.add_argument("--amp-dtype", choices=AMP_DTYPES, help=f"default {DEFAULTS.amp_dtype}")
    e.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                   help="channels-last memory format on CUDA (default on)")
    e.add_argument("--log-every", type=int, metavar="N", help=f"steps between metrics.jsonl step records (default {DEFAULTS.log_every})")
    e.add_argument("--json", action="store_true", help="print the final result as JSON on stdout")
    p.set_defaults(func=run)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return {field: getattr(args, dest) for dest, field in OPTION_FIELDS.items() if getattr(args, dest) is not None}


def _search_dataset(source: Path) -> str | None:
    """The dataset a search run folder searched on, if SOURCE is one."""
    try:
        data = json.loads((source / "config.json").read_text(encoding="utf-8"))
        name = data["config"]["dataset"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return name if name in TRAIN_DATASETS else None


def _new_run(args: argparse.Namespace) -> tuple[TrainConfig, Any, Path]:
    if args.out is not None and not args.out.strip():
        raise DdartsError("--out is empty; give a new run folder")
    if not args.source or not args.out:
        raise DdartsError("give SOURCE and --out RUN for a new run, or --resume RUN to continue one")
    source = Path(args.source)
    if source.is_file() and (args.parse is not None or args.threshold is not None):
        raise DdartsError("--parse and --threshold apply to search run folders only; a genotype file is already parsed")
    given = _given(args)
    if "dataset" not in given and source.is_dir():
        given["dataset"] = _search_dataset(source) or DEFAULTS.dataset
    if "cutout" not in given and given.get("dataset") == "imagenet":
        given["cutout"] = 0
    genotype = genotype_from_source(source, method=args.parse, threshold=args.threshold)
    config = TrainConfig(**given, source=getattr(genotype, "source", None) or str(source))
    return config, genotype, Path(args.out)


def _resume_run(args: argparse.Namespace) -> tuple[TrainConfig, Path]:
    if args.source or args.out or args.parse is not None or args.threshold is not None:
        raise DdartsError("--resume continues the run as configured; drop SOURCE, --out, --parse and --threshold")
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
        for event in train(config, run_dir, genotype, control=control, resume=resume, dist=dist):
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
