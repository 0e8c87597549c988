"""ddarts: D-DARTS neural architecture search as a Qt-free library.

The GUI lives in the separate `app` package; nothing here may import Qt.
"""

__version__ = "0.1.0"
