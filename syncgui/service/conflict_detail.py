"""A deferred conflict as the conflict dialog shows it: both sides field by field, which
fields the three-way merge cannot settle, and when each side last changed.

Also :func:`conflict_counts`, cheap enough for a window to ask often: it reads the
metadata databases only, never item data, and never opens a phone."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import Literal, Protocol

from syncgui.engine.errors import StoreUnavailable, SyncError
from syncgui.engine.itemformat import FieldPair
from syncgui.engine.items import StoredConflict
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.simple import SimpleReplica
from syncgui.service.config import Partnership, PartnershipBook
from syncgui.service.errors import ConfigError
from syncgui.service.paths import Paths
from syncgui.service.records import ConflictDetail, FieldRow, FieldState
from syncgui.service.views import ConflictView

log = logging.getLogger(__name__)


class ConflictSource(Protocol):
    """Where conflicts are read from: the partnerships, their stores' metadata and replicas,
    and the merge bases (:class:`~syncgui.service.facade.SyncService` is one)."""

    @property
    def paths(self) -> Paths: ...

    @property
    def book(self) -> PartnershipBook: ...

    def partnerships(self) -> list[Partnership]: ...

    def open_replicas(
        self, p: Partnership
    ) -> AbstractContextManager[tuple[SimpleReplica, SimpleReplica]]: ...

    def open_bases(self) -> AbstractContextManager[BaseStore]: ...


def sides(
    a: SimpleReplica, b: SimpleReplica
) -> tuple[tuple[Literal["a"], SimpleReplica], tuple[Literal["b"], SimpleReplica]]:
    """Both replicas of a partnership with the side each is."""
    return ("a", a), ("b", b)


def conflict_view(
    p: Partnership, side: Literal["a", "b"], holder: SimpleReplica, c: StoredConflict
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
    # stored from the holder's point of view; shown from A's
    kind = c.kind.seen_from_the_source if side == "b" else c.kind
    return ConflictView(
        c.id,
        p.name,
        kind,
        c.source.label,
        c.source.uid,
        side,
        a,
        b,
        p.spec_a.location,
        p.spec_b.location,
        c.detected_at,
        unreachable,
    )


def conflict_counts(service: ConflictSource) -> dict[str, int]:
    """Conflicts waiting for the user, per partnership (every partnership, 0 included)."""
    counts: dict[str, int] = {}
    for p in service.partnerships():
        gids: set[bytes] = set()
        for spec in (p.spec_a, p.spec_b):
            path = service.paths.replica_db(str(spec))
            if not path.exists():  # never synced: no conflicts, and no replica to create
                continue
            meta = MetadataStore(path, str(spec))
            try:
                gids |= meta.conflict_gids(p.name)
            finally:
                meta.close()
        counts[p.name] = len(gids)
    return counts


def conflict_detail(
    service: ConflictSource, conflict_id: str, partnership: str | None = None
) -> ConflictDetail:
    """The conflict ``conflict_id`` field by field; raises ConfigError if there is none.
    Only ``partnership``'s stores are opened when it is given."""
    chosen = [service.book.get(partnership)] if partnership else service.partnerships()
    for p in chosen:
        with service.open_replicas(p) as (a, b), service.open_bases() as bases:
            for side, holder in sides(a, b):
                for c in holder.conflicts(p.name):
                    if c.id == conflict_id:
                        return _detail(conflict_view(p, side, holder, c), holder, c, bases)
    raise ConfigError(f"there is no conflict {conflict_id!r}; `conflicts` lists them")


def conflict_details(service: ConflictSource, name: str | None = None) -> list[ConflictDetail]:
    """Every conflict of ``name`` (None: of every partnership) field by field, opening each
    partnership's stores once (``syncgui-cli conflicts`` lists them all)."""
    chosen = [service.book.get(name)] if name else service.partnerships()
    details: list[ConflictDetail] = []
    for p in chosen:
        with service.open_replicas(p) as (a, b), service.open_bases() as bases:
            for side, holder in sides(a, b):
                for c in holder.conflicts(p.name):
                    details.append(_detail(conflict_view(p, side, holder, c), holder, c, bases))
    return details


def _detail(
    view: ConflictView, holder: SimpleReplica, c: StoredConflict, bases: BaseStore
) -> ConflictDetail:
    local = holder.lookup([c.gid]).get(c.gid)
    held_changed = local.changed_at if local is not None else None
    source_changed = None if c.source.changed_at <= 0 else c.source.changed_at
    if view.held_by == "a":
        a_changed, b_changed = held_changed, source_changed
    else:
        a_changed, b_changed = source_changed, held_changed
    can_merge = view.a is not None and view.b is not None and view.unreachable is None
    clashes = _clashes(view, holder, c, bases) if can_merge else set()
    try:
        pairs = holder.format.compare(view.a, view.b)
    except SyncError as err:  # a card that cannot be read: the dialog shows no fields
        log.warning("conflict %s: %s", view.id, err.message)
        pairs = []
    rows = tuple(FieldRow(r.field, r.label, r.a, r.b, field_state(r, clashes)) for r in pairs)
    clashing = tuple(dict.fromkeys(r.field for r in rows if r.state == "clash"))
    return ConflictDetail(view, rows, a_changed, b_changed, can_merge, clashing)


def _clashes(
    view: ConflictView, holder: SimpleReplica, c: StoredConflict, bases: BaseStore
) -> set[str]:
    """The fields the merge that ``resolve(..., keep="merged")`` runs cannot settle: the
    holder's data is "ours", the other side's (stored with the conflict) "theirs"."""
    ours, theirs = (view.a, view.b) if view.held_by == "a" else (view.b, view.a)
    if ours is None or theirs is None:
        return set()
    base = bases.get(c.gid, holder.knowledge(), c.knowledge, format=holder.format)
    try:
        outcome = holder.format.merge(base, ours, theirs)
    except SyncError as err:
        log.warning("conflict %s: no merge: %s", view.id, err.message)
        return set()
    return {clash.field for clash in outcome.clashes}


def field_state(row: FieldPair, clashes: set[str]) -> FieldState:
    """How one field of two versions compares: "clash" (changed differently on both sides,
    for the user to settle), "same", present on one side only, or "differ"."""
    if row.field in clashes and not row.same:
        return "clash"
    if row.same:
        return "same"
    if row.b is None:
        return "a-only"
    if row.a is None:
        return "b-only"
    return "differ"
