"""Guard against the PySide6 defect that over-releases ``None`` on every void-returning
call (6.12.0 on Python 3.11: the interpreter aborts with ``none_dealloc``; lab-notes §3)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_calls_do_not_release_none() -> None:
    before = sys.getrefcount(None)
    for _ in range(100_000):
        QObject().setObjectName("x")
    assert sys.getrefcount(None) >= before - 100  # a defect loses ~100,000
