"""`ddarts search`: run a D-DARTS search headless into a run folder (or resume one).

Every `SearchConfig` field is an option (`--init-channels`, `--w-abl`, ...), generated from the dataclass so
the CLI can never fall behind the configuration. Ctrl-C stops after the current step and checkpoints.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from ddarts.commands.progress import ProgressBar, format_duration
from ddarts.errors import DdartsError
from ddarts.limits import MAX_JSON_BYTES, loads_bounded
from ddarts.runs import RunReader, recorded_search
from ddarts.runtime import distributed
from ddarts.runtime.interrupts import StopOnSignals
from ddarts.search import SearchControl
from ddarts.search.config import (
    ABLATION_GRADS,
    AMP_DTYPES,
    DATASETS,
    LOSSES,
    MIXINGS,
    PARSE_METHODS,
    ConfigError,
    SearchConfig,
)
from ddarts.search.events import (
    CheckpointSaved,
    DatasetProgress,
    EpochMetrics,
    Failed,
    Finished,
    GenotypeParsed,
    RunStarted,
    StepMetrics,
    Stopped,
)
from ddarts.search.run import RESUMABLE_OVERRIDES

CHOICES = {"dataset": DATASETS, "loss": LOSSES, "ablation_grad": ABLATION_GRADS, "mixing": MIXINGS,
           "parse": PARSE_METHODS, "amp_dtype": AMP_DTYPES}
HELP = {
    "dataset": "cifar10, cifar100 (downloaded), imagenet (a folder with train/<class>/...) or digits (built in, offline)",
    "data_dir": "dataset folder (default: data)",
    "train_portion": "share of the training set that trains the weights; the rest trains α",
    "download": "download CIFAR when missing",
    "num_workers": "data-loading workers (ImageNet folders only)",
    "cells": "number of searched cells n; reductions sit at n//3 and 2n//3",
    "init_channels": "channels of the first cell (C)",
    "mixing": "op weights: sigmoid (FairDARTS, default) or softmax (DARTS)",
    "loss": "ablation (L_T, paper Eq. 9) or fair (L_F)",
    "w01": "weight of the zero-one loss L_01",
    "w_abl": "weight of the ablation loss L_AB",
    "ablation_grad": "none (L_AB shifts each cell's loss value, as published) or exact (its true gradient)",
    "epochs": "search epochs",
    "batch_size": "batch size of both the weight and the α step",
    "steps_per_epoch": "cap the steps of an epoch (quick runs)",
    "lr": "initial SGD learning rate of the weights (cosine schedule)",
    "lr_min": "final weight learning rate",
    "momentum": "SGD momentum",
    "weight_decay": "weight decay of the network weights",
    "grad_clip": "gradient-norm clip of the weights",
    "arch_lr": "initial Adam learning rate of every cell's α (each cell has its own cosine schedule)",
    "arch_lr_min": "final α learning rate",
    "arch_beta1": "Adam β1 for α",
    "arch_beta2": "Adam β2 for α",
    "arch_weight_decay": "weight decay of α",
    "parse": "genotype parse method reported each epoch (darts, sparse, edge)",
    "threshold": "σ(α) threshold of the sparse and edge parse methods",
    "seed": "random seed (weights, data order, augmentation, ablation draws)",
    "device": "auto, cpu, cuda or cuda:N",
    "amp": "mixed precision on CUDA",
    "amp_dtype": "mixed-precision type on CUDA",
    "channels_last": "channels-last memory format on CUDA",
    "checkpoint_every": "also checkpoint every N steps (0: at epoch ends, on stop and on failure)",
}
ALIASES = {"data_dir": ["--data"]}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "search", help="run a D-DARTS search into a run folder",
        description="Run a D-DARTS search headless. Defaults follow the paper (CIFAR-100, 8 cells, L_T). "
                    "Quick offline try: ddarts search --dataset digits --cells 5 --init-channels 4 "
                    "--epochs 2 --steps-per-epoch 5 --out runs/demo. Several GPUs: torchrun --nproc_per_node N -m ddarts "
                    "search ... --out RUN (the batch size is the total over the processes).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--out", "-o", metavar="RUN", help="new run folder (default: runs/<dataset>-<loss>-<time>)")
    parser.add_argument("--resume", metavar="RUN", help="continue the stopped or interrupted search in RUN "
                        f"(only {', '.join('--' + n.replace('_', '-') for n in RESUMABLE_OVERRIDES)} may change)")
    parser.add_argument("--config", metavar="FILE.json", help="read the configuration from a JSON file "
                        "(a run's config.json works too); options given here override it")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar, only the final summary")
    defaults = SearchConfig()
    group = parser.add_argument_group("search configuration")
    for f in dataclasses.fields(SearchConfig):
        flags = ["--" + f.name.replace("_", "-")] + ALIASES.get(f.name, [])
        default = getattr(defaults, f.name)
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS,
                                  "help": f"{HELP.get(f.name, f.name)} (default: {default})"}
        if isinstance(default, bool):
            kwargs["action"] = argparse.BooleanOptionalAction
        elif f.name in CHOICES:
            kwargs["choices"] = CHOICES[f.name]
        elif f.name == "steps_per_epoch" or isinstance(default, int):
            kwargs["type"] = int
        elif isinstance(default, float):
            kwargs["type"] = float
        group.add_argument(*flags, **kwargs)
    parser.set_defaults(func=run)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(SearchConfig) if hasattr(args, f.name)}


def _read_config_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = loads_bounded(handle.read(MAX_JSON_BYTES + 1), f"config file {path}")
    except FileNotFoundError:
        raise DdartsError(f"config file not found: {path}") from None
    except OSError as exc:
        raise DdartsError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise DdartsError(str(exc)) from None
    if isinstance(data, dict) and data.get("kind") == "search" and isinstance(data.get("config"), dict):
        data = data["config"]  # a run's config.json
    if not isinstance(data, dict):
        raise DdartsError(f"config file {path} must hold a JSON object")
    return data


def build_config(args: argparse.Namespace) -> SearchConfig:
    base = _read_config_file(args.config) if args.config else {}
    given = _given(args)
    try:
        return SearchConfig.from_dict({**base, **given})
    except ConfigError as exc:
        if exc.field in base and exc.field not in given:  # the bad value came from the file: name it
            raise DdartsError(f"{args.config}: {exc}") from None
        raise


def default_run_dir(config: SearchConfig) -> Path:
    return Path("runs") / f"{config.dataset}-{config.loss}-{time.strftime('%Y%m%d-%H%M%S')}"


STOP_MESSAGE = "Stopping after the current step and writing a checkpoint (Ctrl-C again to abort now)..."


def run(args: argparse.Namespace) -> int:
    control = SearchControl()
    if args.resume:
        given = _given(args)
        fixed = sorted(set(given) - set(RESUMABLE_OVERRIDES))
        if fixed or args.config or args.out is not None:
            what = ", ".join(["--" + n.replace("_", "-") for n in fixed] + (["--config"] if args.config else [])
                             + (["--out"] if args.out is not None else []))
            raise DdartsError(f"{what} cannot be combined with --resume: a resumed search keeps its configuration")
        run_dir = Path(args.resume)
        saved = RunReader(run_dir).config
        config = saved.replace(**given) if given else None
        device = (config or saved).device
    else:
        config = build_config(args)
        if args.out is not None and not args.out.strip():
            raise DdartsError("--out is empty; give a run folder or leave the option out")
        run_dir = Path(args.out) if args.out is not None else default_run_dir(config)
        device = config.device
    # Under torchrun every process runs this command; they join one process group and share each batch.
    dist = distributed.start(device)
    try:
        if dist is not None and not args.out and not args.resume:
            raise DdartsError("under torchrun give the run folder with --out, so every process names the same one")
        events = recorded_search(config, run_dir, control=control, resume=bool(args.resume), dist=dist)
        rank = None if dist is None or dist.is_main else dist.rank
        resume = f"ddarts search --resume {run_dir}"
        if dist is not None:
            resume = f"torchrun --nproc_per_node {dist.world_size} -m {resume}"
        return _consume(events, control, run_dir, quiet=args.quiet, replica_rank=rank, resume_command=resume)
    finally:
        if dist is not None:
            dist.close()


def _consume(events, control, run_dir: Path, quiet: bool, replica_rank: int | None = None,
             resume_command: str | None = None) -> int:
    """Print the search as it goes; a torchrun replica (`replica_rank`) prints only its errors."""
    if replica_rank is not None:
        return _consume_quietly(events, control, replica_rank)
    out = sys.stderr
    resume_command = resume_command or f"ddarts search --resume {run_dir}"
    bar: ProgressBar | None = None
    download: ProgressBar | None = None

    def say(message: str) -> None:
        if bar is not None:
            bar.write(message)
        else:
            print(message, file=out, flush=True)

    with StopOnSignals(control, say, STOP_MESSAGE) as signals:
        try:
            for event in events:
                if isinstance(event, DatasetProgress):
                    if event.stage in ("download", "extract") and event.total and not quiet:
                        if download is None:
                            download = ProgressBar(event.total, f"{event.dataset} {event.stage}", out)
                        download.set(event.done)
                    elif event.stage == "ready":
                        if download is not None:
                            download.close()
                            download = None
                        if not quiet:
                            say(event.message or f"{event.dataset} ready")
                elif isinstance(event, RunStarted):
                    if not quiet:
                        verb = "Resuming" if event.resumed else "Searching"
                        say(f"{verb} into {run_dir} on {event.device}: {event.n_cells} cells (reductions "
                            f"{list(event.reductions)}), {event.total_steps} steps of "
                            f"{event.steps_per_epoch} per epoch")
                        bar = ProgressBar(event.total_steps, "search", out, initial=event.start_step)
                elif isinstance(event, StepMetrics):
                    if bar is not None:
                        bar.set(event.step, f"epoch {event.epoch + 1} L_CE {event.val_loss:.3f} "
                                            f"acc {event.val_acc * 100:.1f}%")
                elif isinstance(event, EpochMetrics):
                    if not quiet:
                        say(f"epoch {event.epoch + 1}: train L_CE {event.train_loss:.4f} acc "
                            f"{event.train_acc * 100:.1f}% | α-split L_CE {event.val_loss:.4f} acc "
                            f"{event.val_acc * 100:.1f}% | σ>0.9 {event.dominant_share * 100:.1f}% "
                            f"σ<0.1 {event.low_share * 100:.1f}% | {format_duration(event.elapsed_s)}")
                elif isinstance(event, GenotypeParsed) and event.epoch == -1:
                    pass
                elif isinstance(event, CheckpointSaved):
                    pass
                elif isinstance(event, Stopped):
                    _close(bar)
                    print(f"Stopped at step {event.step}; checkpoint {event.checkpoint}.\n"
                          f"Resume with: {resume_command}", file=out)
                    return signals.exit_code
                elif isinstance(event, Failed):
                    _close(bar)
                    print(f"ddarts search: error: {event.message}", file=out)
                    if event.kind == "error":  # a bug, not bad input: the traceback helps a report
                        print(event.traceback, file=out)
                    if event.checkpoint:
                        print(f"Resume with: {resume_command}", file=out)
                    return 3 if event.kind == "oom" else 1
                elif isinstance(event, Finished):
                    _close(bar)
                    print(f"Finished {event.step} steps in {format_duration(event.elapsed_s)}. Run folder: {run_dir}",
                          file=out)
                    for method, genotype in event.genotypes.items():
                        live = sum(len(genotype.live_edges(i)) for i in range(genotype.n_cells))
                        print(f"  {method:>6}: {live} live ops -> {run_dir / 'genotypes' / f'final_{method}.json'}",
                              file=out)
                    return 0
        finally:
            _close(download)
            _close(bar)
    return 1


def _consume_quietly(events, control, rank: int) -> int:
    with StopOnSignals(control, lambda message: None, STOP_MESSAGE) as signals:
        for event in events:
            if isinstance(event, Stopped):
                return signals.exit_code
            if isinstance(event, Failed):
                print(f"ddarts search (process {rank}): error: {event.message}", file=sys.stderr)
                if event.kind == "error":
                    print(event.traceback, file=sys.stderr)
                return 3 if event.kind == "oom" else 1
            if isinstance(event, Finished):
                return 0
    return 1


def _close(bar: ProgressBar | None) -> None:
    if bar is not None:
        bar.close()
