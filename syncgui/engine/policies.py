"""Conflict policies: turn one detected concurrency conflict into destination actions.

Every resolution that keeps data different from the source's gets a fresh local version
(``version=None``), which dominates both conflicting versions, so no other replica raises the
same conflict again. Two sides that already hold the same content simply agree on the
source's version: there is nothing to resolve."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass

from syncgui.engine.errors import SyncError
from syncgui.engine.events import ConflictKind, Outcome, Policy, Side
from syncgui.engine.ids import gid_for_uid, synthesize_uid
from syncgui.engine.items import (
    Action,
    Adopt,
    Deferred,
    ItemMeta,
    Put,
    Remove,
    StoredConflict,
)
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.replica import Replica


@dataclass(frozen=True, slots=True)
class Resolution:
    actions: list[Action]
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class ConflictContext:
    """Everything a policy needs about one pass."""

    partnership: str
    policy: Policy
    source_side: Side
    source: Replica
    dest: Replica
    bases: BaseStore
    made_with: Knowledge


def resolve(
    ctx: ConflictContext, change: ItemMeta, local: ItemMeta, kind: ConflictKind
) -> Resolution:
    """Settle one conflict by the partnership's policy. May raise a per-item SyncError
    when either side's data cannot be read (the item is then skipped)."""
    theirs = None if change.deleted else ctx.source.load(change.gid)
    ours = None if local.deleted else ctx.dest.load(local.gid)
    if theirs is not None and ours is not None and ctx.dest.format.same(ours, theirs):
        return Resolution([Adopt(change, change.version)], Outcome.CONVERGED)
    policy = ctx.policy
    if policy is Policy.ASK:
        return defer(ctx, change, kind, theirs)
    if policy in (Policy.A_WINS, Policy.B_WINS, Policy.NEWEST):
        return _winner(ctx, change, local, theirs)
    if kind is not ConflictKind.UPDATE_UPDATE:
        return _keep_update(change, local, theirs)
    assert theirs is not None and ours is not None
    if policy is Policy.KEEP_BOTH:
        return _keep_both(ctx, change, local, theirs)
    base = ctx.bases.get(change.gid, ctx.dest.knowledge(), ctx.made_with, format=ctx.dest.format)
    merged = ctx.dest.format.merge(base, ours, theirs)
    if merged.data is None:
        return defer(ctx, change, kind, theirs)
    shared = (change.version, theirs)  # the merge result descends from the source's data
    put = Put(relabel(ctx.dest, change, merged.data), merged.data, None, merge_base=shared)
    return Resolution([put], Outcome.MERGED)


def resolve_forgotten_delete(ctx: ConflictContext, change: ItemMeta) -> Resolution:
    """An edit of an item this replica deleted so long ago that it forgot the tombstone.

    The edit was concurrent with the delete (an edit made after seeing the delete would be
    a delete too), so this is a delete-update conflict whose delete details are gone. A
    winner policy that picks this side deletes the item again with a fresh version, which
    carries the delete back; every other policy keeps the edited contact."""
    dest_side = ctx.source_side.other
    delete_wins = (ctx.policy is Policy.A_WINS and dest_side is Side.A) or (
        ctx.policy is Policy.B_WINS and dest_side is Side.B
    )
    if delete_wins:
        return Resolution([Remove(change, None)], _won(dest_side))
    theirs = ctx.source.load(change.gid)
    return Resolution([Put(change, theirs, None, created=change.created)], Outcome.KEPT_UPDATE)


def relabel(dest: Replica, meta: ItemMeta, data: bytes) -> ItemMeta:
    """``meta`` with the label of ``data`` (a merge may have renamed the contact)."""
    try:
        label = dest.format.describe(data).label
    except SyncError:
        return meta
    return dataclasses.replace(meta, label=label)


def defer(
    ctx: ConflictContext, change: ItemMeta, kind: ConflictKind, theirs: bytes | None
) -> Resolution:
    conflict = StoredConflict(
        id=os.urandom(4).hex(),
        gid=change.gid,
        partnership=ctx.partnership,
        kind=kind,
        source_side=ctx.source_side,
        source_name=ctx.source.name,
        source=change,
        data=theirs,
        knowledge=ctx.made_with.project_items([change.gid]),
        detected_at=time.time(),
    )
    return Resolution([Deferred(conflict)], Outcome.DEFERRED)


def _winner(
    ctx: ConflictContext, change: ItemMeta, local: ItemMeta, theirs: bytes | None
) -> Resolution:
    dest_side = ctx.source_side.other
    if ctx.policy is Policy.NEWEST:
        if change.changed_at == local.changed_at:
            winner = Side.A
        else:
            winner = ctx.source_side if change.changed_at > local.changed_at else dest_side
    else:
        winner = Side.A if ctx.policy is Policy.A_WINS else Side.B
    if winner is dest_side:
        return Resolution([Adopt(local, None)], _won(winner))
    if theirs is None:
        return Resolution([Remove(change, None)], _won(winner))
    return Resolution([Put(change, theirs, None, created=change.created)], _won(winner))


def _won(side: Side) -> Outcome:
    return Outcome.A if side is Side.A else Outcome.B


def _keep_update(change: ItemMeta, local: ItemMeta, theirs: bytes | None) -> Resolution:
    """An edit against a delete: keep the edited contact (never lose an edit)."""
    if theirs is None:  # the destination edited, the source deleted: keep ours everywhere
        return Resolution([Adopt(local, None)], Outcome.KEPT_UPDATE)
    return Resolution([Put(change, theirs, None, created=change.created)], Outcome.KEPT_UPDATE)


def _keep_both(
    ctx: ConflictContext, change: ItemMeta, local: ItemMeta, theirs: bytes
) -> Resolution:
    uid = synthesize_uid(change.gid + change.version.replica + str(change.version.tick).encode())
    copy_meta = ItemMeta(
        gid_for_uid(uid),
        uid,
        f"{change.label} (conflict copy)",
        change.created,
        change.version,
        False,
        change.changed_at,
    )
    copy = ctx.dest.format.as_copy(theirs, uid, ctx.source.name)
    return Resolution([Adopt(local, None), Put(copy_meta, copy, None, agreed=False)], Outcome.BOTH)
