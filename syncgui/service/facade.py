"""The sync service: the one facade the CLI and the GUI use.

It owns partnerships, opens each store once as a replica (one metadata database per store,
shared by every partnership the store is in), runs sessions under locks and records each
finished one (:mod:`.sessions`), and lists and resolves conflicts and history."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Literal

from syncgui.engine.bases import BaseStore
from syncgui.engine.conflicts import Keep, resolve_stored
from syncgui.engine.errors import ItemProblem, StoreUnavailable, SyncError
from syncgui.engine.events import (
    Approval,
    CancelToken,
    ConflictFound,
    Direction,
    Event,
    EventSink,
    Policy,
    SessionResult,
    SessionSettings,
    Status,
)
from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta, Put, StoredConflict
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.provider import release
from syncgui.engine.session import SyncSession
from syncgui.engine.simple import SimpleReplica
from syncgui.service.config import Partnership, PartnershipBook, check_name
from syncgui.service.conflict_detail import conflict_counts, conflict_detail
from syncgui.service.errors import ConfigError
from syncgui.service.history import HistoryEntry, HistoryLog
from syncgui.service.locks import locks
from syncgui.service.paths import Paths
from syncgui.service.records import ConflictDetail, SessionRecord, Trigger
from syncgui.service.schedule import ScheduleBook
from syncgui.service.sessions import SessionLog, record_session
from syncgui.service.settings import load_settings
from syncgui.service.stores import StoreSpec, open_store, parse_spec, prepare_store
from syncgui.service.views import ConflictView

__all__ = ["ConflictView", "SyncService"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Guard:
    """What a sync request lets through the mass-deletion guard."""

    allow_mass_delete: bool = False
    approved_deletes: Approval | None = None


class SyncService:
    """Headless sync manager over one configuration and data directory."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.book = PartnershipBook(paths.partnerships_file)

    # -- partnerships ---------------------------------------------------------------------

    def partnerships(self) -> list[Partnership]:
        return self.book.load()

    def add_partnership(
        self,
        name: str,
        a: str,
        b: str,
        direction: Direction = Direction.TWO_WAY,
        policy: Policy = Policy.MERGE,
    ) -> tuple[Partnership, list[str]]:
        """Add a partnership; returns it and notes on stores created for it."""
        check_name(name)
        spec_a, spec_b = parse_spec(a), parse_spec(b)
        if spec_a == spec_b:
            raise ConfigError("a partnership needs two different stores")
        items = self.book.load()
        if any(p.name == name for p in items):
            raise ConfigError(f"a partnership named {name!r} exists already")
        notes = [n for n in (prepare_store(spec_a), prepare_store(spec_b)) if n]
        for spec in (spec_a, spec_b):
            store = open_store(spec)
            try:
                store.list(None)  # raises StoreUnavailable with a clear message
            finally:
                release(store)  # a phone: let the device go
        p = Partnership(name, str(spec_a), str(spec_b), direction, policy)
        self.book.save([*items, p])
        return p, notes

    def remove_partnership(self, name: str) -> None:
        p = self.book.get(name)
        with self._locked(p):
            for spec in (p.spec_a, p.spec_b):
                meta = self._metadata(spec)
                try:
                    for c in meta.conflicts(name):
                        with meta.transaction():
                            meta.drop_conflict(c.id)
                finally:
                    meta.close()
        self.book.save([q for q in self.book.load() if q.name != name])
        ScheduleBook(self.paths.schedules_file).drop(name)

    # -- sync -----------------------------------------------------------------------------

    def sync(
        self,
        names: Sequence[str],
        *,
        trigger: Trigger = "cli",
        dry_run: bool = False,
        allow_mass_delete: bool = False,
        approved_deletes: Approval | None = None,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> list[SessionResult]:
        """Run each partnership once; every finished session but a dry run is recorded in
        the session log (see :meth:`sessions`) with ``trigger``. ``allow_mass_delete`` lifts
        the mass-deletion guard; ``approved_deletes`` (the length of the blocked list the
        user approved, so meant for one partnership) lets a store lose at most that many,
        more blocks again."""
        chosen = [self.book.get(n) for n in names]
        guard = _Guard(allow_mass_delete, approved_deletes)
        return [self._sync_one(p, trigger, dry_run, guard, emit, cancel) for p in chosen]

    def sessions(self, name: str | None = None, limit: int = 200) -> list[SessionRecord]:
        """The recorded sessions (of one partnership, or all), newest first."""
        if not self.paths.sessions_db.exists():
            return []
        session_log = SessionLog(self.paths.sessions_db)
        try:
            return session_log.records(name, limit)
        finally:
            session_log.close()

    def _sync_one(
        self,
        p: Partnership,
        trigger: Trigger,
        dry_run: bool,
        guard: _Guard,
        emit: EventSink | None,
        cancel: CancelToken | None,
    ) -> SessionResult:
        found: list[ConflictFound] = []

        def sink(event: Event) -> None:
            if isinstance(event, ConflictFound):
                found.append(event)
            if emit is not None:
                emit(event)

        started = time.time()
        result = self._run_session(p, dry_run, guard, sink, cancel)
        if not dry_run:
            self.paths.ensure()
            record_session(
                self.paths.sessions_db,
                result,
                started=started,
                finished=time.time(),
                trigger=trigger,
                found=found,
            )
        return result

    def _run_session(
        self,
        p: Partnership,
        dry_run: bool,
        guard: _Guard,
        emit: EventSink,
        cancel: CancelToken | None,
    ) -> SessionResult:
        prefs = load_settings(self.paths.settings_file)
        settings = SessionSettings(
            p.name,
            p.direction,
            p.policy,
            dry_run,
            guard.allow_mass_delete,
            prefs.guard_ratio,
            prefs.guard_minimum,
            approved_deletes=guard.approved_deletes,
        )
        started = time.monotonic()
        try:
            with self._locked(p), self.open_replicas(p) as (a, b), self.open_bases() as bases:
                history = HistoryLog(self.paths.history_db)
                try:
                    session = SyncSession(a, b, settings, bases, history, cancel=cancel, emit=emit)
                    result = session.run()
                finally:
                    history.close()
                if not dry_run:
                    horizon = time.time() - prefs.tombstone_seconds
                    a.cleanup_tombstones(horizon)
                    b.cleanup_tombstones(horizon)
        except SyncError as err:  # the store is gone, busy or misconfigured: say so, go on
            result = SessionResult(p.name, Status.FAILED, dry_run)
            result.errors.append(ItemProblem(err.item or p.name, err.message))
        log.info("%s: %s in %.2f s", p.name, result.status.value, time.monotonic() - started)
        return result

    @contextmanager
    def _locked(self, p: Partnership) -> Iterator[None]:
        self.paths.ensure()
        with locks(
            [
                (self.paths.lock_file("partnership:" + p.name), f"partnership {p.name!r}"),
                (self.paths.lock_file(p.a), p.a),
                (self.paths.lock_file(p.b), p.b),
            ]
        ):
            yield

    @contextmanager
    def open_replicas(self, p: Partnership) -> Iterator[tuple[SimpleReplica, SimpleReplica]]:
        """Both stores of ``p`` as replicas, closed (a phone let go) on leaving."""
        with ExitStack() as stack:
            a = self._replica(p.spec_a)
            stack.callback(a.close)
            b = self._replica(p.spec_b)
            stack.callback(b.close)
            yield a, b

    @contextmanager
    def open_bases(self) -> Iterator[BaseStore]:
        """The merge bases every partnership shares."""
        bases = BaseStore(self.paths.bases_db)
        try:
            yield bases
        finally:
            bases.close()

    def _metadata(self, spec: StoreSpec) -> MetadataStore:
        self.paths.ensure()
        return MetadataStore(self.paths.replica_db(str(spec)), str(spec))

    def _replica(self, spec: StoreSpec) -> SimpleReplica:
        return SimpleReplica(open_store(spec), self._metadata(spec))

    # -- conflicts ------------------------------------------------------------------------

    def conflicts(self, name: str | None = None) -> list[ConflictView]:
        chosen = [self.book.get(name)] if name else self.book.load()
        views: list[ConflictView] = []
        for p in chosen:
            with self.open_replicas(p) as (a, b):
                for side, holder in (("a", a), ("b", b)):
                    for c in holder.conflicts(p.name):
                        views.append(self.conflict_view(p, side, holder, c))
        return views

    def conflict_view(
        self, p: Partnership, side: str, holder: SimpleReplica, c: StoredConflict
    ) -> ConflictView:
        """``c``, held by ``holder`` (side ``side`` of ``p``), with both sides' data."""
        unreachable = None
        try:
            local = holder.load(c.gid)
        except StoreUnavailable as err:  # e.g. the phone is not connected now
            local, unreachable = None, err.message
        except SyncError:
            local = None
        mine, theirs = (local, c.data)
        a, b = (mine, theirs) if side == "a" else (theirs, mine)
        kind = c.kind  # stored from the holder's point of view; shown from A's
        if side == "b" and kind != "update-update":
            kind = "delete-update" if kind == "update-delete" else "update-delete"
        return ConflictView(
            c.id,
            p.name,
            kind,
            c.source.label,
            c.source.uid,
            "a" if side == "a" else "b",
            a,
            b,
            p.spec_a.location,
            p.spec_b.location,
            c.detected_at,
            unreachable,
        )

    def conflict_counts(self) -> dict[str, int]:
        """Conflicts waiting per partnership, from metadata only (no phone is opened)."""
        return conflict_counts(self)

    def conflict_detail(
        self, conflict_id: str, *, partnership: str | None = None
    ) -> ConflictDetail:
        """A conflict field by field, for the conflict dialog (may open a phone). Given
        ``partnership``, only its stores are opened (None: each partnership's in turn)."""
        return conflict_detail(self, conflict_id, partnership)

    def resolve(
        self,
        conflict_id: str,
        keep: Keep,
        prefer: Mapping[str, Literal["a", "b"]] | None = None,
        *,
        partnership: str | None = None,
    ) -> ConflictView:
        """Apply the user's choice; the next sync carries it to the other side. Given
        ``partnership``, only its stores are opened and locked (None: each partnership's
        in turn until the conflict is found)."""
        chosen = [self.book.get(partnership)] if partnership else self.book.load()
        for p in chosen:
            with self._locked(p), self.open_replicas(p) as (a, b), self.open_bases() as bases:
                for holder in (a, b):
                    found = [c for c in holder.conflicts(p.name) if c.id == conflict_id]
                    if not found:
                        continue
                    view = self.conflict_view(p, "a" if holder is a else "b", holder, found[0])
                    holder.detect()
                    history = HistoryLog(self.paths.history_db)
                    try:
                        resolve_stored(found[0], holder, keep, bases, history, prefer)
                    finally:
                        history.close()
                    return view
        raise ConfigError(f"there is no conflict {conflict_id!r}; `conflicts` lists them")

    # -- history --------------------------------------------------------------------------

    def history(self, name: str | None = None) -> list[HistoryEntry]:
        if name is not None:
            self.book.get(name)
        if not self.paths.history_db.exists():
            return []
        log_ = HistoryLog(self.paths.history_db)
        try:
            return log_.entries(name)
        finally:
            log_.close()

    def restore(self, entry_id: int) -> HistoryEntry:
        """Put a kept version back into its store as a new local change."""
        log_ = HistoryLog(self.paths.history_db) if self.paths.history_db.exists() else None
        entry = log_.get(entry_id) if log_ else None
        if entry is None or log_ is None:
            raise ConfigError(f"there is no history entry {entry_id}; `history` lists them")
        try:
            r = entry.record
            spec = parse_spec(r.store)
            owners = [p for p in self.book.load() if spec in (p.spec_a, p.spec_b)]
            lock_list = [(self.paths.lock_file(r.store), r.store)]
            with locks(lock_list):
                replica = self._replica(spec)
                try:
                    replica.detect()
                    dummy = Version(replica.replica_id, 0)
                    meta = ItemMeta(r.gid, r.uid, r.label, dummy, dummy, False, time.time())
                    replica.apply(
                        [Put(meta, r.data, None)],
                        Knowledge.empty(),
                        partnership=owners[0].name if owners else "",
                        history=log_,
                    )
                finally:
                    replica.close()
            return entry
        finally:
            log_.close()
