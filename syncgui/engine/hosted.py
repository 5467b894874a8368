"""Replica metadata kept in the store itself (a phone keeps its own), with a working copy here.

A phone synced with two computers must stay one replica, so its replica id, tick counter,
knowledge and item table live on the phone, as the Sync Framework keeps a device's knowledge
object on the device. The computer works on a local copy (an ordinary
:class:`~syncgui.engine.metadata.MetadataStore`) and swaps states at the start and end of
a session:

* **adopt**, before change detection: the state saved on the device replaces the local copy,
  unless the local copy descends from it (same generation: this computer saved it last; the
  local copy may then be *ahead* if the last save was cut short, and is kept). A store that
  holds no state while the local copy came from one is a different store (another phone
  under ``mtp:first/...``) or a wiped one: it starts as a new replica, whose items then meet
  the other side's as new (converged or conflicts), never as deletes.
* the store always holds a **reservation** as its tick: a number above every version handed
  out, with room for at least half of :data:`TICK_LEASE` more. Other stores learn the
  device's versions during a session; if the final save never happens, whoever syncs the
  device next (another computer too) starts counting above every tick this session could
  have handed out, so no version is ever issued twice (a reused version would be taken as
  known and an edit silently lost). It is saved at adoption when the room runs low, the
  state came from elsewhere, or the working copy is ahead;
* **publish**, at the end, saves the state again only if the session changed it, so a sync
  that changed nothing writes nothing on the device.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from syncgui.engine.errors import SyncError
from syncgui.engine.ids import new_replica_id
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.metadata import ItemRow, MetadataStore

log = logging.getLogger(__name__)

TICK_LEASE = 1 << 32  # more versions than one session can hand out
_GENERATION = "host-generation"


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """Everything a replica's metadata store holds that must travel with the store."""

    replica_id: bytes
    # No version above this tick was ever handed out (it may be a reservation).
    tick: int
    knowledge: Knowledge
    forgotten: Knowledge
    items: tuple[ItemRow, ...]
    # New random bytes at every save: tells whether a working copy descends from it.
    generation: bytes


class MetadataHost(Protocol):
    """A store that keeps its replica's metadata itself (``SimpleStore.metadata_host``)."""

    def load_state(self) -> ReplicaState | None:
        """The newest complete saved state; None if the store never held one.

        Raises StoreUnavailable when the store cannot be read."""
        ...

    def save_state(self, state: ReplicaState) -> None:
        """Replace the saved state so that an interruption at any instant leaves either
        the old or the new one readable."""
        ...


@runtime_checkable
class HostsMetadata(Protocol):
    """A store that declares ``Capabilities.hosts_metadata``: its metadata host, or None
    when it cannot keep one now (a read-only storage keeps it on the computer instead)."""

    @property
    def metadata_host(self) -> MetadataHost | None: ...


def snapshot(meta: MetadataStore, *, tick: int, generation: bytes) -> ReplicaState:
    return ReplicaState(
        meta.replica_id,
        tick,
        meta.knowledge,
        meta.forgotten,
        tuple(meta.all_rows()),
        generation,
    )


class HostedMetadata:
    """Keeps a working copy and the state held by the store in step (see module doc).

    The store always holds a *reservation* as its tick: a number no version has reached
    yet, with room for at least half a lease more. Saves happen only when needed: once at
    the start when the reservation must move (or the state came from elsewhere), once at
    the end when the session changed anything — a sync that changed nothing writes nothing.
    """

    def __init__(self, meta: MetadataStore, host: MetadataHost) -> None:
        self.meta = meta
        self.host = host
        self.adopted = False
        self._reserved = 0
        self._commits = 0

    def adopt(self, *, save: bool = True) -> None:
        """Before change detection: take the store's state, then make sure a reservation
        covering this session is saved. Without ``save`` (a dry run, whose working copy is
        rolled back) nothing is saved: no version it hands out leaves this computer."""
        saved = self.host.load_state()
        mine = self.meta.note(_GENERATION)
        foreign = saved is None or saved.generation != mine
        if saved is None and mine is not None:
            # This copy was saved on a store that now holds nothing: another phone under the
            # same spec ("first"), or its state was wiped. Never take its items for this
            # store's (they would look deleted): start as a new replica.
            log.warning("%s: holds no sync state; syncing it as a new replica", self.host)
            with self.meta.transaction():
                self.meta.replace_all(new_replica_id(), 0, Knowledge.empty(), Knowledge.empty(), ())
        elif saved is not None and foreign:
            log.info("%s: taking the replica state saved on the store", self.host)
            with self.meta.transaction():
                self.meta.replace_all(
                    saved.replica_id, saved.tick, saved.knowledge, saved.forgotten, saved.items
                )
        # Same generation: this computer saved it last and its working copy is the same or
        # ahead, with the real tick; the reservation on the store still stands.
        self._reserved = saved.tick if saved is not None and not foreign else 0
        must_save = foreign or self._low() or (saved is not None and self._ahead_of(saved))
        if must_save and save:
            self._reserved = self.meta.tick + TICK_LEASE
            self._save()
        self._commits = self.meta.commits  # what the session commits from here is news
        self.adopted = True

    def _ahead_of(self, saved: ReplicaState) -> bool:
        """Whether the working copy holds more than the store (its last save failed)."""
        if saved.knowledge.serialize() != self.meta.knowledge.serialize():
            return True
        return len(saved.items) != self.meta.count_rows()

    def _low(self) -> bool:
        return self._reserved < self.meta.tick + TICK_LEASE // 2

    def publish(self) -> None:
        """After the session: save the state if the session changed it. A failure is
        logged; the next session starts from the working copy (it descends from the
        reservation saved on the store)."""
        if not self.adopted or self.meta.commits == self._commits:
            return
        try:
            if self._low():
                self._reserved = self.meta.tick + TICK_LEASE
            self._save()
        except SyncError as err:
            log.warning("%s: the sync state could not be saved on the store: %s", self.host, err)

    def _save(self) -> None:
        generation = os.urandom(16)
        self.host.save_state(snapshot(self.meta, tick=self._reserved, generation=generation))
        with self.meta.transaction():
            self.meta.set_note(_GENERATION, generation)
        self._commits = self.meta.commits
