"""`ddarts` command line: one sub-command per module in `ddarts.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys

from ddarts import __version__
from ddarts.errors import DdartsError
from ddarts.runtime.threads import use_cores

COMMANDS = ("search", "sweep", "genotype", "derive", "info", "draw", "train", "evaluate", "export", "metrics",
            "plot", "gui")
"""Each name is a module `ddarts.commands.<name>` with `register(subparsers)`; its parser sets `func`."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ddarts", description="D-DARTS architecture search, derivation and training")
    parser.add_argument("--version", action="version", version=f"ddarts {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"ddarts.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    use_cores()
    try:
        return int(args.func(args) or 0)
    except DdartsError as exc:
        print(f"ddarts {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `ddarts genotype FILE | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
