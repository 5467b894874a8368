"""A causal-history model of knowledge sync, the oracle of the stateful sync tests.

Every local change (create, edit, delete, restore) and every conflict resolution is an
:class:`Event`. For each replica and contact UID the model keeps a :class:`Held`: the event
that produced the current state (its *version*), every event the replica has seen for that
contact (*known*, its causal history) and the event that created the live incarnation.

One one-way pass ``src -> dst`` treats each contact on its own, exactly as section 3.4 of the
MSF notes reads when "knowledge" is taken to be the set of seen events:

* ``src.version`` already known at dst: obsolete, dst only learns ``src.known``;
* dst holds nothing: dst takes src's state (a delete is "known", nothing is stored);
* ``dst.version`` known at src: dst takes src's state;
* both are deletes: dst keeps its tombstone and learns;
* otherwise a true conflict. Equal live content converges on src's version (the engine's
  ``"converged"`` resolution, no new event); else the policy's winner is kept under a new
  event made at dst whose history is the union of both.

Versions, not whole histories, decide (as in the engine and in MSF): a replica that
converged on another's equal content, or that keeps its own tombstone next to another's
delete, knows an event of its own that is not in its version's past; a change made after
seeing the version it holds still replaces it without a conflict. Both events meant the same
state, so nothing is lost, where comparing whole histories would report a false conflict.

The model does not distinguish "holds a tombstone" from "learned a delete without ever
holding the contact": both are "deleted, with this history", which is what the engine does,
as it keeps a tombstone for such a delete too (an earlier engine kept nothing: the
``test_ghost_*`` reproductions in :mod:`tests.test_stateful_sync`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

Fields = tuple[tuple[str, str], ...]
"""A contact's content: sorted ``(property, value)`` pairs."""


@dataclass(frozen=True, slots=True, eq=False)
class Event:
    """One change. ``past`` is everything its author knew about the contact when making it."""

    id: int
    replica: str
    kind: str  # "create", "edit", "delete", "restore" or "resolve"
    content: Fields | None  # None: the contact is deleted
    past: frozenset[int]
    # the create or restore event of the incarnation this event changed or deleted
    # (its own id for a create or restore)
    incarnation: int = 0

    def __repr__(self) -> str:
        return f"e{self.id}:{self.kind}@{self.replica}"


@dataclass(frozen=True, slots=True)
class Held:
    """One replica's state of one contact."""

    version: Event
    known: frozenset[int]
    created: Event

    @property
    def live(self) -> bool:
        return self.version.content is not None


@dataclass(frozen=True, slots=True)
class Conflict:
    """A conflict the model expects the engine to report (compare ConflictFound)."""

    direction: str  # "a->b" or "b->a"
    uid: str
    kind: str  # "update-update", "update-delete" or "delete-update"
    resolution: str  # "a", "b" or "converged"


@dataclass(slots=True)
class PassOutcome:
    """What one pass should do at its destination."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


class Clock:
    """Hands out event ids."""

    def __init__(self) -> None:
        self.count = 0
        self.events: dict[int, Event] = {}

    def event(
        self,
        replica: str,
        kind: str,
        content: Fields | None,
        past: Iterable[int],
        incarnation: int | None = None,
    ) -> Event:
        """A new event; ``incarnation`` None starts a new incarnation (create, restore)."""
        self.count += 1
        made = Event(
            self.count,
            replica,
            kind,
            content,
            frozenset(past),
            self.count if incarnation is None else incarnation,
        )
        self.events[made.id] = made
        return made


@dataclass(slots=True)
class ReplicaModel:
    """What one replica has seen, by UID."""

    name: str
    held: dict[str, Held] = field(default_factory=dict)

    def live(self) -> dict[str, Fields]:
        return {u: h.version.content for u, h in self.held.items() if h.version.content}

    def local(self, clock: Clock, uid: str, kind: str, content: Fields | None) -> Event:
        """A change made here (create, edit, delete or restore) that the engine sees now."""
        before = self.held.get(uid)
        past = before.known if before else frozenset()
        same = before.created.incarnation if before and kind in ("edit", "delete") else None
        made = clock.event(self.name, kind, content, past, same)
        self.record_local(uid, made, [made])
        return made

    def record_local(self, uid: str, version: Event, events: list[Event]) -> None:
        """Record local changes seen by the engine as one new version (several edits of a
        file between two syncs are detected as one change)."""
        before = self.held.get(uid)
        known = (before.known if before else frozenset()) | {e.id for e in events}
        if before is not None and before.live and version.content is not None:
            created = before.created  # an edit keeps the creation version
        elif version.content is not None:
            created = version  # a create, or a restore after a delete
        else:
            assert before is not None
            created = before.created
        self.held[uid] = Held(version, known, created)


def kind_of(dst_live: bool, src_live: bool) -> str:
    """The conflict kind, named from the destination's point of view."""
    if dst_live and src_live:
        return "update-update"
    return "update-delete" if dst_live else "delete-update"


def one_way(
    src: ReplicaModel,
    dst: ReplicaModel,
    src_side: str,
    winner: str,
    clock: Clock,
) -> PassOutcome:
    """Apply one pass ``src -> dst`` to the model. ``winner`` ("a" or "b") is the side the
    policy keeps."""
    out = PassOutcome()
    direction = "a->b" if src_side == "a" else "b->a"
    dst_side = "b" if src_side == "a" else "a"
    for uid in sorted(src.held):
        s = src.held[uid]
        d = dst.held.get(uid)
        if d is not None and s.version.id in d.known:
            dst.held[uid] = replace(d, known=d.known | s.known)
            continue
        if d is None:
            # dst takes src's state; a delete it never held the contact for is kept as a
            # tombstone, as the engine does
            dst.held[uid] = Held(s.version, s.known, s.created)
            out.created += s.live
            continue
        known = d.known | s.known
        if d.version.id in s.known:
            _take(dst, uid, d, s.version, known, s.created, out)
        elif not d.live and not s.live:
            # both deleted: dst takes src's tombstone version (as for equal live content),
            # so a later change made without seeing that delete still meets a conflict
            dst.held[uid] = replace(d, version=s.version, known=known)
        elif d.live and s.live and d.version.content == s.version.content:
            out.conflicts.append(Conflict(direction, uid, "update-update", "converged"))
            dst.held[uid] = Held(s.version, known, d.created)
        else:
            kept = d if winner == dst_side else s
            incarnation = (kept.created if kept.live else kept.version).incarnation
            made = clock.event(dst.name, "resolve", kept.version.content, known, incarnation)
            created = s.created if kept is s and s.live else d.created
            out.conflicts.append(Conflict(direction, uid, kind_of(d.live, s.live), winner))
            _take(dst, uid, d, made, known | {made.id}, created, out)
    return out


def _take(
    dst: ReplicaModel,
    uid: str,
    before: Held,
    version: Event,
    known: frozenset[int],
    created: Event,
    out: PassOutcome,
) -> None:
    after = Held(version, known, created if version.content is not None else before.created)
    dst.held[uid] = after
    if before.live and not after.live:
        out.deleted += 1
    elif not before.live and after.live:
        out.created += 1
    elif before.live and before.version.content != after.version.content:
        out.updated += 1
