"""The PySide guard: many void calls and emits from Python cannot free None, True or False."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from app import pyside_guard


class Source(QObject):
    payload = Signal(list)


def test_many_calls_and_emits_cannot_free_the_singletons(qapp):
    source = Source()
    received: list[list] = []
    source.payload.connect(received.append)
    before = {id(obj): sys.getrefcount(obj) for obj in pyside_guard.SINGLETONS}
    calls = 50_000
    for i in range(calls):
        source.setObjectName("source")  # a void method: returns None
        source.payload.emit([i])  # returns True
    assert len(received) == calls
    for obj in pyside_guard.SINGLETONS:
        if pyside_guard.GUARD_INSTALLED:
            assert sys.getrefcount(obj) > pyside_guard.RESERVE // 2, obj
        else:
            assert abs(sys.getrefcount(obj) - before[id(obj)]) < 100, obj  # a sound build loses nothing


def test_guard_is_idempotent():
    count = sys.getrefcount(None)
    assert pyside_guard.install_guard() == pyside_guard.GUARD_INSTALLED
    assert abs(sys.getrefcount(None) - count) < 10
