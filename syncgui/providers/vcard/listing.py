"""Listing a folder of ``.vcf`` files: every card file with its stamp, no file opened.

This is the whole cost of a no-op sync (10,000 files: 4 ms to list the names, 20 ms to stat
them), so it is made in two steps. :func:`scan_folder` goes through the folder once and
keeps the common entry, a plain regular file with an ASCII name, as its key and stamp in
the form the engine compares whole (:class:`~syncgui.engine.provider.StampedEntries`); it
only names everything else. :func:`finish_listing` then looks at those few names carefully
(a name that is not UTF-8, an empty file, a file that cannot be examined, a leftover
temporary file of ours) and makes the :class:`~syncgui.engine.provider.Listing`.

The scan can also run ahead in a child process (:class:`ListingAhead`), while this process
examines the other side of the partnership: on a computer with two processors that takes
the second folder's listing off a no-op sync's time (10,000 cards: 54 → 34 ms for both).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from syncgui.engine.errors import ItemProblem, StoreUnavailable
from syncgui.engine.forked import ForkedWork
from syncgui.engine.provider import Listing, StampedEntries
from syncgui.providers.vcard.fileops import (
    O_DIRECTORY,
    TEMP_PREFIX,
    missing_folder,
    os_message,
    remove_stale_temp,
    stamp_mtime,
    stat_stamp,
)

log = logging.getLogger(__name__)

# Listing a folder through its descriptor (see _scan): POSIX systems, not Windows.
_SCAN_BY_FD = os.scandir in os.supports_fd
# A listing made ahead is used only this soon after it was made (see ListingAhead.collect).
AHEAD_FRESH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class FolderScan:
    """One pass over a folder: ``cards``, the card files' names and stamps in the folder's
    order as :class:`~syncgui.engine.provider.StampedEntries` keeps them (encoded); and
    ``others``, the names to look at one by one."""

    cards: bytes
    others: list[str]


@contextmanager
def _scan(path: str) -> Iterator[Iterator[os.DirEntry[str]]]:
    """The entries of the folder ``path``, read as they are used (listing 10,000 files
    first and examining them after costs 5 ms more); StoreUnavailable when it cannot be
    listed, also midway.

    Where the system allows, the folder is opened once and listed through that descriptor,
    so that each entry's ``stat`` looks up its bare name in it instead of walking the whole
    path again: 10,000 stats took 25 ms that way against 28 ms by path. Entries listed so
    carry no folder in ``path``; join their ``name`` to the folder's path instead."""
    try:
        if _SCAN_BY_FD:
            fd = os.open(path, os.O_RDONLY | O_DIRECTORY)
            try:
                with os.scandir(fd) as found:  # it reads a duplicate of fd
                    yield found
            finally:
                os.close(fd)
        else:
            with os.scandir(path) as found:
                yield found
    except FileNotFoundError:
        raise missing_folder(path) from None
    except NotADirectoryError:
        raise StoreUnavailable(f"{path} is not a folder.") from None
    except OSError as err:
        raise StoreUnavailable(f"The folder {path} cannot be read: {os_message(err)}.") from err


def scan_folder(path: str) -> FolderScan:
    """Go through the folder ``path`` once (see the module's text); StoreUnavailable when it
    cannot be listed. Files that are not ``.vcf`` and dot-files that are not our temporary
    files are passed over."""
    pairs: list[str] = []
    others: list[str] = []
    keep, other = pairs.append, others.append
    is_regular = stat.S_ISREG
    with _scan(path) as scan:
        for entry in scan:
            name = entry.name
            if name[:1] == ".":
                if name.startswith(TEMP_PREFIX):
                    other(name)
                continue
            if name[-4:] != ".vcf" and name[-4:].lower() != ".vcf":
                continue
            if name.isascii():
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    pass  # the careful way says why
                else:
                    if is_regular(st.st_mode) and st.st_size:  # (stat_stamp, inlined)
                        keep(f"{name}\0{st.st_size}:{st.st_mtime_ns}:{st.st_ino}")
                        continue
            other(name)
    return FolderScan("\0".join(pairs).encode("ascii"), others)


_UNUSABLE = ""


def _card_entry(folder: str, name: str, problems: list[ItemProblem]) -> str | None:
    """The stamp of the ``.vcf`` file ``name`` of ``folder``; None when it is not a card file
    after all or has just gone; ``_UNUSABLE`` when it cannot be used (a problem is added,
    naming it)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", errors="surrogateescape").decode("utf-8", "replace")
        problems.append(ItemProblem(shown, f"{shown}: the file name is not valid UTF-8"))
        return None
    try:
        st = os.lstat(os.path.join(folder, name))
    except FileNotFoundError:
        if not os.path.isdir(folder):  # the folder went since the scan: no card is gone
            raise missing_folder(folder) from None
        return None
    except OSError as err:
        problems.append(ItemProblem(name, f"{name}: cannot be examined: {os_message(err)}"))
        return _UNUSABLE
    if not stat.S_ISREG(st.st_mode):
        return None
    if st.st_size == 0:
        problems.append(ItemProblem(name, f"{name}: the file is empty"))
        return _UNUSABLE
    return stat_stamp(st)


def finish_listing(folder: str, scan: FolderScan) -> Listing:
    """The listing of ``folder`` from its ``scan``: the names it left are looked at here
    (their cards follow the others), and our temporary files older than a minute go.
    StoreUnavailable when the folder is no longer there: a listing without the cards looked
    at here would take them as deleted."""
    pairs: list[str] = []
    problems: list[ItemProblem] = []
    unreadable: set[str] = set()
    now = time.time()
    for name in scan.others:
        if name[:1] == ".":
            remove_stale_temp(folder, name, now)
            continue
        stamp = _card_entry(folder, name, problems)
        if stamp == _UNUSABLE:
            unreadable.add(name)
        elif stamp is not None:
            pairs.append(f"{name}\0{stamp}")
    cards = scan.cards
    if pairs:  # (rare) names with more than ASCII
        more = "\0".join(pairs).encode("utf-8", "surrogatepass")
        cards = cards + b"\0" + more if cards else more
    entries = StampedEntries(cards, stamp_mtime)
    log.debug("%s: %d cards listed, %d problems", folder, len(entries), len(problems))
    return Listing(entries, None, tuple(problems), frozenset(unreadable))


# -- a listing made ahead, in a child process -------------------------------------------------


def _pack(scan: FolderScan) -> bytes:
    others = b"\0".join(os.fsencode(name) for name in scan.others)
    return b"%d %d\n" % (len(scan.cards), len(others)) + scan.cards + others


def _unpack(data: bytes) -> FolderScan | None:
    head, _, body = data.partition(b"\n")
    try:
        sizes = [int(n) for n in head.split(b" ")]
    except ValueError:
        return None
    if len(sizes) != 2 or sum(sizes) != len(body):
        return None
    others = body[sizes[0] :]
    return FolderScan(
        body[: sizes[0]], [os.fsdecode(name) for name in others.split(b"\0")] if others else []
    )


class ListingAhead:
    """:func:`scan_folder` of ``path`` running in a child process, started now (see
    :class:`~syncgui.engine.forked.ForkedWork`: the child only lists the folder). When it
    fails (the folder is gone, the child was killed), :meth:`collect` answers None and the
    caller lists the folder itself, which says what is wrong in the usual words."""

    def __init__(self, path: str) -> None:
        def scan(out: BinaryIO) -> None:
            out.write(_pack(scan_folder(path)))

        self._work: ForkedWork | None = ForkedWork(scan)

    def collect(self) -> FolderScan | None:
        """What the child found; None when it failed, or when its listing is more than
        :data:`AHEAD_FRESH_SECONDS` old: a listing taken long before it is used would widen
        the window in which another program's change goes unseen until the next sync (one
        more listing costs little beside whatever took that long)."""
        work, self._work = self._work, None
        if work is None:  # collected or discarded already
            return None
        found = work.result()
        if found is None:
            return None
        with found:
            data = found.read()
        if time.monotonic() - work.started > AHEAD_FRESH_SECONDS:
            return None
        return _unpack(data)

    def discard(self) -> None:
        """Stop the child if it still runs, and forget it."""
        work, self._work = self._work, None
        if work is not None:
            work.discard()
