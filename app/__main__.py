"""Start the desktop application: `python -m app [RUN]` here, `ddarts gui [RUN]` once installed."""

from __future__ import annotations

import sys

from .main_window import MainWindow, create_application


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    app = create_application(argv)
    window = MainWindow()
    window.show()
    if len(argv) > 1:
        window.open_run(argv[1])
    return app.exec()


if __name__ == "__main__":  # data loaders may spawn processes that re-import this module
    sys.exit(main())
