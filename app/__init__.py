"""ddarts desktop application: PySide6 views over the Qt-free `ddarts` library.

All Qt code of the project lives in this package; `ddarts` itself never imports Qt. Importing the
package first guards the interpreter against PySide6 reference-count defects (app/pyside_guard.py).
"""

from . import pyside_guard as _pyside_guard  # noqa: F401 - installs the guard on import
