"""New items of the next batch written by a child process while this process records the
batch before.

A pass of many new items (a first sync into an empty folder) spends its time on two kinds
of work per item: making the item in the store (its UID put in with
:meth:`~syncgui.engine.itemformat.ItemFormat.with_uid`, a digest, the store's create: for
a folder, a new file) and recording it (item metadata, merge base, history: SQLite). When
the destination allows it (:class:`~syncgui.engine.provider.CreatesInChild`) and this
process may fork (:func:`~syncgui.engine.forked.can_fork`), the pass hands each batch's new
items to one child process (:class:`~syncgui.engine.forked.ForkedServer`) as soon as the
batch is decided, then applies the batch before it; that batch's apply takes in what the
child did for it. The child lives until the pass ends. With 10,000 new cards on two
processors, a first sync took 1.58 instead of 1.28 s.

Nothing about a handed item is guessed: an item the child reports written is recorded as
written (in the batch's transaction, after the store's commit, as always); one the store
refused is reported in the store's words. When the child stops (killed, out of memory) the
items it did not report are not written in this sync, and the pass says so. One of them
may have been written all the same (the child may have stopped just after a create): the
next sync finds that file as a card new to the store, with the item's UID, and matches it
to the item instead of copying it again. A batch's files may so be written before the
batch before it is recorded; a crash between the two leaves the same kind of files, found
the same way.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Mapping, Sequence

from syncgui.engine.errors import ItemProblem, StoreUnavailable, SyncError
from syncgui.engine.forked import ChildGone, ForkedServer, can_fork, parent_gone
from syncgui.engine.ids import content_hash
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.items import Action, Put
from syncgui.engine.metadata import ItemRow
from syncgui.engine.provider import CreatesInChild, SimpleStore, Written
from syncgui.engine.replica import BatchOutcome, WriteKind

log = logging.getLogger(__name__)

MIN_CREATES = 200  # new items in a batch before a child is made (a fork costs ≈ 1-3 ms)

# What the child sends back per item, by global id: ("ok", key, stamp, digest), ("refused",
# message), ("gone", message): the store went away and the child stopped there. An item
# not in the answer was not written.
_Report = tuple[str, ...]
# What it is sent: (gid, uid, data) per new item
_Job = list[tuple[bytes, str, bytes]]


def creates_in_child(store: SimpleStore) -> CreatesInChild | None:
    """``store`` as a store whose new items a child may write, when it is one and says so."""
    if isinstance(store, CreatesInChild) and store.creates_in_child():
        return store
    return None


class CreatesAhead:
    """The child that writes the new items of the batches handed to it, in order (see the
    module). Made by :meth:`start`; :meth:`stop` when the pass ends."""

    def __init__(self, store: CreatesInChild, name: str, server: ForkedServer) -> None:
        self._store = store
        self._name = name
        self._server: ForkedServer | None = server
        self._jobs: deque[dict[bytes, Put]] = deque()  # handed, not taken in yet
        self._sending = True  # False once the child has ended (found while handing)
        self._waited = 0.0  # for the log: time spent waiting for the child's answers
        self._taken = 0  # items taken in from it

    @classmethod
    def start(cls, store: SimpleStore, fmt: ItemFormat) -> CreatesAhead | None:
        """A child writing new items into ``store``, or None when the store or this process
        does not allow one, or none can be made."""
        target = creates_in_child(store)
        if target is None or not can_fork():
            return None
        parent = os.getpid()
        try:
            server = ForkedServer(lambda job: _create_all(store, fmt, job, parent))
        except OSError as err:
            log.debug("%s: new items written in place: %s", store.name, err)
            return None
        return cls(target, store.name, server)

    def hand(self, actions: Sequence[Action], rows: Mapping[bytes, ItemRow]) -> bool:
        """Give the child the new items among ``actions`` (those with no live row in
        ``rows``); whether it took any (not when the child has ended: they are written in
        place then)."""
        new = {a.meta.gid: a for a in actions if isinstance(a, Put) and is_new(a, rows)}
        if not new or self._server is None or not self._sending:
            return False
        job: _Job = [(gid, a.meta.uid, a.data) for gid, a in new.items()]
        try:
            self._server.send(job)
        except ChildGone:  # it never had this job whole: it wrote none of it
            log.warning("%s: the process writing new items has ended", self._name)
            self._sending = False
            return False
        self._jobs.append(new)
        return True

    def takes(self, action: Action) -> bool:
        """Whether ``action`` was handed to the child (this process does not write it)."""
        return bool(self._jobs) and self._jobs[0].get(action.meta.gid) is action

    def collect(
        self,
        actions: Sequence[Action],
        written: dict[bytes, tuple[Written | None, str | None]],
        out: BatchOutcome,
    ) -> None:
        """Take in what the child did for the batch ``actions`` (handed last but one, or
        last), as the batch's own writes are taken in: ``written`` and ``out``.
        StoreUnavailable when the store went away there."""
        if not self._jobs or not any(self.takes(a) for a in actions):
            return
        handed = self._jobs.popleft()
        reports: dict[bytes, _Report] = {}
        waiting = time.perf_counter()
        try:
            if self._server is not None:
                reports = self._server.receive()
        except ChildGone:
            log.warning("%s: the process writing new items has ended", self._name)
            self._sending = False
        self._waited += time.perf_counter() - waiting
        self._taken += len(reports)
        self._store.made_in_child()  # whatever it did, the commit makes durable
        gone: str | None = None
        missing = []
        for gid, action in handed.items():
            report = reports.get(gid)
            if report is None:
                missing.append(action.meta.label)
                out.failed.add(gid)
            elif report[0] == "ok":
                if action.shared is not None:
                    out.agreed[gid] = action.shared
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
            out.problems.append(
                ItemProblem(
                    missing[0],
                    f"{', '.join(missing[:3])}{more} could not be written in this sync (the "
                    "process writing them stopped); the next sync writes them",
                )
            )

    def stop(self) -> None:
        """Let the child finish what it was given, and wait for it."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            log.debug(
                "%s: a child process wrote %d new items; waited for it %.0f ms",
                self._name,
                self._taken,
                self._waited * 1000,
            )

    def discard(self) -> None:
        """Stop the child at once (the pass ended early: what it was given is not recorded,
        and the next sync finds whatever it wrote, as after a crash)."""
        server, self._server = self._server, None
        self._jobs.clear()
        if server is not None:
            server.discard()


def is_new(action: Put, rows: Mapping[bytes, ItemRow]) -> bool:
    """Whether ``action`` creates its item (no live row), as SimpleReplica._write decides."""
    row = rows.get(action.meta.gid)
    return row is None or not row.live


def _create_all(
    store: SimpleStore, fmt: ItemFormat, job: _Job, parent: int
) -> dict[bytes, _Report]:  # pragma: no cover  (runs in the child, where coverage is not kept)
    """The child's work: each new item written as SimpleReplica._write writes it."""
    done: dict[bytes, _Report] = {}
    for gid, uid, given in job:
        if parent_gone(parent):
            break  # nobody would record what is written now
        try:
            data = fmt.with_uid(given, uid)
            digest = content_hash(data)
            written = store.create(uid, data)
        except StoreUnavailable as err:
            done[gid] = ("gone", err.message)
            break
        except SyncError as err:
            done[gid] = ("refused", err.message)
        except Exception as err:  # a bug: this item's problem, as in place it is the sync's
            done[gid] = ("refused", f"{uid} could not be written ({type(err).__name__})")
        else:
            done[gid] = ("ok", written.key, written.stamp, digest)
    return done
