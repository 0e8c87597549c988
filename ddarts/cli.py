"""`ddarts` command line: one sub-command per module in `ddarts.commands`.

Exit status: 0 done, 1 failed, 2 bad input (one line on stderr), 3 out of memory, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM). Interruptions print one line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from ddarts import __version__
from ddarts.commands.streams import PipeSafeOutput
from ddarts.errors import DdartsError
from ddarts.runtime.interrupts import Terminated, raise_terminated
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
    stdout = sys.stdout
    sys.stdout = PipeSafeOutput(stdout)  # type: ignore[assignment]
    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)  # so cleanups run, then exit 143
    except ValueError:  # not the main thread (an embedding caller)
        previous = None
    try:
        return int(args.func(args) or 0)
    except DdartsError as exc:
        print(f"ddarts {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ddarts {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"ddarts {args.command}: terminated", file=sys.stderr)
        return 143
    finally:
        sys.stdout.flush()
        sys.stdout = stdout
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
