"""Work in a child process (engine/forked.py): what the child wrote comes back once, a child
that fails or is stopped gives nothing, a child serving requests answers each in order
however large, and no child is left behind."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

import pytest

from syncgui.engine.forked import ChildGone, ForkedPieces, ForkedServer, ForkedWork
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


# -- a child handing on pieces as it goes ------------------------------------------------------


def test_pieces_come_while_the_child_still_works() -> None:
    def work(put: Any) -> None:
        put(b"a" * 200_000)  # more than a pipe holds
        time.sleep(3)
        put("b")

    pieces = ForkedPieces(work)
    started = time.monotonic()
    taken = pieces.pieces()
    assert next(taken) == b"a" * 200_000
    assert time.monotonic() - started < 2.5  # before the child's second piece
    assert list(taken) == ["b"]
    assert pieces.ended_well is True


def test_a_child_that_fails_midway_gives_the_pieces_it_completed() -> None:
    def work(put: Any) -> None:
        put(1)
        put(2)
        raise MemoryError

    pieces = ForkedPieces(work)
    assert list(pieces.pieces()) == [1, 2]
    assert pieces.ended_well is False


def test_discarded_pieces_stop_the_child() -> None:
    pieces = ForkedPieces(lambda put: time.sleep(30))
    started = time.monotonic()
    pieces.discard()
    assert time.monotonic() - started < 5
    assert list(pieces.pieces()) == []


# -- a child serving requests -----------------------------------------------------------------


def test_each_request_is_answered_in_order() -> None:
    server = ForkedServer(lambda n: n * n)
    try:
        for n in range(5):
            server.send(n)
        assert [server.receive() for _ in range(5)] == [0, 1, 4, 9, 16]
    finally:
        server.stop()


def test_large_requests_and_answers_both_ways_never_wait_on_each_other() -> None:
    """Requests sent while the child's answers fill the other pipe: this process takes the
    answers in while it sends, so neither side waits on a full pipe forever."""
    server = ForkedServer(lambda data: data[::-1] * 2)  # each answer twice its request
    requests = [bytes([n]) * 1_000_000 + b"end" for n in range(4)]  # far more than a pipe
    try:
        for request in requests:
            server.send(request)
        assert [server.receive() for _ in requests] == [r[::-1] * 2 for r in requests]
    finally:
        server.stop()


def test_a_child_that_fails_answers_no_more() -> None:
    def serve(n: int) -> int:
        if n == 2:
            raise MemoryError
        return n

    server = ForkedServer(serve)
    try:
        for n in range(4):
            server.send(n)
        assert [server.receive(), server.receive()] == [0, 1]
        with pytest.raises(ChildGone):
            server.receive()
        with pytest.raises(ChildGone):  # the child has ended: nothing more can be sent
            for _ in range(100):  # (the first may still fit in the pipe)
                server.send(b"x" * 100_000)
    finally:
        server.stop()


def test_a_stopped_child_answers_what_it_had_then_ends() -> None:
    server = ForkedServer(lambda n: (time.sleep(0.05), n)[1])
    server.send(1)
    assert server.receive() == 1
    server.stop()
    with pytest.raises(ChildGone):
        server.send(2)


def test_a_discarded_server_is_stopped_at_once() -> None:
    server = ForkedServer(lambda _: time.sleep(30))
    server.send(None)
    started = time.monotonic()
    server.discard()
    assert time.monotonic() - started < 5


def test_ctrl_c_is_left_to_this_process_by_a_serving_child() -> None:
    def interrupted(_: Any) -> str:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        return "finished"

    server = ForkedServer(interrupted)
    try:
        server.send(None)
        assert server.receive() == "finished"
    finally:
        server.stop()
