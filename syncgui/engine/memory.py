"""The in-memory reference replica: a *custom* provider that keeps its own metadata.

It is the reference the contract tests compare the other stores with, and the fast replica
of the property tests. Local edits go through :meth:`MemoryReplica.put` and
:meth:`MemoryReplica.remove`, which version them at once (no change detection needed)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from syncgui.engine.errors import BadItem, ItemProblem, ItemRejected
from syncgui.engine.ids import Version, gid_for_uid, new_replica_id, synthesize_uid
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
from syncgui.engine.provider import Capabilities
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


@dataclass(slots=True)
class _Item:
    meta: ItemMeta
    data: bytes | None


class MemoryReplica:
    """A replica held in dictionaries; ``reject`` names uids whose writes fail (tests)."""

    def __init__(self, name: str, fmt: ItemFormat, replica_id: bytes | None = None) -> None:
        self._name = name
        self._format = fmt
        self._id = replica_id or new_replica_id()
        self._tick = 0
        self._knowledge = Knowledge.empty()
        self._forgotten = Knowledge.empty()
        self._items: dict[bytes, _Item] = {}
        self._conflicts: dict[tuple[bytes, str], StoredConflict] = {}
        # a matched item's global id <-> the UID this store keeps for it
        self._own: dict[str, bytes] = {}
        self._own_of: dict[bytes, str] = {}
        self._peers: set[bytes] = set()
        self.reject: set[str] = set()

    # -- identity -------------------------------------------------------------------------

    @property
    def replica_id(self) -> bytes:
        return self._id

    @property
    def name(self) -> str:
        return self._name

    @property
    def identity(self) -> str:
        return f"memory:{self._name}"

    @property
    def format(self) -> ItemFormat:
        return self._format

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    def close(self) -> None:
        """Nothing to release."""

    @contextmanager
    def scratch(self) -> Iterator[None]:
        """A dry run: everything changed inside is put back at the end."""
        saved = (
            self._id,
            self._tick,
            self._knowledge,
            self._forgotten,
            dict(self._items),  # items are replaced, never changed in place
            dict(self._conflicts),
            dict(self._own),
            dict(self._own_of),
            set(self._peers),
        )
        try:
            yield
        finally:
            (
                self._id,
                self._tick,
                self._knowledge,
                self._forgotten,
                self._items,
                self._conflicts,
                self._own,
                self._own_of,
                self._peers,
            ) = saved

    # -- local edits ----------------------------------------------------------------------

    def _next(self) -> Version:
        self._tick += 1
        self._knowledge = self._knowledge.with_local_tick(self._id, self._tick)
        return Version(self._id, self._tick)

    def put(self, data: bytes) -> bytes:
        """Create or edit the item whose UID ``data`` carries; returns its global id."""
        info = self._format.describe(data)
        uid = info.uid or synthesize_uid(self._id + data)
        gid = self._own.get(uid) or gid_for_uid(uid)
        item = self._items.get(gid)
        uid = item.meta.uid if item is not None else uid
        version = self._next()
        created = item.meta.created if item and not item.meta.deleted else version
        meta = ItemMeta(gid, uid, info.label, created, version, False, time.time())
        self._items[gid] = _Item(meta, data)
        return gid

    def remove(self, gid: bytes) -> None:
        m = self._items[gid].meta
        tomb = ItemMeta(m.gid, m.uid, m.label, m.created, self._next(), True, time.time())
        self._items[gid] = _Item(tomb, None)

    def data(self, gid: bytes) -> bytes | None:
        item = self._items.get(gid)
        return None if item is None else item.data

    def live(self) -> dict[bytes, bytes]:
        """Every live item's data by global id."""
        return {g: i.data for g, i in self._items.items() if i.data is not None}

    # -- the Replica protocol -------------------------------------------------------------

    def detect(self) -> DetectReport:
        return DetectReport()

    def detect_ahead(self) -> None:
        pass

    def apply_ahead(self, actions: Sequence[Action]) -> bool:
        return False

    def end_ahead(self, finished: bool) -> None:
        pass

    def knowledge(self) -> Knowledge:
        return self._knowledge

    def forgotten(self) -> Knowledge:
        return self._forgotten

    def changes_for(self, dest: Knowledge, skip: Iterable[bytes] = ()) -> list[ItemMeta]:
        held = set(skip)
        return [
            i.meta
            for g, i in sorted(self._items.items())
            if g not in held and not dest.contains(g, i.meta.version)
        ]

    def all_items(self) -> list[ItemMeta]:
        return [i.meta for _g, i in sorted(self._items.items())]

    def lookup(self, gids: Iterable[bytes]) -> dict[bytes, ItemMeta]:
        return {g: self._items[g].meta for g in gids if g in self._items}

    def load(self, gid: bytes) -> bytes:
        item = self._items.get(gid)
        if item is None or item.data is None:
            raise BadItem("the item is no longer in the store", item=gid.hex())
        return item.data

    def count_live(self, at_most: int | None = None) -> int:
        live = sum(1 for i in self._items.values() if i.data is not None)
        return live if at_most is None else min(live, at_most)

    def candidates(self, gids: Iterable[bytes]) -> tuple[list[Candidate], list[ItemProblem]]:
        found: list[Candidate] = []
        problems: list[ItemProblem] = []
        for gid in gids:
            item = self._items.get(gid)
            if item is None or item.data is None:
                continue
            try:
                keys = self._format.match_keys(item.data)
            except BadItem as err:
                problems.append(ItemProblem(item.meta.label, err.message))
                continue
            found.append(Candidate(gid, item.meta.label, self._own_uid(item.meta), keys))
        return found, problems

    def remap(self, pairs: Sequence[Remap], *, tell: bool) -> None:
        """As :meth:`SimpleReplica.remap`."""
        for pair in pairs:
            gid, theirs = pair.gid, pair.theirs
            item = self._items.pop(gid, None)
            if item is None or item.data is None:
                continue
            m = item.meta
            own = self._own_uid(m)
            if pair.same:
                created, version = theirs.created, theirs.version
            else:
                created = version = self._next()
            meta = ItemMeta(theirs.gid, theirs.uid, m.label, created, version, False, m.changed_at)
            self._items[theirs.gid] = _Item(meta, item.data)
            self._own[own] = theirs.gid
            self._own_of[theirs.gid] = own
            if tell:
                tomb = ItemMeta(gid, m.uid, m.label, m.created, self._next(), True, m.changed_at)
                self._items[gid] = _Item(tomb, None)

    def peers(self) -> frozenset[bytes]:
        return frozenset(self._peers)

    def add_peer(self, replica_id: bytes) -> None:
        self._peers.add(replica_id)

    def _own_uid(self, meta: ItemMeta) -> str:
        """The UID this store keeps for the item (its own, for a matched one)."""
        return self._own_of.get(meta.gid, meta.uid)

    def conflicts(self, partnership: str | None = None) -> list[StoredConflict]:
        return [c for (_g, p), c in self._conflicts.items() if partnership in (None, p)]

    def conflict_gids(self, partnership: str) -> set[bytes]:
        return {g for (g, p) in self._conflicts if p == partnership}

    def cleanup_tombstones(self, older_than: float) -> int:
        old = [
            i.meta
            for i in self._items.values()
            if i.meta.deleted
            and i.meta.changed_at < older_than
            and not any(g == i.meta.gid for g, _p in self._conflicts)
        ]
        for m in old:
            del self._items[m.gid]
        self._forgotten = forget_tombstones(self._forgotten, old)
        return len(old)

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
        for action in actions:
            gid = action.meta.gid
            if isinstance(action, Put) and action.meta.uid in self.reject:
                out.failed.add(gid)
                out.problems.append(ItemProblem(action.meta.label, ItemRejected.title))
                continue
            self._keep(action, partnership, history)
            self._apply_one(action, partnership, out)
        excluded = out.failed | {a.meta.gid for a in actions if isinstance(a, Deferred)}
        self._knowledge = self._knowledge.union(learned.exclude_items(excluded))
        if forgotten is not None and not out.failed:
            self._forgotten = self._forgotten.union(forgotten)
        if history is not None and out.wrote:
            history.wrote(writes_of(self.identity, self._name, partnership, actions, out))
        return out

    def _keep(self, action: Action, partnership: str, history: HistorySink | None) -> None:
        item = self._items.get(action.meta.gid)
        if history is None or item is None or item.data is None:
            return
        if isinstance(action, Put) and self._format.same(item.data, action.data):
            return
        if isinstance(action, (Put, Remove, Forget)):
            m = item.meta
            reason = "overwritten" if isinstance(action, Put) else "deleted"
            history.keep(
                [
                    HistoryRecord(
                        self.identity,
                        self._name,
                        partnership,
                        m.gid,
                        m.uid,
                        m.label,
                        item.data,
                        reason,
                        time.time(),
                    )
                ]
            )

    def _apply_one(self, action: Action, partnership: str, out: BatchOutcome) -> None:
        gid = action.meta.gid
        if isinstance(action, Deferred):
            old = self._conflicts.get((gid, partnership))
            conflict = action.conflict
            if old is not None:  # detected again: keep the id the user may have seen
                conflict = dataclasses.replace(conflict, id=old.id)
            self._conflicts[(gid, partnership)] = conflict
            return
        self._conflicts.pop((gid, partnership), None)
        item = self._items.get(gid)
        live = item is not None and item.data is not None
        if isinstance(action, Forget):
            self._items.pop(gid, None)
            out.deleted += int(live)
            if live:
                out.wrote[gid] = WriteKind.DELETED
            return
        m = action.meta
        version = action.version if action.version is not None else self._next()
        out.versions[gid] = version
        if isinstance(action, Put):
            data = self._format.with_uid(action.data, self._own_uid(m) if live else m.uid)
            created = action.created or (item.meta.created if item and live else version)
            self._items[gid] = _Item(
                ItemMeta(gid, m.uid, m.label, created, version, False, m.changed_at), data
            )
            if action.shared is not None:
                out.agreed[gid] = action.shared
            if not live:
                out.created += 1
                out.wrote[gid] = WriteKind.CREATED
            elif item is not None and item.data != data:
                out.updated += 1
                out.wrote[gid] = WriteKind.UPDATED
        elif isinstance(action, Remove):
            created = item.meta.created if item else m.created
            self._items[gid] = _Item(
                ItemMeta(gid, m.uid, m.label, created, version, True, m.changed_at), None
            )
            out.deleted += int(live)
            if live:
                out.wrote[gid] = WriteKind.DELETED
        elif isinstance(action, Adopt) and item is not None:
            r = item.meta
            self._items[gid] = _Item(
                ItemMeta(gid, r.uid, r.label, r.created, version, r.deleted, m.changed_at),
                item.data,
            )
