"""The change applier's decision rules, as a pure function (no I/O).

For an incoming change S (version vS, creation version cS, made-with knowledge M) against
the destination's knowledge K and its metadata D for the same item:

* obsolete            K contains vS                  -> nothing to do
* ignore              no D, S is a delete            -> nothing to do (K learns it)
* deleted here        no D, K contains cS            -> the item was deleted here and its
                                                        tombstone cleaned up: no resurrection
* create              no D                           -> create
* apply               M contains D's version         -> update (or delete, or re-create)
* both deleted        otherwise, both are deletes    -> not a user-visible conflict
* conflict            otherwise                      -> update-update, update-delete or
                                                        delete-update, from the destination's
                                                        point of view
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from syncgui.engine.items import ConflictKind, ItemMeta
from syncgui.engine.knowledge import Knowledge


class Decision(Enum):
    OBSOLETE = "obsolete"
    IGNORE = "ignore"
    DELETED_HERE = "deleted-here"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    BOTH_DELETED = "both-deleted"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    kind: ConflictKind | None = None


OBSOLETE = Verdict(Decision.OBSOLETE)


def decide(
    change: ItemMeta, dest: Knowledge, local: ItemMeta | None, made_with: Knowledge
) -> Verdict:
    """Classify one incoming change (see the module docstring)."""
    gid = change.gid
    if dest.contains(gid, change.version):
        return OBSOLETE
    if local is None:
        if change.deleted:
            return Verdict(Decision.IGNORE)
        if dest.contains(gid, change.created):
            return Verdict(Decision.DELETED_HERE)
        return Verdict(Decision.CREATE)
    if made_with.contains(gid, local.version):
        return Verdict(Decision.DELETE if change.deleted else Decision.UPDATE)
    if local.deleted and change.deleted:
        return Verdict(Decision.BOTH_DELETED)
    if change.deleted:
        return Verdict(Decision.CONFLICT, ConflictKind.UPDATE_DELETE)
    if local.deleted:
        return Verdict(Decision.CONFLICT, ConflictKind.DELETE_UPDATE)
    return Verdict(Decision.CONFLICT, ConflictKind.UPDATE_UPDATE)
