"""What a session needs of each side: the :class:`Replica` protocol.

Two implementations exist, as in the Sync Framework: :class:`~syncgui.engine.simple.SimpleReplica`
keeps all metadata for a simple provider in a metadata store, and the in-memory reference
:class:`~syncgui.engine.memory.MemoryReplica` is a custom provider that keeps its own."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from syncgui.engine.clock import ClockVector
from syncgui.engine.errors import ItemProblem
from syncgui.engine.ids import Version
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.items import Action, ItemMeta, StoredConflict
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.matching import Candidate
from syncgui.engine.provider import Capabilities


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """A version of an item that a sync overwrote or deleted, kept for restore."""

    store: str
    store_name: str
    partnership: str
    gid: bytes
    uid: str
    label: str
    data: bytes
    reason: str  # "overwritten" or "deleted"
    at: float


class WriteKind(StrEnum):
    """What a write did to an item in a store."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """One item a destination wrote, once it is durable: what the store did to it and the
    version the item holds there afterwards (a delete: the tombstone's). With the
    :class:`HistoryRecord` of what it replaced, it is what undoing the write needs; the
    version tells whether the item changed again since."""

    store: str
    store_name: str
    partnership: str
    gid: bytes
    uid: str
    label: str
    kind: WriteKind
    version: Version
    at: float


def writes_of(
    store: str, store_name: str, partnership: str, actions: Sequence[Action], out: BatchOutcome
) -> list[WriteRecord]:
    """What a batch of ``actions`` wrote in ``store``, as ``out`` says, for the history."""
    now = time.time()
    return [
        WriteRecord(
            store,
            store_name,
            partnership,
            a.meta.gid,
            a.meta.uid,
            a.meta.label,
            out.wrote[a.meta.gid],
            out.versions.get(a.meta.gid, a.meta.version),  # a Forget keeps none
            now,
        )
        for a in actions
        if a.meta.gid in out.wrote
    ]


class HistorySink(Protocol):
    """Where overwritten and deleted versions go before the sync replaces them
    (:meth:`keep`), and what each write did once it is durable (:meth:`wrote`)."""

    def keep(self, records: Sequence[HistoryRecord]) -> None: ...

    def wrote(self, records: Sequence[WriteRecord]) -> None: ...


@dataclass(slots=True)
class DetectReport:
    """What change detection found: how many local changes, and which items it could not
    read (those keep their last known state)."""

    changes: int = 0
    problems: list[ItemProblem] = field(default_factory=list)
    # Items that changed here in a way that cannot be read (a damaged card), by global id,
    # with the name the store gives them. A change we do not understand is still a change:
    # nothing from elsewhere may overwrite or delete them until they can be read again.
    damaged: dict[bytes, str] = field(default_factory=dict)


@dataclass(slots=True)
class BatchOutcome:
    """What applying one batch did at the destination."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: set[bytes] = field(default_factory=set)
    problems: list[ItemProblem] = field(default_factory=list)
    # versions both sides now hold (or descend from), for later merges: gid -> (version,
    # content)
    agreed: dict[bytes, tuple[Version, bytes]] = field(default_factory=dict)
    versions: dict[bytes, Version] = field(default_factory=dict)
    # the items the store itself wrote (a version recorded over the same data is not one)
    wrote: dict[bytes, WriteKind] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Remap:
    """Local item ``gid`` is the other store's item ``theirs``. With ``same`` (the same
    content on both sides) it takes ``theirs``' version, so nothing passes between the two
    (a replica holding the very version it is sent has nothing to do: see
    :func:`~syncgui.engine.applier.decide`); otherwise a fresh one, so the two meet as a
    conflict with no common base."""

    gid: bytes
    theirs: ItemMeta
    same: bool = False


class Replica(Protocol):
    """One store as the engine sees it."""

    @property
    def replica_id(self) -> bytes: ...

    @property
    def name(self) -> str: ...

    @property
    def identity(self) -> str: ...

    @property
    def format(self) -> ItemFormat: ...

    @property
    def capabilities(self) -> Capabilities: ...

    def detect(self) -> DetectReport:
        """Find local changes made by other programs (full enumeration)."""
        ...

    def detect_ahead(self) -> None:
        """Start what the next :meth:`detect` needs where that can be done meanwhile (a
        folder's listing); nothing for most stores."""
        ...

    def scratch(self) -> AbstractContextManager[None]:
        """A dry run: inside, the replica works as always, but nothing reaches its store
        and every change to its metadata (here or kept in the store) is undone at the end."""
        ...

    def knowledge(self) -> Knowledge: ...

    def forgotten(self) -> Knowledge: ...

    def changes_for(self, dest: Knowledge, skip: Iterable[bytes] = ()) -> list[ItemMeta]:
        """Items whose versions ``dest`` does not contain, ascending by global id."""
        ...

    def all_items(self) -> list[ItemMeta]:
        """Every item and tombstone, ascending by global id (recovery sync)."""
        ...

    def lookup(self, gids: Iterable[bytes]) -> dict[bytes, ItemMeta]: ...

    def load(self, gid: bytes) -> bytes:
        """The item's bytes; raises a per-item SyncError when it cannot be read."""
        ...

    def count_live(self, at_most: int | None = None) -> int:
        """How many live items there are; with ``at_most``, counted no further than that
        (``at_most=1`` asks whether there is any)."""
        ...

    def candidates(self, gids: Iterable[bytes]) -> tuple[list[Candidate], list[ItemProblem]]:
        """The live items ``gids`` with their match keys (see :mod:`.matching`), and the
        problems of those that could not be read (left out)."""
        ...

    def remap(self, pairs: Sequence[Remap], *, tell: bool) -> None:
        """Make each local item the other store's item it was matched with: durably, in one
        transaction; the store keeps its own UID for it. ``tell``: leave a tombstone of
        the old identity for other peers that may hold it."""
        ...

    def peers(self) -> frozenset[bytes]:
        """The replicas this one has exchanged items with (see :meth:`add_peer`)."""
        ...

    def add_peer(self, replica_id: bytes) -> None:
        """Remember, durably, that items may pass between this replica and ``replica_id``
        (before any does): only a replica with no other peer may give up an identity
        without telling anyone (:mod:`syncgui.engine.meeting`)."""
        ...

    def apply(
        self,
        actions: Sequence[Action],
        learned: Knowledge,
        *,
        partnership: str,
        history: HistorySink | None,
        forgotten: Knowledge | None = None,
    ) -> BatchOutcome:
        """Apply a batch durably, then learn ``learned`` minus the items that failed or
        were deferred (and take on ``forgotten``), in one transaction with the item
        metadata."""
        ...

    def apply_ahead(self, actions: Sequence[Action]) -> bool:
        """The batch ``actions`` comes next: start what of it can be done while another
        batch is applied (a folder's new files, written by a child process); its
        :meth:`apply` takes that in. Whether anything was started (most stores: no)."""
        ...

    def end_ahead(self, finished: bool) -> None:
        """The pass is over: stop what :meth:`apply_ahead` started, at once when it did not
        finish (what was started for a batch never applied is not recorded: the next sync
        finds it, as after a crash)."""
        ...

    def conflicts(self, partnership: str | None = None) -> list[StoredConflict]: ...

    def conflict_gids(self, partnership: str) -> set[bytes]: ...

    def cleanup_tombstones(self, older_than: float) -> int:
        """Drop tombstones older than ``older_than`` (a time); returns how many."""
        ...

    def close(self) -> None: ...


def forget_tombstones(forgotten: Knowledge, tombstones: Iterable[ItemMeta]) -> Knowledge:
    """Forgotten knowledge after dropping ``tombstones``: every version up to the highest
    dropped one of each replica may now be forgotten (an over-estimate, as in the Sync
    Framework's ForgetToVersion). A peer whose knowledge does not contain it may have
    missed a delete, and is brought up to date by full enumeration."""
    ticks: dict[bytes, int] = {}
    for m in tombstones:
        ticks[m.version.replica] = max(ticks.get(m.version.replica, 0), m.version.tick)
    return forgotten.union(Knowledge.from_scope(ClockVector(ticks))) if ticks else forgotten
