"""`ddarts metrics RUN`: a run folder's metrics as TensorBoard event files or a CSV table."""

from __future__ import annotations

import argparse

from ddarts.errors import DdartsError
from ddarts.runs.tensorboard import convert_run


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "metrics", help="convert a run folder's metrics to TensorBoard files or CSV",
        description="Read a search or training run folder (finished or still running) and write its scalars and "
                    "σ(α) histograms as TensorBoard event files (--tensorboard) and/or its scalars as a CSV table "
                    "with the columns tag, step, value (--csv). metrics.jsonl stays the source of truth.",
    )
    p.add_argument("run", metavar="RUN", help="search or training run folder")
    p.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard event files into DIR")
    p.add_argument("--csv", metavar="FILE", help="write the scalars to FILE as CSV")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.tensorboard and not args.csv:
        raise DdartsError("give --tensorboard DIR and/or --csv FILE")
    rows = convert_run(args.run, args.tensorboard, args.csv)
    targets = " and ".join(t for t in (args.tensorboard, args.csv) if t)
    print(f"{rows} scalar values from {args.run} written to {targets}")
    return 0
