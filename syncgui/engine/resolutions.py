"""Resolving a deferred conflict later, by the user's choice.

The choice becomes a new local change at the replica that holds the conflict: it learns the
conflict knowledge (so the other side's version is known) and the result gets a fresh
version that dominates both sides, so the next sync carries it everywhere without raising
the conflict again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from syncgui.engine.errors import SyncError
from syncgui.engine.ids import gid_for_uid, synthesize_uid
from syncgui.engine.itemformat import MergeSide
from syncgui.engine.items import Action, Adopt, ItemMeta, Put, Remove, StoredConflict
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.policies import relabel
from syncgui.engine.replica import HistorySink, Replica

Keep = Literal["a", "b", "both", "merged"]


class ConflictGone(SyncError):
    """The conflict was resolved or superseded meanwhile."""

    title = "Conflict already resolved"


def resolve_stored(
    conflict: StoredConflict,
    dest: Replica,
    keep: Keep,
    bases: BaseStore,
    history: HistorySink | None,
    prefer: Mapping[str, Literal["a", "b"]] | None = None,
) -> None:
    """Apply the user's choice for ``conflict`` (held by ``dest``).

    ``prefer`` settles clashing fields for ``keep="merged"`` by side; fields it does not
    name take side A's value."""
    local = dest.lookup([conflict.gid]).get(conflict.gid)
    if local is None:
        raise ConflictGone("the item no longer exists here", item=conflict.source.label)
    actions = _actions(conflict, dest, local, keep, bases, prefer or {})
    dest.apply(actions, conflict.knowledge, partnership=conflict.partnership, history=history)


def _actions(
    conflict: StoredConflict,
    dest: Replica,
    local: ItemMeta,
    keep: Keep,
    bases: BaseStore,
    prefer: Mapping[str, Literal["a", "b"]],
) -> list[Action]:
    source_side = conflict.source_side
    theirs = conflict.data
    ours = None if local.deleted else dest.load(local.gid)
    keep_theirs: list[Action] = (
        [Remove(local, None)]
        if theirs is None
        else [Put(conflict.source, theirs, None, created=conflict.source.created)]
    )
    keep_ours: list[Action] = [Adopt(local, None)]
    if keep == source_side:
        return keep_theirs
    if keep in ("a", "b"):
        return keep_ours
    if ours is None or theirs is None:  # one side deleted: "both" and "merged" keep the other
        return keep_ours if theirs is None else keep_theirs
    if keep == "both":
        uid = synthesize_uid(conflict.gid + conflict.id.encode())
        s = conflict.source
        copy = ItemMeta(
            gid_for_uid(uid),
            uid,
            f"{s.label} (conflict copy)",
            s.created,
            s.version,
            False,
            s.changed_at,
        )
        data = dest.format.as_copy(theirs, uid, conflict.source_name)
        return [*keep_ours, Put(copy, data, None, agreed=False)]
    sides: dict[str, MergeSide] = {source_side: "theirs", source_side.other: "ours"}
    choice = {field: sides[side] for field, side in prefer.items()}
    default = sides["a"]
    base = bases.get(conflict.gid, dest.knowledge(), conflict.knowledge, format=dest.format)
    merged = dest.format.merge(base, ours, theirs)
    for clash in merged.clashes:
        choice.setdefault(clash.field, default)
    data = dest.format.merge_choosing(base, ours, theirs, choice)
    shared = (conflict.source.version, theirs)
    return [Put(relabel(dest, local, data), data, None, merge_base=shared)]
