"""GUI tests run offscreen against :class:`FakeDesktop` (no display, no phone; on disk only
the window's state, in the fake profile's folders under the test's tmp_path)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything loads Qt

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncgui.gui.controller import AppController
from tests.carddav.servers import radicale_auth
from tests.gui.fake_service import FakeDesktop

__all__ = ["controller", "fake", "radicale_auth"]  # radicale_auth: a real CardDAV server


@pytest.fixture
def fake(tmp_path: Path) -> FakeDesktop:
    """One partnership "phone"; sessions succeed at once unless scripted otherwise. Its
    profile's folders are under ``tmp_path / "profile"`` (none exists until written)."""
    return FakeDesktop(root=tmp_path / "profile")


@pytest.fixture
def controller(qapp: Any, fake: FakeDesktop) -> Iterator[AppController]:
    """An AppController over ``fake`` with its job thread; shut down after the test."""
    ctl = AppController(fake)
    yield ctl
    if fake.gate is not None:
        fake.gate.set()
    ctl.shutdown()
