"""Qt-free view models: what the views and windows show and decide, computed from ddarts objects as plain
Python that tests drive without a display.

Nothing here imports PySide6 or pyqtgraph (an import-linter contract in pyproject.toml checks it).
"""
