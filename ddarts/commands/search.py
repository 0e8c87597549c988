"""`ddarts search`: run a D-DARTS search headless into a run folder (or resume one).

Every `SearchConfig` field is an option (`--init-channels`, `--w-abl`, ...), generated from the dataclass so
the CLI can never fall behind the configuration. Ctrl-C stops after the current step and checkpoints.
"""

from __future__ import annotations

import argparse
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
from ddarts.errors import DdartsError
from ddarts.runs import RunReader, recorded_search
from ddarts.runtime import distributed
from ddarts.runtime.interrupts import StopOnSignals
from ddarts.search import SearchControl
from ddarts.search.config import ConfigError, SearchConfig
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
from ddarts.search.fields import FIELDS, RUN_FOLDER_PATTERN, run_folder_name
from ddarts.search.run import RESUMABLE_OVERRIDES


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "search", help="run a D-DARTS search into a run folder",
        description="Run a D-DARTS search headless. Defaults follow the paper (CIFAR-100, 8 cells, L_T). "
                    "Quick offline try: ddarts search --dataset digits --cells 5 --init-channels 4 "
                    "--epochs 2 --steps-per-epoch 5 -o runs/demo. Several GPUs: torchrun --nproc_per_node N -m ddarts "
                    "search ... -o RUN (the batch size is the total over the processes).",
    )
    parser.add_argument("--out", "-o", metavar="RUN", help=f"new run folder (default: runs/{RUN_FOLDER_PATTERN})")
    parser.add_argument("--resume", metavar="RUN", help="continue the stopped or interrupted search in RUN "
                        f"(only {', '.join(FIELDS[n].option(n) for n in RESUMABLE_OVERRIDES)} may change)")
    add_file_options(parser, "search")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar, only the final summary")
    add_output_options(parser)
    add_config_options(parser, SearchConfig, FIELDS)
    parser.set_defaults(func=run)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return given_options(args, SearchConfig, FIELDS)


def build_config(args: argparse.Namespace) -> SearchConfig:
    base = read_config_file(args.config, "search") if args.config else {}
    given = _given(args)
    try:
        return SearchConfig.from_dict({**base, **given})
    except ConfigError as exc:
        if exc.field in base and exc.field not in given:  # the bad value came from the file: name it
            raise DdartsError(f"{args.config}: {exc}") from None
        raise


def default_run_dir(config: SearchConfig) -> Path:
    return Path(run_folder_name("runs", config.dataset, config.loss))


STOP_MESSAGE = "Stopping after the current step and writing a checkpoint (Ctrl-C again to abort now)..."


def run(args: argparse.Namespace) -> int:
    control = SearchControl()
    if args.resume:
        given = _given(args)
        fixed = sorted(set(given) - set(RESUMABLE_OVERRIDES))
        if fixed or args.config or args.out is not None:
            what = ", ".join([FIELDS[n].option(n) for n in fixed] + (["--config"] if args.config else [])
                             + (["--out"] if args.out is not None else []))
            raise DdartsError(f"{what} cannot be combined with --resume: a resumed search keeps its configuration")
        run_dir = Path(args.resume)
        saved = RunReader(run_dir).config
        config = saved.replace(**given) if given else None
        device = (config or saved).device
        if args.print_config:
            print_config(config or saved)
            return 0
    else:
        config = build_config(args)
        if args.print_config:
            print_config(config)
            return 0
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
        if rank is None and args.tensorboard:
            events = with_tensorboard(events, args.tensorboard)
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
