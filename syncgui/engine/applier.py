"""The change applier: what the destination does with each incoming change.

:func:`decide` is its rule table, a pure function of metadata (no I/O);
:class:`ChangeApplier` turns a decision into the actions a replica saves (settling a
conflict by the partnership's policy, :mod:`syncgui.engine.policies`). Both kinds of
replica, simple and custom, are applied through it; each only saves the actions
(``Replica.apply``).

For an incoming change S (version vS, creation version cS, made-with knowledge M) against
the destination's knowledge K and its metadata D for the same item:

* obsolete            K contains vS, or D is vS      -> nothing to do
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

from syncgui.engine.errors import SyncError
from syncgui.engine.events import ConflictFound, ConflictKind, EventSink, Outcome
from syncgui.engine.items import Action, Adopt, ItemMeta, Put, Remove
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.policies import ConflictContext, resolve, resolve_forgotten_delete


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
    if local is not None and local.version == change.version:
        return OBSOLETE  # it holds this very change already (e.g. agreed when stores met)
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


@dataclass(frozen=True, slots=True)
class ChangeApplier:
    """Applies the rule table to one pass: source -> destination of ``ctx``."""

    ctx: ConflictContext
    emit: EventSink
    label: str  # the pass, "a->b" or "b->a", for events
    # items combined from two stores' cards this session (matched when the stores met):
    # an update of one is merged onto the destination's own card, which keeps its shape
    reshape: frozenset[bytes] = frozenset()

    def actions(
        self, change: ItemMeta, local: ItemMeta | None, verdict: Verdict
    ) -> tuple[list[Action], Outcome | None]:
        """What the destination saves for ``change``, and how a conflict was settled (None:
        there was none). May raise a per-item SyncError (either side unreadable)."""
        ctx = self.ctx
        d = verdict.decision
        if d in (Decision.CREATE, Decision.UPDATE):
            data = ctx.source.load(change.gid)
            if d is Decision.UPDATE and change.gid in self.reshape and local and not local.deleted:
                data = self._in_own_shape(change.gid, data)
            return [Put(change, data, change.version, created=change.created)], None
        if d is Decision.BOTH_DELETED:
            # Both deleted: agree on the source's tombstone (as for equal content), so a
            # change made without seeing that delete still meets a conflict here later.
            return [Adopt(change, change.version)], None
        if d in (Decision.DELETE, Decision.IGNORE):
            # A delete of an item never held here still leaves a tombstone: the knowledge
            # learns the delete, and must not pass it on without it.
            return [Remove(change, change.version)], None
        if d is Decision.DELETED_HERE:
            forgotten_here = ctx.dest.forgotten().project_items([change.gid])
            if ctx.made_with.contains_knowledge(forgotten_here):
                # The source saw whatever delete this replica forgot: a revival, not a
                # conflict (e.g. a contact kept by resolving an edit against that delete).
                data = ctx.source.load(change.gid)
                return [Put(change, data, change.version, created=change.created)], None
            resolution = resolve_forgotten_delete(ctx, change)
            kind = ConflictKind.DELETE_UPDATE
        elif d is Decision.CONFLICT and local is not None and verdict.kind is not None:
            resolution = resolve(ctx, change, local, verdict.kind)
            kind = verdict.kind
        else:
            return [], None
        self.emit(
            ConflictFound(
                ctx.partnership,
                self.label,
                change.gid,
                change.label,
                kind,
                resolution.outcome,
            )
        )
        return resolution.actions, resolution.outcome

    def _in_own_shape(self, gid: bytes, data: bytes) -> bytes:
        """``data`` (the combined contact) merged onto the destination's own card, so that
        card keeps its version, encoding and lines and gains only what it lacked; ``data``
        itself when that cannot be done cleanly."""
        fmt = self.ctx.dest.format
        try:
            merged = fmt.merge(None, self.ctx.dest.load(gid), data)
        except SyncError:
            return data
        return data if merged.data is None else merged.data
