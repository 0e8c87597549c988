"""Start the ddarts desktop application: `python main.py [RUN_FOLDER]`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    from app.application import create_application
    from app.main_window import MainWindow

    app = create_application(argv)
    window = MainWindow()
    window.show()
    if len(argv) > 1:
        window.open_run(argv[1])
    return app.exec()


if __name__ == "__main__":  # data loaders may spawn processes that re-import this module
    sys.exit(main())
