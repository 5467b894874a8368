"""Test-suite settings. In CI (``CI`` set) Hypothesis runs derandomized: the same examples
every time, so a red build always means a change broke something; random exploration with
new seeds is for development runs (``pytest --hypothesis-seed=N``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.keyrings import MemoryKeyring, memory_keyring_installed

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """The CLI, run in process, installs logging handlers on the root logger (a console
    handler on the test's captured stderr, a log file): remove them after each test, so a
    later test's log records never reach a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Passwords go to a keyring in memory for this test (the real Secret Service has its
    own tests: tests/service/test_secret_service.py, tests/gui_e2e/test_online_e2e.py)."""
    yield from memory_keyring_installed()
