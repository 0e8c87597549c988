"""Start the ddarts desktop application: `python main.py [RUN_FOLDER]`."""

from __future__ import annotations

import sys

from app.__main__ import main

if __name__ == "__main__":  # data loaders may spawn processes that re-import this module
    sys.exit(main())
