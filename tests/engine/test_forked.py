"""Work in a child process (engine/forked.py): what the child wrote comes back once, a child
that fails or is stopped gives nothing, and no child is left behind."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from typing import BinaryIO

import pytest

from syncgui.engine.forked import ForkedWork
from tests.processes import children

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")


@pytest.fixture(autouse=True)
def no_children_left() -> Iterator[None]:
    """Every child a test started has ended and was waited for."""
    before = children()
    yield
    assert children() <= before


def read(work: ForkedWork) -> bytes | None:
    out = work.result()
    if out is None:
        return None
    with out:
        return out.read()


def test_what_the_child_wrote_comes_back_once() -> None:
    work = ForkedWork(lambda out: out.write(b"x" * 200_000))  # more than a pipe holds
    assert read(work) == b"x" * 200_000
    assert work.result() is None


def test_a_child_that_fails_gives_nothing() -> None:
    def fails(out: BinaryIO) -> None:
        out.write(b"half")
        out.flush()
        raise MemoryError

    assert read(ForkedWork(fails)) is None


def test_ctrl_c_is_left_to_this_process() -> None:
    """The terminal sends Ctrl-C to the child too: it must neither die of it nor say
    anything about it (this process tells the user it is stopping)."""

    def interrupted(out: BinaryIO) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        out.write(b"finished")

    assert read(ForkedWork(interrupted)) == b"finished"


def test_a_discarded_child_is_stopped_and_reaped() -> None:
    work = ForkedWork(lambda out: time.sleep(30))
    started = time.monotonic()
    work.discard()
    assert time.monotonic() - started < 5
    assert work.result() is None
