"""Work done in a child process while this process does other work.

Three parts of a sync run so on a computer with two processors: a folder's listing, made
while the engine examines the partnership's other store
(:mod:`syncgui.providers.vcard.listing`); reading and describing part of a large batch of
changed items while this process describes the rest (:mod:`syncgui.engine.detection`); and
writing a batch's new items while this process records the batch before it
(:mod:`syncgui.engine.creates_ahead`). Threads cannot share that work: each ``stat``, read,
write and regular expression holds Python's lock for most of its time (tried: a thread
writing the merge bases made a first sync 10 % slower).

The child is made by ``fork``: it starts at once, with everything this process holds. That
is safe only under the conditions :func:`can_fork` checks, and only for work that touches
nothing this process shares with the outside: no database, no connection, no helper
process. The child writes its result into a file in memory (``memfd``), so it never waits
for this process to read, and ends with ``os._exit``: no exit handlers, no buffered output
written twice, no database closed. Whatever goes wrong there makes :meth:`ForkedWork.result`
answer None, and the caller does the work itself, which reports any problem in the usual
words.

:class:`ForkedServer` is a child that lives longer: it answers requests one after the
other, through two pipes, until this process is done with it. Requests and answers are
pickled; this process never waits on a full pipe while the child waits on the other one
(see :meth:`ForkedServer.send`). The child stops when this process ends, whatever it was
doing: it never works for a process that is gone.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any, BinaryIO

log = logging.getLogger(__name__)


def can_fork() -> bool:
    """Whether work may run in a child process now: on Linux (where it is tested), with a
    second processor to run on, and in a process of one thread. A child of ``fork`` holds
    only the thread that forked, so a lock another thread held (in the allocator, in
    logging) would stay locked there; the app syncs on worker threads and does its work in
    place."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    if not hasattr(os, "memfd_create"):
        return False
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return False
        return len(os.listdir("/proc/self/task")) == 1  # no thread a library started either
    except OSError:
        return False


def _fork(child: Callable[[], None], fds: tuple[int, ...]) -> int:
    """A child process running ``child``: it logs nothing (this process's log is not its),
    ignores Ctrl-C (the terminal sends it to the child too: this process says what it does
    about it) and ends with ``os._exit`` (status 0, or 1 when ``child`` raised): no exit
    handlers, no buffered output written twice, no database closed. Here, its pid; when no
    child can be made, ``fds`` are closed and OSError raised."""
    try:
        pid = os.fork()
    except OSError:
        for fd in fds:
            os.close(fd)
        raise
    if pid == 0:  # pragma: no cover  (the child: coverage is not kept there)
        status = 1
        try:
            logging.disable(logging.CRITICAL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            child()
            status = 0
        finally:
            os._exit(status)
    return pid


class ForkedWork:
    """``work`` run in a child process started now; it writes its result to the file it is
    given. Call :meth:`result` once to wait for it, or :meth:`discard` to stop it. Raises
    OSError when no child can be made (no memory or processes to spare)."""

    def __init__(self, work: Callable[[BinaryIO], None]) -> None:
        self.started = time.monotonic()
        fd = os.memfd_create("syncgui-work", os.MFD_CLOEXEC)

        def child() -> None:  # pragma: no cover  (the child: coverage is not kept there)
            with os.fdopen(fd, "wb", closefd=False) as out:
                work(out)

        pid = _fork(child, (fd,))
        self._pid: int | None = pid
        self._fd = fd

    def result(self) -> BinaryIO | None:
        """Wait for the child; what it wrote, as a file read from its start (the caller
        closes it), or None when it failed or was stopped."""
        if self._pid is None:  # collected or discarded already
            return None
        status = self._reap()
        if status != 0:
            os.close(self._fd)
            return None
        out = os.fdopen(self._fd, "rb")
        out.seek(0)
        return out

    def discard(self) -> None:
        """Stop the child if it still runs, and forget it."""
        if self._pid is not None:
            _kill(self._pid)
            self._reap()
            os.close(self._fd)

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        return _reap(pid)


def _kill(pid: int) -> None:
    with suppress(OSError):  # it has ended already
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int | None) -> int:
    """Wait for the child ``pid``; its exit status (-1 when it cannot be told)."""
    if pid is None:
        return -1
    try:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except ChildProcessError:
        return -1
    except OSError as err:  # pragma: no cover  (waitpid is retried on EINTR by Python)
        log.debug("waiting for a child: %s", err)
        return -1


_HEAD = 8  # the length of a message, before it (little-endian)
_CHUNK = 1 << 20


class ForkedPieces:
    """``work(put)`` run in a child process started now: each piece it hands to ``put`` can
    be taken here (:meth:`pieces`) as soon as it is complete, while the child goes on.
    Pieces are pickled into a file in memory, so the child never waits for this process to
    read; a pipe only says how far the file is complete. Raises OSError when no child can
    be made."""

    def __init__(self, work: Callable[[Callable[[Any], None]], None]) -> None:
        fd = os.memfd_create("syncgui-pieces", os.MFD_CLOEXEC)
        try:
            done_r, done_w = os.pipe()
        except OSError:
            os.close(fd)
            raise

        def child() -> None:  # pragma: no cover  (the child: coverage is not kept there)
            os.close(done_r)
            work(_PieceWriter(fd, done_w).put)

        pid = _fork(child, (fd, done_r, done_w))
        os.close(done_w)
        self._pid: int | None = pid
        self._fd: int | None = fd
        self._done: int | None = done_r
        self.ended_well: bool | None = None  # known once every piece was taken

    def pieces(self) -> Iterator[Any]:
        """Each piece in order, waiting for the next while the child works; the end comes
        when the child has ended (then :attr:`ended_well` tells whether it finished its
        work: a child that failed midway gives the pieces it completed)."""
        import pickle  # (3 ms to load: only where a child was made)

        read_at = complete = 0
        while self._fd is not None and self._done is not None:
            if read_at < complete:
                size = int.from_bytes(os.pread(self._fd, _HEAD, read_at), "little")
                piece = os.pread(self._fd, size, read_at + _HEAD)
                read_at += _HEAD + size
                yield pickle.loads(piece)
                continue
            told = os.read(self._done, _CHUNK)
            if not told:  # the child has ended
                self.ended_well = self._reap() == 0
                return
            complete = int.from_bytes(told[-_HEAD:], "little")

    def discard(self) -> None:
        """Stop the child if it still runs, and forget it."""
        if self._pid is not None:
            _kill(self._pid)
        self._reap()

    def _reap(self) -> int:
        for fd in (self._fd, self._done):
            if fd is not None:
                os.close(fd)
        self._fd = self._done = None
        pid, self._pid = self._pid, None
        return _reap(pid)


class _PieceWriter:  # pragma: no cover  (used in a child)
    """A child's side of :class:`ForkedPieces`: each piece appended to the file, then the
    file's complete length told through the pipe (a few bytes: the pipe never fills)."""

    def __init__(self, fd: int, done: int) -> None:
        self._fd = fd
        self._done = done
        self._end = 0

    def put(self, piece: Any) -> None:
        import pickle

        data = pickle.dumps(piece, pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(data).to_bytes(_HEAD, "little") + data)
        while view:
            written = os.pwrite(self._fd, view, self._end)
            view = view[written:]
            self._end += written
        os.write(self._done, self._end.to_bytes(_HEAD, "little"))


class ChildGone(Exception):
    """The child of a :class:`ForkedServer` has ended (it failed, was killed, or its work
    raised): no more answers come."""


class ForkedServer:
    """A child process started now that answers each request with ``serve(request)``, in
    order, until :meth:`stop`. Raises OSError when no child can be made.

    ``serve`` runs in the child (see the module for what it may touch) and should answer
    every request; if it raises, the child ends and :meth:`receive` raises ChildGone."""

    def __init__(self, serve: Callable[[Any], Any]) -> None:
        parent = os.getpid()
        ask_r, ask_w = os.pipe()
        try:
            answer_r, answer_w = os.pipe()
        except OSError:
            os.close(ask_r)
            os.close(ask_w)
            raise
        _widen(ask_w)

        def child() -> None:  # pragma: no cover  (the child: coverage is not kept there)
            os.close(ask_w)
            os.close(answer_r)
            _serve(serve, ask_r, answer_w, parent)

        pid = _fork(child, (ask_r, ask_w, answer_r, answer_w))
        os.close(ask_r)
        os.close(answer_w)
        os.set_blocking(ask_w, False)
        self._pid: int | None = pid
        self._ask: int | None = ask_w
        self._answers: int | None = answer_r
        self._inbox = bytearray()

    def send(self, request: Any) -> None:
        """Hand ``request`` to the child. While the pipe to it is full, what the child
        answers meanwhile is taken in, so the child never waits on this process while this
        process waits on it. ChildGone when it has ended."""
        import pickle  # (3 ms to load: only where a child was made)
        import select

        if self._ask is None or self._answers is None:
            raise ChildGone("the child was stopped")
        message = pickle.dumps(request, pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(message).to_bytes(_HEAD, "little") + message)
        poller = select.poll()
        poller.register(self._ask, select.POLLOUT)
        poller.register(self._answers, select.POLLIN)
        while view:
            try:
                view = view[os.write(self._ask, view) :]
                continue
            except BlockingIOError:
                pass
            except BrokenPipeError:
                raise ChildGone("the child has ended") from None
            for fd, _events in poller.poll():
                if fd == self._answers:
                    self._take_in()

    def receive(self) -> Any:
        """The child's answer to the oldest request not answered yet (waits for it);
        ChildGone when the child ended before answering."""
        import pickle

        while True:
            if len(self._inbox) >= _HEAD:
                size = int.from_bytes(self._inbox[:_HEAD], "little")
                if len(self._inbox) >= _HEAD + size:
                    message = bytes(self._inbox[_HEAD : _HEAD + size])
                    del self._inbox[: _HEAD + size]
                    return pickle.loads(message)
            self._take_in()

    def _take_in(self) -> None:
        if self._answers is None:
            raise ChildGone("the child was stopped")
        chunk = os.read(self._answers, _CHUNK)
        if not chunk:
            raise ChildGone("the child has ended")
        self._inbox += chunk

    def stop(self) -> None:
        """Tell the child there is nothing more (it ends once it has answered what it was
        given) and wait for it to end."""
        self._close(kill=False)

    def discard(self) -> None:
        """Stop the child at once, whatever it is doing, and wait for it to end."""
        self._close(kill=True)

    def _close(self, kill: bool) -> None:
        for fd in (self._ask, self._answers):
            if fd is not None:
                os.close(fd)
        self._ask = self._answers = None
        pid, self._pid = self._pid, None
        if pid is not None and kill:
            _kill(pid)
        _reap(pid)


def _widen(pipe: int) -> None:
    """Let ``pipe`` hold 1 MiB instead of 64 KiB where Linux allows it: a request of 500
    cards then passes in a few writes instead of a few hundred, each a switch between the
    two processes (20 requests of a first sync of 10,000 cards: 50 ms less waiting)."""
    try:
        import fcntl

        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError) as err:  # a lower limit (pipe-max-size): as it is
        log.debug("pipe left at its size: %s", err)


def _serve(
    serve: Callable[[Any], Any], requests: int, answers: int, parent: int
) -> None:  # pragma: no cover  (runs in the child)
    """The child's loop: each request read, served and answered, until the requests end or
    the parent has gone (then the work in hand is not finished: nobody would record it)."""
    import pickle

    with os.fdopen(requests, "rb") as inbox:
        while True:
            head = inbox.read(_HEAD)
            if len(head) < _HEAD:
                return  # no more requests
            message = inbox.read(int.from_bytes(head, "little"))
            if os.getppid() != parent:
                return
            answer = pickle.dumps(serve(pickle.loads(message)), pickle.HIGHEST_PROTOCOL)
            view = memoryview(len(answer).to_bytes(_HEAD, "little") + answer)
            while view:
                view = view[os.write(answers, view) :]


def parent_gone(parent: int) -> bool:  # pragma: no cover  (asked in a child)
    """Whether the process that made this child has ended (the child then stops its work)."""
    return os.getppid() != parent
