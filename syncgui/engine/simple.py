"""A replica over a simple provider: the engine keeps every piece of metadata for it.

Change detection (full enumeration) is :mod:`syncgui.engine.detection`'s; this module makes
the store a source (changes above a knowledge, loads) and a destination (saves the change
applier's actions: history first, a journal for stores that need one, writes, then the
metadata and the learned knowledge in one transaction).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from syncgui.engine.creates_ahead import MIN_CREATES, CreatesAhead, is_new
from syncgui.engine.detection import ChangeDetector, ReadCache
from syncgui.engine.errors import BadItem, ItemProblem, StoreUnavailable, SyncError
from syncgui.engine.hosted import HostedMetadata, HostsMetadata, MetadataHost
from syncgui.engine.ids import Version, content_hash
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.items import (
    Action,
    Adopt,
    Deferred,
    Forget,
    ItemMeta,
    Put,
    Remove,
    StoredConflict,
)
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.matching import Candidate
from syncgui.engine.metadata import ItemRow, MetadataStore
from syncgui.engine.provider import (
    BatchJournal,
    Capabilities,
    Intent,
    ListsAhead,
    SimpleStore,
    Written,
    release,
)
from syncgui.engine.replica import (
    BatchOutcome,
    DetectReport,
    HistoryRecord,
    HistorySink,
    Remap,
    WriteKind,
    forget_tombstones,
    writes_of,
)
from syncgui.engine.scratch import ScratchStore

log = logging.getLogger(__name__)

_PEERS = "meeting.peers"  # the replica ids this one has exchanged items with


class SimpleReplica:
    """:class:`~syncgui.engine.replica.Replica` for a :class:`SimpleStore`."""

    def __init__(self, store: SimpleStore, meta: MetadataStore) -> None:
        self.store = store
        self.meta = meta
        self._keys: dict[bytes, str] | None = None  # live gid -> key, for loads
        self._loads = 0
        self._cache = ReadCache()
        self._detector = ChangeDetector(store, meta, self._cache)
        self._hosted: HostedMetadata | None = None
        self._ahead: CreatesAhead | None = None  # a child writing new items (a pass's)
        self._ahead_refused = False  # one could not be made in this pass

    @property
    def replica_id(self) -> bytes:
        return self.meta.replica_id

    @property
    def name(self) -> str:
        return self.store.name

    @property
    def identity(self) -> str:
        return self.store.identity

    @property
    def format(self) -> ItemFormat:
        return self.store.format

    @property
    def capabilities(self) -> Capabilities:
        return self.store.capabilities

    def knowledge(self) -> Knowledge:
        return self.meta.knowledge

    def forgotten(self) -> Knowledge:
        return self.meta.forgotten

    def close(self) -> None:
        try:
            if self._ahead is not None:
                self._ahead.discard()
                self._ahead = None
            if self._hosted is not None:
                self._hosted.publish()
        finally:
            self.meta.close()
            release(self.store)  # e.g. a phone: let the device go

    @contextmanager
    def scratch(self) -> Iterator[None]:
        """A dry run: nothing done inside reaches the store (see
        :mod:`syncgui.engine.scratch`) or stays in the metadata, on this computer or on the
        device (a phone's state is adopted into the working copy, never saved)."""
        store, hosted = self.store, self._hosted
        self.store = ScratchStore(store)
        self._detector.store = self.store
        try:
            with self.meta.scratch():
                yield
        finally:
            self.store = self._detector.store = store
            self._hosted = hosted
            self._keys = None
            self._cache.clear()

    # -- change detection -----------------------------------------------------------------

    def detect(self) -> DetectReport:
        store = self.store.inner if isinstance(self.store, ScratchStore) else self.store
        host = _metadata_host(store) if self._hosted is None else None
        if host is not None and self._hosted is None:
            hosted = HostedMetadata(self.meta, host)
            # a phone keeps its own replica id and knowledge (a dry run only reads them)
            hosted.adopt(save=not isinstance(self.store, ScratchStore))
            self._hosted = hosted
        self._keys = None  # keys may change
        return self._detector.detect()

    def detect_ahead(self) -> None:
        store = self.store.inner if isinstance(self.store, ScratchStore) else self.store
        if isinstance(store, ListsAhead):
            store.list_ahead(self.meta.token)

    # -- as a source ----------------------------------------------------------------------

    def changes_for(self, dest: Knowledge, skip: Iterable[bytes] = ()) -> list[ItemMeta]:
        if dest.contains_knowledge(self.meta.knowledge):
            return []
        skipped = set(skip)
        return [
            m
            for m in self.meta.iter_items_above(_floor(dest))
            if not dest.contains(m.gid, m.version) and m.gid not in skipped
        ]

    def all_items(self) -> list[ItemMeta]:
        return list(self.meta.iter_items())

    def lookup(self, gids: Iterable[bytes]) -> dict[bytes, ItemMeta]:
        return {gid: row.meta for gid, row in self.meta.rows(gids).items()}

    def load(self, gid: bytes) -> bytes:
        cached = self._cache.take(gid)
        if cached is not None:
            return cached
        self._loads += 1
        if self._keys is None and self._loads > 64:  # many loads: one query for all keys
            self._keys = self.meta.live_keys()
        if self._keys is None:
            row = self.meta.row(gid)
            key = None if row is None or row.meta.deleted else row.key
        else:
            key = self._keys.get(gid)
        if key is None:
            raise BadItem("the item is no longer in the store", item=gid.hex())
        return self.store.read(key)

    def count_live(self, at_most: int | None = None) -> int:
        return self.meta.count_live(at_most)

    # -- matching when stores meet --------------------------------------------------------

    def candidates(self, gids: Iterable[bytes]) -> tuple[list[Candidate], list[ItemProblem]]:
        """The items ``gids`` with their match keys (see :mod:`syncgui.engine.matching`);
        an item that cannot be read is left out and reported."""
        rows = self.meta.rows(gids)
        found: list[Candidate] = []
        problems: list[ItemProblem] = []
        for gid, row in rows.items():
            if row.meta.deleted or row.key is None:
                continue
            try:
                data = self._cache.peek(gid)
                if data is None:
                    data = self.store.read(row.key)
                    self._cache.keep(gid, data)
                keys = self.format.match_keys(data)
            except StoreUnavailable:
                raise
            except SyncError as err:
                problems.append(ItemProblem(row.key, f"{err.message}; not matched"))
                continue
            found.append(Candidate(gid, row.meta.label, row.key, keys))
        return found, problems

    def remap(self, pairs: Sequence[Remap], *, tell: bool) -> None:
        """Make each local item the other store's item it was matched with (see
        :class:`~syncgui.engine.replica.Remap`), in one transaction. The store's copy keeps
        its own UID. One with other content gets a fresh version, so that the other side
        meets it as a concurrent change (a conflict with no common base, settled by the
        partnership's policy) and a third store that never held it meets it as new. With
        ``tell``, the old identity is left as a tombstone: another peer that holds the item
        under it drops it then, and takes the combined one instead."""
        if not pairs:
            return
        rows = self.meta.rows(p.gid for p in pairs)
        self._keys = None
        with self.meta.transaction():
            new_rows: list[ItemRow] = []
            for pair in pairs:
                gid, theirs = pair.gid, pair.theirs
                row = rows.get(gid)
                if row is None or row.meta.deleted:
                    continue
                m = row.meta
                if pair.same:
                    created, version = theirs.created, theirs.version
                else:
                    created = version = self.meta.next_version()
                meta = ItemMeta(
                    theirs.gid, theirs.uid, m.label, created, version, False, m.changed_at
                )
                new_rows.append(ItemRow(meta, row.key, row.stamp, row.hash, row.store_uid))
                if tell:
                    gone = ItemMeta(
                        gid, m.uid, m.label, m.created, self.meta.next_version(), True, m.changed_at
                    )
                    new_rows.append(ItemRow(gone, None, None, None))
                else:
                    self.meta.drop(gid)
                cached = self._cache.take(gid)
                if cached is not None:
                    self._cache.keep(theirs.gid, cached)
            self.meta.save_many(new_rows)

    def peers(self) -> frozenset[bytes]:
        raw = self.meta.note(_PEERS) or b""
        return frozenset(raw[i : i + 16] for i in range(0, len(raw), 16))

    def add_peer(self, replica_id: bytes) -> None:
        known = self.peers()
        if replica_id not in known:
            with self.meta.transaction():
                self.meta.set_note(_PEERS, b"".join(sorted(known | {replica_id})))

    def conflicts(self, partnership: str | None = None) -> list[StoredConflict]:
        return self.meta.conflicts(partnership)

    def conflict_gids(self, partnership: str) -> set[bytes]:
        return self.meta.conflict_gids(partnership)

    def cleanup_tombstones(self, older_than: float) -> int:
        old = self.meta.tombstones_before(older_than)
        if not old:
            return 0
        with self.meta.transaction():
            for m in old:
                self.meta.drop(m.gid)
            self.meta.forgotten = forget_tombstones(self.meta.forgotten, old)
        return len(old)

    # -- as a destination -----------------------------------------------------------------

    def apply_ahead(self, actions: Sequence[Action]) -> bool:
        """Hand the new items of the batch ``actions`` to a child process that writes them
        while another batch is applied (:mod:`syncgui.engine.creates_ahead`); made at the
        first batch with enough of them, when the store and this process allow it."""
        puts = [a.meta.gid for a in actions if isinstance(a, Put)]
        if self._ahead is None and (self._ahead_refused or len(puts) < MIN_CREATES):
            return False
        rows = self.meta.rows(puts)
        if self._ahead is None:
            new = sum(1 for a in actions if isinstance(a, Put) and is_new(a, rows))
            if new < MIN_CREATES:
                return False
            self._ahead = CreatesAhead.start(self.store, self.format)
            if self._ahead is None:
                self._ahead_refused = True
                return False
        return self._ahead.hand(actions, rows)

    def end_ahead(self, finished: bool) -> None:
        """The pass is over: the child writing new items (if any) ends, at once when the
        pass did not finish."""
        ahead, self._ahead = self._ahead, None
        self._ahead_refused = False
        if ahead is None:
            return
        if finished:
            ahead.stop()
        else:
            ahead.discard()

    def apply(
        self,
        actions: Sequence[Action],
        learned: Knowledge,
        *,
        partnership: str,
        history: HistorySink | None,
        forgotten: Knowledge | None = None,
    ) -> BatchOutcome:
        out = BatchOutcome()
        self._keys = None
        for action in actions:
            self._cache.drop(action.meta.gid)
        rows = self.meta.rows(a.meta.gid for a in actions)
        old = self._keep_history(actions, rows, partnership, history, out)
        try:
            self._announce(actions, rows, out.failed)
        except SyncError as err:
            return self._failed_batch(actions, err, out)
        written: dict[bytes, tuple[Written | None, str | None]] = {}
        ahead = self._ahead
        for action in actions:
            gid = action.meta.gid
            if gid in out.failed or (ahead is not None and ahead.takes(action)):
                continue  # (a child process wrote it: taken in below)
            try:
                written[gid] = self._write(action, rows.get(gid), old.get(gid), out)
            except StoreUnavailable:
                raise  # the store is gone: the session ends; nothing of this batch is recorded
            except SyncError as err:
                out.failed.add(gid)
                out.problems.append(ItemProblem(action.meta.label, err.message))
        if ahead is not None:
            ahead.collect(actions, written, out)
        try:
            token = self.store.commit()
        except SyncError as err:
            return self._failed_batch(actions, err, out)
        with self.meta.transaction():
            pending = self.meta.conflict_gids(partnership)
            new_rows: list[ItemRow] = []
            for action in actions:
                gid = action.meta.gid
                if gid not in written:
                    continue
                if gid in pending and not isinstance(action, Deferred):
                    self.meta.drop_conflicts(gid, partnership)
                new_row = self._record(action, rows.get(gid), written[gid], out)
                if new_row is not None:
                    new_rows.append(new_row)
            self.meta.save_many(new_rows)
            excluded = out.failed | {a.meta.gid for a in actions if isinstance(a, Deferred)}
            self.meta.knowledge = self.meta.knowledge.union(learned.exclude_items(excluded))
            if forgotten is not None and not out.failed:
                self.meta.forgotten = self.meta.forgotten.union(forgotten)
            if token is not None and self.meta.token is not None:
                # a store's new token after our writes, unless change detection dropped
                # the token because something could not be read (it is read again then)
                self.meta.token = token
        if history is not None and out.wrote:
            history.wrote(writes_of(self.identity, self.name, partnership, actions, out))
        return out

    def _keep_history(
        self,
        actions: Sequence[Action],
        rows: dict[bytes, ItemRow],
        partnership: str,
        history: HistorySink | None,
        out: BatchOutcome,
    ) -> dict[bytes, bytes]:
        """Read what will be overwritten or deleted and keep it before anything is written.

        An item that cannot be read here is never overwritten or deleted."""
        old: dict[bytes, bytes] = {}
        records = []
        now = time.time()
        for action in actions:
            row = rows.get(action.meta.gid)
            if not isinstance(action, (Put, Remove, Forget)) or row is None:
                continue
            if row.meta.deleted or row.key is None:
                continue
            try:
                data = self.store.read(row.key)
            except StoreUnavailable:
                raise
            except SyncError as err:
                out.failed.add(row.meta.gid)
                out.problems.append(ItemProblem(row.key, f"{err.message}; left untouched"))
                continue
            old[row.meta.gid] = data
            reason = "overwritten" if isinstance(action, Put) else "deleted"
            if isinstance(action, Put) and data == action.data:
                continue  # nothing would be lost
            records.append(
                HistoryRecord(
                    self.identity,
                    self.name,
                    partnership,
                    row.meta.gid,
                    row.meta.uid,
                    row.meta.label,
                    data,
                    reason,
                    now,
                )
            )
        if records and history is not None:
            history.keep(records)
        return old

    def _failed_batch(
        self, actions: Sequence[Action], err: SyncError, out: BatchOutcome
    ) -> BatchOutcome:
        """Nothing of the batch is recorded: the next sync finds what was really written."""
        for action in actions:
            out.failed.add(action.meta.gid)
        out.problems.append(ItemProblem(err.item or self.name, err.message))
        out.created = out.updated = out.deleted = 0
        out.agreed.clear()
        out.wrote.clear()
        return out

    def _announce(
        self, actions: Sequence[Action], rows: dict[bytes, ItemRow], failed: set[bytes]
    ) -> None:
        """Tell a journaling store (BatchJournal) every write of the batch before the first."""
        journal = _journal(self.store)
        if journal is None:
            return
        intents = []
        for action in actions:
            row = rows.get(action.meta.gid)
            live = row is not None and row.live
            key = row.key if live and row is not None else None
            if action.meta.gid in failed:
                continue
            if isinstance(action, Put):
                intents.append(Intent(key, action.meta.uid))
            elif isinstance(action, (Remove, Forget)) and key is not None:
                intents.append(Intent(key, action.meta.uid, delete=True))
        if intents:
            journal.begin_batch(intents)

    def _write(
        self, action: Action, row: ItemRow | None, old: bytes | None, out: BatchOutcome
    ) -> tuple[Written | None, str | None]:
        live = row is not None and row.live
        if isinstance(action, Put):
            # an item held here keeps the UID this store gave it (it may have been matched
            # to another store's contact); a new one takes the item's
            uid = row.store_uid if live and row is not None else action.meta.uid
            data = self.format.with_uid(action.data, uid)
            digest = content_hash(data)
            if action.shared is not None:
                out.agreed[action.meta.gid] = action.shared
            if live and row is not None and row.key is not None:
                if old is not None and (old in (data, action.data) or digest == row.hash):
                    # nothing would change (a card without a UID does not get one for this)
                    return Written(row.key, row.stamp or ""), content_hash(old)
                written = self.store.update(row.key, data)
                out.updated += 1  # counted once the store took it, never before
                out.wrote[action.meta.gid] = WriteKind.UPDATED
                return written, digest
            written = self.store.create(action.meta.uid, data)
            out.created += 1
            out.wrote[action.meta.gid] = WriteKind.CREATED
            return written, digest
        if isinstance(action, (Remove, Forget)) and live and row is not None and row.key:
            self.store.delete(row.key)
            out.deleted += 1
            out.wrote[action.meta.gid] = WriteKind.DELETED
        return None, None

    def _record(
        self,
        action: Action,
        row: ItemRow | None,
        result: tuple[Written | None, str | None],
        out: BatchOutcome,
    ) -> ItemRow | None:
        """The item row after ``action`` (None: nothing to save)."""
        gid = action.meta.gid
        if isinstance(action, Deferred):
            self.meta.save_conflict(action.conflict)
            return None
        if isinstance(action, Forget):
            self.meta.drop(gid)
            return None
        m = action.meta
        version = self._version(action)
        out.versions[gid] = version
        if isinstance(action, Put):
            written, digest = result
            created = action.created or (
                row.meta.created if row is not None and not row.meta.deleted else version
            )
            meta = ItemMeta(gid, m.uid, m.label, created, version, False, m.changed_at)
            key = written.key if written else None
            own = row.own_uid if row is not None and not row.meta.deleted else None
            return ItemRow(meta, key, written.stamp if written else None, digest, own)
        if isinstance(action, Remove):
            created = row.meta.created if row is not None else m.created
            meta = ItemMeta(gid, m.uid, m.label, created, version, True, m.changed_at)
            return ItemRow(meta, None, None, None)
        if row is None:
            return None
        r = row.meta  # Adopt: a new version, same data
        meta = ItemMeta(gid, r.uid, r.label, r.created, version, r.deleted, m.changed_at)
        return ItemRow(meta, row.key, row.stamp, row.hash, row.own_uid)

    def _version(self, action: Put | Remove | Adopt) -> Version:
        given = action.version
        return given if given is not None else self.meta.next_version()


# -- the optional store roles, declared in Capabilities and checked here alone ---------------


def _journal(store: SimpleStore) -> BatchJournal | None:
    """The store's batch journal, when it declares one."""
    if not store.capabilities.journal:
        return None
    if not isinstance(store, BatchJournal):
        raise TypeError(f"{store!r} declares a journal but has no begin_batch()")
    return store


def _metadata_host(store: SimpleStore) -> MetadataHost | None:
    """Where the store keeps its own replica metadata, when it declares that it does."""
    if not store.capabilities.hosts_metadata:
        return None
    if not isinstance(store, HostsMetadata):
        raise TypeError(f"{store!r} declares hosted metadata but has no metadata_host")
    return store.metadata_host


def _floor(knowledge: Knowledge) -> dict[bytes, int]:
    """Per replica, the lowest tick ``knowledge`` knows anywhere in the id space."""
    vectors = [cv for _start, cv in knowledge.segments()]
    vectors += [cv for _gid, cv in knowledge.item_exceptions()]
    replicas = {r for cv in vectors for r in cv.replicas()}
    floor = {r: min(cv.get(r) for cv in vectors) for r in replicas}
    return {r: t for r, t in floor.items() if t > 0}
