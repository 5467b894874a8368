"""Putting a version the history kept back into its store, as a new local change that the
next sync carries on, under the name the item had in its store; and the history's lookup of
that name (:func:`keys_in`), which every writer of the history passes."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from syncgui.engine.errors import SyncError
from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta, Put
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.replica import HistoryRecord
from syncgui.engine.simple import SimpleReplica
from syncgui.service.accounts import Accounts
from syncgui.service.config import PartnershipBook
from syncgui.service.editing import open_metadata
from syncgui.service.errors import ConfigError
from syncgui.service.history import HistoryEntry, HistoryLog, KeyLookup
from syncgui.service.locks import locks
from syncgui.service.paths import Paths
from syncgui.service.stores import NamingStore, name_stem, open_store, parse_spec

__all__ = ["keys_in", "restore_entry"]

log = logging.getLogger(__name__)


def keys_in(*replicas: SimpleReplica) -> KeyLookup:
    """For the history: the name each kept version's item has in its store (the item row
    still holds it when the history is kept, before anything is written)."""
    by_store = {r.identity: r for r in replicas}

    def keys_of(records: Sequence[HistoryRecord]) -> list[str | None]:
        found: dict[tuple[str, bytes], str | None] = {}
        for identity, replica in by_store.items():  # one query per store, not per record
            gids = [r.gid for r in records if r.store == identity]
            if gids:
                rows = replica.meta.rows(gids)
                found.update(((identity, gid), row.key) for gid, row in rows.items())
        return [found.get((r.store, r.gid)) for r in records]

    return keys_of


def restore_entry(
    paths: Paths, book: PartnershipBook, accounts: Accounts, entry_id: int
) -> HistoryEntry:
    """Put history entry ``entry_id`` back into its store: over the item if the store still
    holds it, else as a new item under the name it had (``outlook21.vcf``; a taken name
    gets ``-2``). Returns the entry with ``key`` the name the item now has. Raises
    ConfigError for an unknown id and a SyncError when the store cannot take it."""
    log_ = HistoryLog(paths.history_db) if paths.history_db.exists() else None
    entry = log_.get(entry_id) if log_ else None
    if entry is None or log_ is None:
        if log_ is not None:
            log_.close()
        raise ConfigError(f"there is no history entry {entry_id}; `history` lists them")
    try:
        r = entry.record
        spec = parse_spec(r.store)
        owners = [p.name for p in book.load() if spec in (p.spec_a, p.spec_b)]
        partnership = r.partnership if r.partnership in owners else next(iter(owners), "")
        stem = name_stem(entry.key)
        names = {r.uid: stem} if stem else {}
        with locks([(paths.lock_file(r.store), r.store)]):
            store = NamingStore(open_store(spec, accounts), names)
            replica = SimpleReplica(store, open_metadata(paths, spec))
            kept = HistoryLog(paths.history_db, key_of=keys_in(replica))
            try:
                replica.detect()
                caps = replica.capabilities
                if caps.read_only:  # never written, restore or not
                    why = caps.read_only_reason or "it is read-only"
                    raise SyncError(f"{replica.name} cannot be written: {why}", item=r.label)
                dummy = Version(replica.replica_id, 0)
                meta = ItemMeta(r.gid, r.uid, r.label, dummy, dummy, False, time.time())
                out = replica.apply(
                    [Put(meta, r.data, None)],
                    Knowledge.empty(),
                    partnership=partnership,
                    history=kept,
                )
                if out.problems:
                    problem = out.problems[0]
                    raise SyncError(problem.message, item=problem.item)
                row = replica.meta.row(r.gid)
                key = row.key if row is not None else None
            finally:
                kept.close()
                replica.close()
        log.info("restored history entry %d (%s) in %s as %s", entry_id, r.label, r.store, key)
        return replace(entry, key=key)
    finally:
        log_.close()
