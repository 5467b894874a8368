"""A large batch of new items written partly by a child process.

A first sync into an empty store writes every item: the store's UID put in
(:meth:`~syncgui.engine.itemformat.ItemFormat.with_uid`), a digest, and the store's create
(for a folder, a new file: five system calls). When the destination allows it
(:class:`~syncgui.engine.provider.CreatesInChild`) and this process may fork
(:func:`~syncgui.engine.forked.can_fork`), the last part of a batch's new items is written
by a child process while this process writes the rest; the batch is then recorded as
always, in one transaction, after both.

The child reports each item as it goes, and nothing about it is guessed: an item it
reports written is recorded as written, one the store refused is reported in the store's
words. When the child stops midway (killed, out of memory), the items it did not report are
taken as not written this time. One of them may have been written all the same (the child
may have stopped just after a create): the next sync finds that file as a card new to the
store, with the UID of the item, and matches it to the item instead of copying it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import BinaryIO

from syncgui.engine.errors import ItemProblem, StoreUnavailable, SyncError
from syncgui.engine.forked import ForkedWork, can_fork
from syncgui.engine.ids import content_hash
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.items import Action, Put
from syncgui.engine.metadata import ItemRow
from syncgui.engine.provider import CreatesInChild, SimpleStore, Written
from syncgui.engine.replica import BatchOutcome, WriteKind

log = logging.getLogger(__name__)

MIN_CREATES = 100  # fewer new items in a batch are written in place (a fork costs ≈ 1 ms)
CHILD_SHARE = 0.45  # the share of the new items the child writes (the last ones)
_FRAME = 50  # items the child reports at once

# what the child reports of an item: ("ok", key, stamp, digest), ("refused", message),
# ("gone", message): the store went away, and the child stopped there
_Report = tuple[str, ...]


class CreatesAhead:
    """The new items of a batch a child process writes (see the module)."""

    def __init__(
        self, store: CreatesInChild | None, work: ForkedWork | None, theirs: dict[bytes, Put]
    ) -> None:
        self._store = store
        self._work = work
        self._theirs = theirs if work is not None else {}

    @classmethod
    @contextmanager
    def start(
        cls,
        store: SimpleStore,
        fmt: ItemFormat,
        actions: Sequence[Action],
        rows: Mapping[bytes, ItemRow],
        failed: set[bytes],
    ) -> Iterator[CreatesAhead]:
        """The child for the new items of ``actions`` (those with no live row here), when
        there are enough of them and the store and this process allow one; stopped on
        leaving if still running."""
        if not isinstance(store, CreatesInChild):
            yield cls(None, None, {})
            return
        work = None
        new = [a for a in actions if isinstance(a, Put) and _is_new(a, rows, failed)]
        part = new[len(new) - int(len(new) * CHILD_SHARE) :]
        if len(new) >= MIN_CREATES and store.creates_in_child() and can_fork():
            try:
                work = ForkedWork(lambda out: _create_part(store, fmt, part, out))
            except OSError as err:
                log.debug("%s: writing in place: %s", store.name, err)
        ahead = cls(store, work, {a.meta.gid: a for a in part})
        try:
            yield ahead
        finally:
            ahead.close()

    def takes(self, gid: bytes) -> bool:
        """Whether the child writes item ``gid`` (this process then does not)."""
        return gid in self._theirs

    def collect(
        self, written: dict[bytes, tuple[Written | None, str | None]], out: BatchOutcome
    ) -> None:
        """Wait for the child and take in what it did, as the batch's own writes are taken
        in (``written``, ``out``); StoreUnavailable when the store went away there."""
        work, self._work = self._work, None
        if work is None or self._store is None:
            return
        reports = _reports(work.finish())
        self._store.made_in_child()
        gone: str | None = None
        missing = []
        for gid, action in self._theirs.items():
            if action.shared is not None:
                out.agreed[gid] = action.shared
            report = reports.get(gid)
            if report is None:
                missing.append(action.meta.label)
                out.failed.add(gid)
            elif report[0] == "ok":
                written[gid] = (Written(report[1], report[2]), report[3])
                out.created += 1
                out.wrote[gid] = WriteKind.CREATED
            else:
                out.failed.add(gid)
                if report[0] == "gone":
                    gone = report[1]
                else:
                    out.problems.append(ItemProblem(action.meta.label, report[1]))
        if gone is not None:
            raise StoreUnavailable(gone)
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            shown = ", ".join(missing[:3]) + more
            out.problems.append(
                ItemProblem(
                    missing[0],
                    f"{shown} could not be written in this sync (the process writing them "
                    "stopped); the next sync writes them",
                )
            )

    def close(self) -> None:
        if self._work is not None:
            self._work.discard()
            self._work = None


def _is_new(action: Put, rows: Mapping[bytes, ItemRow], failed: set[bytes]) -> bool:
    """Whether ``action`` creates its item here (no live row: as SimpleReplica._write)."""
    row = rows.get(action.meta.gid)
    live = row is not None and not row.meta.deleted and row.key is not None
    return not live and action.meta.gid not in failed


def _reports(finished: tuple[BinaryIO, bool] | None) -> dict[bytes, _Report]:
    """Every item the child reported, up to where it stopped."""
    import pickle  # (3 ms to load: only when a child was made)

    reports: dict[bytes, _Report] = {}
    if finished is None:
        return reports
    stream, ended_well = finished
    with stream:
        while True:
            try:
                reports.update(pickle.load(stream))
            except EOFError:
                break
            except Exception as err:  # cut off where the child stopped
                log.debug("the child's last report is cut off: %s", err)
                break
    if not ended_well:
        log.warning("the process writing new items stopped after %d of them", len(reports))
    return reports


def _create_part(
    store: SimpleStore, fmt: ItemFormat, part: Sequence[Put], out: BinaryIO
) -> None:  # pragma: no cover  (runs in the child, where coverage is not kept)
    """The child's work: each new item written as SimpleReplica._write writes it."""
    import pickle

    done: dict[bytes, _Report] = {}
    for action in part:
        gid, uid = action.meta.gid, action.meta.uid
        try:
            data = fmt.with_uid(action.data, uid)
            digest = content_hash(data)
            written = store.create(uid, data)
        except StoreUnavailable as err:
            done[gid] = ("gone", err.message)
            break
        except SyncError as err:
            done[gid] = ("refused", err.message)
        else:
            done[gid] = ("ok", written.key, written.stamp, digest)
        if len(done) >= _FRAME:
            pickle.dump(done, out, pickle.HIGHEST_PROTOCOL)
            out.flush()  # reported as it goes: if this process is stopped, it was this far
            done = {}
    pickle.dump(done, out, pickle.HIGHEST_PROTOCOL)
