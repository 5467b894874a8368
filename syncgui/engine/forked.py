"""Work done in a child process while this process does other work.

Two parts of a sync run so on a computer with two processors: a folder's listing, made
while the engine examines the partnership's other store
(:mod:`syncgui.providers.vcard.listing`), and reading and describing part of a large batch
of changed items while this process describes the rest (:mod:`syncgui.engine.detection`).
Threads cannot share that work: each ``stat``, read and regular expression holds Python's
lock for most of its time.

The child is made by ``fork``: it starts at once, with everything this process holds. That
is safe only under the conditions :func:`can_fork` checks, and only for work that touches
nothing this process shares with the outside: no database, no connection, no helper
process. The child writes its result into a file in memory (``memfd``), so it never waits
for this process to read, and ends with ``os._exit``: no exit handlers, no buffered output
written twice, no database closed. Whatever goes wrong there makes :meth:`ForkedWork.result`
answer None, and the caller does the work itself, which reports any problem in the usual
words.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import BinaryIO

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


class ForkedWork:
    """``work`` run in a child process started now; it writes its result to the file it is
    given. Call :meth:`result` once to wait for it, or :meth:`discard` to stop it. Raises
    OSError when no child can be made (no memory or processes to spare)."""

    def __init__(self, work: Callable[[BinaryIO], None]) -> None:
        self.started = time.monotonic()
        fd = os.memfd_create("syncgui-work", os.MFD_CLOEXEC)
        try:
            pid = os.fork()
        except OSError:
            os.close(fd)
            raise
        if pid == 0:  # pragma: no cover  (the child: coverage is not kept there)
            status = 1
            try:
                logging.disable(logging.CRITICAL)  # this process's log is not the child's
                # Ctrl-C reaches the child too: this process says what it does about it
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                with os.fdopen(fd, "wb", closefd=False) as out:
                    work(out)
                status = 0
            finally:
                os._exit(status)
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
            with suppress(OSError):  # it has ended already
                os.kill(self._pid, signal.SIGKILL)
            self._reap()
            os.close(self._fd)

    def _reap(self) -> int:
        """Wait for the child; its exit status (-1 when it cannot be told)."""
        pid, self._pid = self._pid, None
        if pid is None:
            return -1
        try:
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:
            return -1
        except OSError as err:  # pragma: no cover  (waitpid is retried on EINTR by Python)
            log.debug("waiting for a child: %s", err)
            return -1
