"""Qt-free view models: what the views show and decide, as plain Python that tests can drive directly.

Nothing here imports PySide6 or pyqtgraph (an import-linter contract in pyproject.toml checks it).
"""
