"""Options that add consumers to a run's event stream (TensorBoard), shared by `search` and `train`."""

from __future__ import annotations

import argparse

from ddarts.runs.tensorboard import with_tensorboard

__all__ = ["add_output_options", "with_tensorboard"]


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tensorboard", metavar="DIR",
                        help="also write scalars and σ(α) histograms as TensorBoard event files into DIR, live")
