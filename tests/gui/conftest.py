"""GUI tests run offscreen against :class:`FakeDesktop` (no display, no phone, no disk)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything loads Qt

from collections.abc import Iterator
from typing import Any

import pytest

from syncgui.gui.controller import AppController
from tests.gui.fake_service import FakeDesktop


@pytest.fixture
def fake() -> FakeDesktop:
    """One partnership "phone"; sessions succeed at once unless scripted otherwise."""
    return FakeDesktop()


@pytest.fixture
def controller(qapp: Any, fake: FakeDesktop) -> Iterator[AppController]:
    """An AppController over ``fake`` with its job thread; shut down after the test."""
    ctl = AppController(fake)
    yield ctl
    if fake.gate is not None:
        fake.gate.set()
    ctl.shutdown()
