"""`ddarts gui [RUN]`: start the desktop application, optionally opening a run folder.

The library never imports the app (it stays Qt-free), so the app is started as its own program: the installed
`ddarts_app` package, or `app` in a source checkout.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys

from ddarts.errors import DdartsError

APP_PACKAGES = ("ddarts_app", "app")
"""`ddarts_app` is the name the wheel installs the repository's app/ folder under; `app` is the checkout's."""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("gui", help="open the desktop application",
                              description="Open the ddarts desktop application (the same as `python main.py [RUN]` "
                                          "in a source checkout); RUN opens a search run folder, also while it runs.")
    p.add_argument("run", nargs="?", metavar="RUN", help="search run folder to open")
    p.set_defaults(func=run)


def app_package() -> str:
    for name in APP_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    raise DdartsError("the desktop application is not installed (no ddarts_app package); reinstall ddarts")


def run(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", app_package(), *([args.run] if args.run else [])]
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 130
