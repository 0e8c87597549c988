"""Start the desktop application: `python -m app [RUN]` here, `ddarts gui [RUN]` once installed."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    # Qt is imported here, not at module level: data-loader processes re-import the main module and need no GUI.
    from .application import create_application
    from .gui_gc import settle
    from .main_window import MainWindow

    app = create_application(argv)
    window = MainWindow()
    window.show()
    settle()  # the window lives as long as the application: later full collections skip it
    if len(argv) > 1:
        window.open_run(argv[1])
    return app.exec()


if __name__ == "__main__":  # data loaders may spawn processes that re-import this module
    sys.exit(main())
