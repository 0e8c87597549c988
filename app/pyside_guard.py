"""A guard against the reference-count defects of PySide6 6.12.0 on CPython 3.11, installed by
`app.application.create_application`.

Needed for: PySide6-Essentials 6.12.0 with shiboken6 6.12.0 on CPython 3.11 (measured with 3.11.7).
That build returns the singletons without owning a reference to them: every call of a void method
(`label.setText(...)`, `timer.start()`, ...) takes one reference away from `None`, and every
`signal.emit()` one from `True`. CPython 3.11 has not made these objects immortal yet, so the
interpreter aborts ("Fatal Python error: none_dealloc: deallocating None") after a few thousand
calls: within seconds of a live search (tests/app/test_pyside_guard.py reproduces it).

The defect is measured, not assumed from version numbers: `install_guard` probes the running build
and only where a probe loses references do None, True and False get a reserve of references so large
that no process can use it up. That is what CPython 3.12 does for them anyway (immortal objects), so
nothing else changes; on CPython >= 3.12 nothing is installed.

Remove this module when the project requires CPython >= 3.12, or when a PySide6 release whose probe
finds no loss is the oldest one pyproject.toml allows (the test then shows the defect is gone).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

RESERVE = 1 << 48
SINGLETONS = (None, True, False)
_PROBES = 8


class _Probe(QObject):
    ping = Signal()


def _add_references(obj: object, count: int) -> None:
    # ob_refcnt is the first field of every CPython object
    ctypes.c_ssize_t.from_address(id(obj)).value += count


def _losses(obj: object, call) -> int:
    before = sys.getrefcount(obj)
    for _ in range(_PROBES):
        call()
    lost = before - sys.getrefcount(obj)
    if lost > 0:
        _add_references(obj, lost)  # give the probe's losses back
    return max(0, lost)


def measure_defects() -> dict[str, bool]:
    """Which PySide calls lose references on this build: void methods (None), emit() (True)."""
    probe = _Probe()
    return {
        "void_call_loses_none": _losses(None, lambda: probe.setObjectName("probe")) >= _PROBES // 2,
        "emit_loses_true": _losses(True, probe.ping.emit) >= _PROBES // 2,
    }


def is_installed() -> bool:
    return sys.getrefcount(None) > RESERVE // 2


def needed_for_interpreter() -> bool:
    """Only CPython before 3.12 can free its singletons (3.12 made them immortal)."""
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def install_guard() -> bool:
    """Reserve references for None, True and False if this build needs it; True when the guard is active."""
    if not needed_for_interpreter():
        return False  # immortal singletons: nothing to guard
    if is_installed():
        return True
    if not any(measure_defects().values()):
        return False
    for obj in SINGLETONS:
        _add_references(obj, RESERVE)
    return True

