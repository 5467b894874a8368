"""Advisory file locks: one sync per partnership and per store at a time."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from syncgui.service.errors import AlreadySyncing


@contextmanager
def file_lock(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; raise AlreadySyncing if someone else holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd):
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise AlreadySyncing(
                f"{what} is being synced already (process {holder}); wait for it to finish"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def locks(paths: list[tuple[Path, str]]) -> Iterator[None]:
    """Take several locks in a fixed order (no deadlock between two partnerships)."""
    with ExitStack() as stack:
        for path, what in sorted(set(paths)):
            stack.enter_context(file_lock(path, what))
        yield
