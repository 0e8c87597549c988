"""ddarts: D-DARTS neural architecture search as a Qt-free library.

The GUI lives in the separate `app` package; nothing here may import Qt.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    """`ddarts.load_exported(FOLDER)`: loaded on first use (PEP 562), so `import ddarts` stays light."""
    if name == "load_exported":
        from ddarts.export.loading import load_exported

        return load_exported
    raise AttributeError(f"module 'ddarts' has no attribute {name!r}")
