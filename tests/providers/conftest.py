"""Fixtures for the stores' tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


def children() -> set[str]:
    """This process's children, running or ended and not yet waited for (zombies)."""
    return set(Path(f"/proc/self/task/{os.getpid()}/children").read_text().split())


@pytest.fixture
def no_children() -> Iterator[None]:
    """Every child process a test started has ended and was waited for (Linux)."""
    before = children()
    yield
    assert children() <= before
