"""A version the history kept, field by field beside the item as it is now in its store, for
the history view: the same two-versions value the conflict dialog shows
(:class:`~syncgui.service.records.ConflictDetail`), made with the same field rows.

The kept version is side A, the item now in its store side B. Side B is None when the item
is no longer there (deleted since, or never put back), and ``view.unreachable`` says why
it cannot be read when the store cannot be opened now (a phone that is not connected).
Only the one store is opened, and only that item is read (by the name its metadata holds;
no change detection, so nothing is written)."""

from __future__ import annotations

import logging

from syncgui.engine.errors import StoreUnavailable, SyncError
from syncgui.engine.simple import SimpleReplica
from syncgui.service.accounts import Accounts
from syncgui.service.conflict_detail import field_state
from syncgui.service.editing import open_metadata
from syncgui.service.errors import ConfigError
from syncgui.service.history import HistoryEntry, HistoryLog
from syncgui.service.paths import Paths
from syncgui.service.records import ConflictDetail, FieldRow
from syncgui.service.stores import open_store, parse_spec
from syncgui.service.views import ConflictView

__all__ = ["HISTORY_KIND", "history_detail"]

log = logging.getLogger(__name__)

#: ``ConflictView.kind`` of a history entry's detail
HISTORY_KIND = "history"


def history_detail(paths: Paths, accounts: Accounts, entry_id: int) -> ConflictDetail:
    """History entry ``entry_id`` (side A) beside its item now in its store (side B); raises
    ConfigError for an unknown id."""
    entry = _entry(paths, entry_id)
    r = entry.record
    current: bytes | None = None
    changed: float | None = None
    unreachable: str | None = None
    pairs: list[FieldRow] = []
    replica: SimpleReplica | None
    spec = parse_spec(r.store)
    try:
        replica = SimpleReplica(open_store(spec, accounts), open_metadata(paths, spec))
    except StoreUnavailable as err:  # no store, so no fields either: say why
        replica, unreachable = None, err.message
    if replica is not None:
        current, changed, unreachable, pairs = _read(replica, entry_id, r.gid, r.data)
    view = ConflictView(
        str(entry_id),
        r.partnership,
        HISTORY_KIND,
        r.label,
        r.uid,
        "b",
        r.data,
        current,
        r.store_name,
        r.store_name,
        r.at,
        unreachable,
    )
    return ConflictDetail(view, tuple(pairs), r.at, changed, False)


def _read(
    replica: SimpleReplica, entry_id: int, gid: bytes, kept: bytes
) -> tuple[bytes | None, float | None, str | None, list[FieldRow]]:
    """The item now (None: not there), when it last changed, why it cannot be read (None:
    it could), and the field rows; closes ``replica``."""
    current: bytes | None = None
    changed: float | None = None
    unreachable: str | None = None
    try:
        try:
            meta = replica.lookup([gid]).get(gid)
            if meta is not None and not meta.deleted:
                current = replica.load(gid)
                changed = meta.changed_at
        except StoreUnavailable as err:  # e.g. the phone is not connected now
            unreachable = err.message
        except SyncError as err:  # its file went away since the last sync: not there now
            log.info("history entry %d: %s", entry_id, err.message)
        return current, changed, unreachable, _rows(replica, entry_id, kept, current)
    finally:
        replica.close()


def _entry(paths: Paths, entry_id: int) -> HistoryEntry:
    entry = None
    if paths.history_db.exists():
        kept = HistoryLog(paths.history_db)
        try:
            entry = kept.get(entry_id)
        finally:
            kept.close()
    if entry is None:
        raise ConfigError(f"there is no history entry {entry_id}; `history` lists them")
    return entry


def _rows(
    replica: SimpleReplica, entry_id: int, kept: bytes, current: bytes | None
) -> list[FieldRow]:
    """The conflict dialog's field rows (no field clashes: nothing is merged here)."""
    try:
        pairs = replica.format.compare(kept, current)
    except SyncError as err:  # a card that cannot be read: no fields to show
        log.warning("history entry %d: %s", entry_id, err.message)
        return []
    return [FieldRow(p.field, p.label, p.a, p.b, field_state(p, set())) for p in pairs]
