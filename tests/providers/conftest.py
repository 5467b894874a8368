"""Fixtures for the stores' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.processes import children


@pytest.fixture
def no_children() -> Iterator[None]:
    """Every child process a test started has ended and was waited for (Linux)."""
    before = children()
    yield
    assert children() <= before
