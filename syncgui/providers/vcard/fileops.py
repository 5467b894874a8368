"""File operations of the card stores (:mod:`.folder`, :mod:`.file`): what a crash or another
program must never be able to spoil.

A file is read whole in a few plain system calls; written to a new hidden temporary file
that is fsynced, then linked or renamed into place (a new card on Linux: a file without any
name until it is linked, see :func:`create_unnamed`); placed without ever replacing a file
that is there; made durable by an fsync of its folder. A file's stamp is its
``size:mtime_ns:inode``. Failures are put in a user's words by :func:`os_message`.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import sys
from collections.abc import Iterable

from syncgui.engine.errors import StoreUnavailable

log = logging.getLogger(__name__)

TEMP_PREFIX = ".syncgui-tmp-"
# Our temporary files older than this are leftovers of a crash and are removed.
STALE_TEMP_SECONDS = 60.0
# what each further os.read asks for when a file holds more than its size said
_READ_CHUNK = 1 << 16
# os.link failures that mean "hard links are not supported here" (FAT, exFAT, some shares)
_NO_LINK_ERRNOS = frozenset(
    {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK, errno.EINVAL}
)
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)  # 0 where there is none (Windows)
# Linux only (0 elsewhere): a new file without a name, for create_unnamed
_O_TMPFILE: int = getattr(os, "O_TMPFILE", 0)
# O_TMPFILE failures that mean "not here": a file system without it, an old kernel (which
# reads the flag as O_DIRECTORY and refuses to open a folder for writing)
_NO_TMPFILE_ERRNOS = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL})
# where the kernel shows an open file: linkat following this link names an unnamed file
_FD_PATH = "/proc/self/fd/{}"
# linkat failures that mean "not here": no hard links, no /proc (ENOENT), /proc hidden
_NO_LINKAT_ERRNOS = _NO_LINK_ERRNOS | {errno.ENOENT, errno.EXDEV, errno.EACCES}


def stat_stamp(st: os.stat_result) -> str:
    """The cheap version of a file: ``size:mtime_ns:inode``."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def stamp_mtime(stamp: str) -> float | None:
    """The modification time in a :func:`stat_stamp` as ``os.stat`` gives it (``st_mtime``,
    computed the same way to the last bit); None if the stamp holds none."""
    try:
        seconds, nanoseconds = divmod(int(stamp.split(":", 2)[1]), 1_000_000_000)
    except (IndexError, ValueError):
        return None
    return seconds + nanoseconds * 1e-9


def read_whole(path: str) -> bytes:
    """The bytes of the file ``path``, read until the end (also if it grows meanwhile).

    Plain os calls: a buffered file object per card cost more than the reading itself (10,000
    cards: 70 ms with open().read(), 37 ms so). The first read asks for the file's size and
    one byte more, which is all a card needs: a larger fixed request leaves most of each
    buffer behind once shrunk to the card, and a first sync that keeps 50,000 cards read
    64 KiB at a time peaked at 163 instead of 115 MiB. Raises OSError as open() does (a
    folder: IsADirectoryError, from the read)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) == size:  # the whole file, and nothing after it: the common case
            return data
        chunks = [data]  # it grew or shrank while being read: on to the end
        while data and (data := os.read(fd, _READ_CHUNK)):
            chunks.append(data)
    finally:
        os.close(fd)
    return b"".join(chunks)


def write_temp(folder: str, data: bytes, mode: int | None = None) -> tuple[str, os.stat_result]:
    """Write ``data`` durably to a new hidden temporary file in ``folder``.

    ``mode``: the permissions to give it (those of the file it will replace); None for a new
    file: what the user's umask allows, as for any file a program creates. Returns its path
    and its stat taken before close (a rename keeps size, mtime and inode, so this is the
    stat the file will have in place). Raises OSError; leaves nothing behind."""
    path = os.path.join(folder, TEMP_PREFIX + os.urandom(8).hex())
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600 if mode is not None else 0o666)
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            st = _write_durably(fd, data)
        finally:
            os.close(fd)
    except BaseException:
        remove_quietly(path)
        raise
    return path, st


def _write_durably(fd: int, data: bytes) -> os.stat_result:
    """Write ``data`` to ``fd`` and fsync it; the file's stat after."""
    view = memoryview(data)
    while view:  # plain os.write: no buffered file object per card
        view = view[os.write(fd, view) :]
    os.fsync(fd)
    return os.fstat(fd)


def create_unnamed(
    folder: str, data: bytes, names: Iterable[str]
) -> tuple[str, os.stat_result] | None:
    """Write ``data`` durably to a new file in ``folder`` under the first of ``names`` that
    is free; returns that name and the file's stat. Linux: the file is made without a name
    (O_TMPFILE), written and fsynced, then given its name with linkat, which never replaces
    a file; a crash before that leaves nothing at all. Cheaper than a temporary name
    (no random name, no unlink): creating 10,000 cards on tmpfs took 200 instead of 227 ms.

    None when the folder cannot do this (no O_TMPFILE in the kernel or its file system, no
    /proc, no hard links): then :func:`write_temp` and :func:`place_new` are the way. Raises
    FileExistsError when every name is taken, OSError as write_temp does; leaves nothing."""
    if not _O_TMPFILE:
        return None
    try:
        fd = os.open(folder, os.O_WRONLY | _O_TMPFILE, 0o666)
    except OSError as err:
        if err.errno in _NO_TMPFILE_ERRNOS:
            return None
        raise
    try:
        st = _write_durably(fd, data)
        name = _link_unnamed(fd, folder, names)
    finally:
        os.close(fd)
    return None if name is None else (name, st)


def _link_unnamed(fd: int, folder: str, names: Iterable[str]) -> str | None:
    """Give the unnamed file ``fd`` the first free name of ``names`` in ``folder``."""
    source = _FD_PATH.format(fd)
    folder_fd = os.open(folder, os.O_RDONLY | O_DIRECTORY)
    try:
        for name in names:
            try:  # a folder fd makes CPython call linkat, which can follow the /proc link
                os.link(source, name, dst_dir_fd=folder_fd, follow_symlinks=True)
            except FileExistsError:
                continue
            except OSError as err:
                if err.errno in _NO_LINKAT_ERRNOS:
                    return None
                raise
            return name
    finally:
        os.close(folder_fd)
    raise FileExistsError(errno.EEXIST, "File exists", folder)


def place_new(temp: str, target: str) -> None:
    """Move ``temp`` to ``target`` without ever replacing an existing file.

    A hard link fails if the name is taken; where links are not supported (FAT, some network
    shares) an existence check followed by a rename is the fallback. Raises FileExistsError."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in _NO_LINK_ERRNOS:
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "File exists", target) from err
        os.replace(temp, target)
        return
    remove_quietly(temp)


def fsync_folder(folder: str) -> None:
    """Make renames in ``folder`` durable (POSIX only; Windows has no folder fsync)."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY | O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as err:  # some file systems refuse fsync on a folder
        log.debug("fsync of folder %s failed: %s", folder, err)
    finally:
        os.close(fd)


def remove_quietly(path: str) -> None:
    """Remove ``path`` if it is there; a failure is only logged."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        log.warning("Could not remove %s: %s", path, err)


def remove_stale_temp(folder: str, name: str, now: float) -> None:
    """Remove the file ``name`` of ``folder`` if it is one of our temporary files and older
    than a minute."""
    if not name.startswith(TEMP_PREFIX):
        return
    path = os.path.join(folder, name)
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_TEMP_SECONDS:
        log.info("Removing a leftover temporary file %s", path)
        remove_quietly(path)


def missing_folder(path: str) -> StoreUnavailable:
    """The error for a folder that is not there (any more)."""
    return StoreUnavailable(
        f"The folder {path} does not exist; was it moved or is the disk unmounted?"
    )


def os_message(err: OSError) -> str:
    """A short user-facing reason for ``err``."""
    if isinstance(err, PermissionError):
        return "permission denied"
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    if err.errno == errno.EROFS:
        return "the disk is read-only"
    return err.strerror or str(err)


def write_block(path: str, what: str) -> str | None:
    """Why ``path`` (``what``: "the folder", "the file") cannot be written, in words; None
    when it can, or when it cannot be examined (listing reports that). Write permission
    turned off for everyone counts even for a user who could override it (root)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return f"the write permission of {what} is turned off"
    if not os.access(path, os.W_OK):
        return f"you have no permission to write to {what}"
    if hasattr(os, "statvfs"):
        try:
            if os.statvfs(path).f_flag & os.ST_RDONLY:
                return f"{what} is on a disk mounted read-only"
        except OSError:
            return None
    return None
