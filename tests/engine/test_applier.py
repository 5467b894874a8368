"""The change applier's decision table: ``decide()`` with explicit knowledges and versions.

Replica ``D`` is the destination, ``S`` the source and ``X`` a third replica. Every row
names the incoming change, the destination's knowledge K, the destination's metadata for
the item (or none) and the source's made-with knowledge M, and the verdict it must get.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from syncgui.engine.applier import Decision, Verdict, decide
from syncgui.engine.clock import ClockVector
from syncgui.engine.events import ConflictKind
from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta
from syncgui.engine.knowledge import Knowledge

D, S, X = b"\x0d" * 16, b"\x05" * 16, b"\x08" * 16

G = b"\x40" * 16  # the item every row is about
LOW, HIGH = b"\x10" * 16, b"\x70" * 16  # ids just below and above G
LO_EDGE, HI_EDGE = b"\x30" * 16, b"\x50" * 16  # a range around G


def v(replica: bytes, tick: int) -> Version:
    return Version(replica, tick)


def k(**ticks: int) -> Knowledge:
    """Scope-only knowledge, e.g. ``k(D=4, S=2)``."""
    names = {"D": D, "S": S, "X": X}
    return Knowledge.from_scope(ClockVector({names[n]: t for n, t in ticks.items()}))


def with_range(base: Knowledge, lo: bytes, hi: bytes, extra: Knowledge) -> Knowledge:
    """``base`` plus ``extra`` for ids in ``[lo, hi]`` only (what a partial sync leaves)."""
    return base.union(extra.project_range(lo, hi))


def without_item(base: Knowledge, gid: bytes, keep: Knowledge) -> Knowledge:
    """``base`` but only ``keep`` for item ``gid`` (what a failed or deferred item leaves)."""
    return base.exclude_items([gid]).union(keep.project_items([gid]))


def item(created: Version, version: Version, *, deleted: bool = False, gid: bytes = G) -> ItemMeta:
    return ItemMeta(gid, "uid-1", "Ada", created, version, deleted, 0.0)


@dataclass(frozen=True)
class Row:
    name: str
    change: ItemMeta
    dest: Knowledge
    local: ItemMeta | None
    made_with: Knowledge
    expected: Verdict


def conflict(kind: ConflictKind) -> Verdict:
    return Verdict(Decision.CONFLICT, kind)


# The item was created by S at tick 1 unless a row says otherwise.
C1 = v(S, 1)

# One row per case: name, then change, K (destination), local metadata, M (made-with), verdict.
# fmt: off
ROWS = [
    Row("obsolete: the destination already knows the version",
        item(C1, v(S, 3)), k(D=5, S=3), item(C1, v(S, 3)), k(S=3),
        Verdict(Decision.OBSOLETE)),
    Row("obsolete even without local metadata (known and cleaned up)",
        item(C1, v(S, 3)), k(D=5, S=4), None, k(S=4),
        Verdict(Decision.OBSOLETE)),
    Row("obsolete: the destination holds this very version, unknown to its knowledge "
        "(a copy with the same content agreed when two stores met)",
        item(C1, v(S, 3)), k(D=5), item(C1, v(S, 3)), k(S=3),
        Verdict(Decision.OBSOLETE)),
    Row("obsolete delete",
        item(C1, v(S, 3), deleted=True), k(S=3), item(C1, v(S, 3), deleted=True), k(S=3),
        Verdict(Decision.OBSOLETE)),
    Row("create: unknown item, creation not known",
        item(C1, v(S, 2)), k(D=5), None, k(S=2),
        Verdict(Decision.CREATE)),
    Row("create: creation by a third replica the destination never heard of",
        item(v(X, 7), v(S, 2)), k(D=5, X=6), None, k(S=2, X=7),
        Verdict(Decision.CREATE)),
    Row("ignore: incoming delete of an item the destination never had",
        item(C1, v(S, 2), deleted=True), k(D=5), None, k(S=2),
        Verdict(Decision.IGNORE)),
    Row("ignore wins over deleted-here for a delete",
        item(C1, v(S, 4), deleted=True), k(D=5, S=1), None, k(S=4),
        Verdict(Decision.IGNORE)),
    Row("deleted here: creation known, no metadata: no resurrection",
        item(C1, v(S, 4)), k(D=5, S=2), None, k(S=4),
        Verdict(Decision.DELETED_HERE)),
    Row("update: made-with contains the local version",
        item(C1, v(S, 4)), k(D=5, S=1), item(C1, v(D, 5)), k(S=4, D=5),
        Verdict(Decision.UPDATE)),
    Row("update of a version the destination got from a third replica",
        item(C1, v(S, 4)), k(D=5, S=1, X=2), item(C1, v(X, 2)), k(S=4, X=2),
        Verdict(Decision.UPDATE)),
    Row("delete: made-with contains the local version",
        item(C1, v(S, 4), deleted=True), k(D=5, S=1), item(C1, v(D, 5)), k(S=4, D=5),
        Verdict(Decision.DELETE)),
    Row("re-create: the source saw the local delete and changed the item afterwards",
        item(C1, v(S, 6)), k(D=5, S=1), item(C1, v(D, 5), deleted=True), k(S=6, D=5),
        Verdict(Decision.UPDATE)),
    Row("delete of a local tombstone the source had seen",
        item(C1, v(S, 6), deleted=True), k(D=5, S=1), item(C1, v(D, 5), deleted=True),
        k(S=6, D=5),
        Verdict(Decision.DELETE)),
    Row("both deleted: not a user-visible conflict",
        item(C1, v(S, 4), deleted=True), k(D=5, S=1), item(C1, v(D, 5), deleted=True), k(S=4),
        Verdict(Decision.BOTH_DELETED)),
    Row("update-update: neither side saw the other's edit",
        item(C1, v(S, 4)), k(D=5, S=1), item(C1, v(D, 5)), k(S=4, D=4),
        conflict(ConflictKind.UPDATE_UPDATE)),
    Row("update-delete: the destination edited, the source deleted",
        item(C1, v(S, 4), deleted=True), k(D=5, S=1), item(C1, v(D, 5)), k(S=4),
        conflict(ConflictKind.UPDATE_DELETE)),
    Row("delete-update: the destination deleted, the source edited",
        item(C1, v(S, 4)), k(D=5, S=1), item(C1, v(D, 5), deleted=True), k(S=4),
        conflict(ConflictKind.DELETE_UPDATE)),
    # -- exceptions in the knowledge ------------------------------------------------------
    Row("partial sync: a range exception around the item makes the change obsolete",
        item(C1, v(S, 4)), with_range(k(D=5), LO_EDGE, HI_EDGE, k(S=4)), item(C1, v(S, 4)),
        k(S=4), Verdict(Decision.OBSOLETE)),
    Row("partial sync: an update outside the learned range is still applied",
        item(C1, v(S, 4), gid=HIGH), with_range(k(D=5, S=1), LO_EDGE, HI_EDGE, k(S=4)),
        item(C1, v(D, 5), gid=HIGH), k(S=4, D=5), Verdict(Decision.UPDATE)),
    Row("partial sync: a create below the learned range is not taken as deleted here",
        item(v(S, 3), v(S, 3), gid=LOW), with_range(k(D=5), LO_EDGE, HI_EDGE, k(S=4)), None,
        k(S=4), Verdict(Decision.CREATE)),
    Row("partial made-with: the source knows our version only in a range, not for the item",
        item(C1, v(S, 4), gid=HIGH), k(D=5, S=1), item(C1, v(D, 5), gid=HIGH),
        with_range(k(S=4), LO_EDGE, HI_EDGE, k(D=5)),
        conflict(ConflictKind.UPDATE_UPDATE)),
    Row("partial made-with: inside the range the source did see our version",
        item(C1, v(S, 4)), k(D=5, S=1), item(C1, v(D, 5)),
        with_range(k(S=4), LO_EDGE, HI_EDGE, k(D=5)), Verdict(Decision.UPDATE)),
    Row("item exception: a failed item is not covered by the scope",
        item(C1, v(S, 4)), without_item(k(D=5, S=4), G, k(D=5, S=1)), item(C1, v(S, 1)),
        k(S=4), Verdict(Decision.UPDATE)),
    Row("item exception: the failed item was never created here",
        item(C1, v(S, 4)), without_item(k(D=5, S=4), G, k(D=5)), None,
        k(S=4), Verdict(Decision.CREATE)),
    Row("item exception in made-with: the source excluded our version of the item",
        item(C1, v(S, 4)), k(D=5, S=1), item(C1, v(D, 5)),
        without_item(k(S=4, D=5), G, k(S=4)), conflict(ConflictKind.UPDATE_UPDATE)),
]
# fmt: on


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_decide(row: Row) -> None:
    assert decide(row.change, row.dest, row.local, row.made_with) == row.expected


def test_exceptions_only_affect_their_item() -> None:
    """The same change on a neighbouring id is judged by the scope vector."""
    dest = without_item(k(D=5, S=4), G, k(D=5, S=1))
    other = item(C1, v(S, 4), gid=LOW)
    assert decide(other, dest, item(C1, v(S, 1), gid=LOW), k(S=4)).decision is Decision.OBSOLETE

    partial = with_range(k(D=5), LO_EDGE, HI_EDGE, k(S=4))
    inside = item(C1, v(S, 4))
    outside = item(C1, v(S, 4), gid=HIGH)
    assert decide(inside, partial, None, k(S=4)).decision is Decision.OBSOLETE
    assert decide(outside, partial, None, k(S=4)).decision is Decision.CREATE


def test_conflict_kind_is_named_from_the_destination() -> None:
    """Swapping the roles of a delete/update pair swaps the kind."""
    edited = item(C1, v(D, 5))
    deleted = item(C1, v(S, 4), deleted=True)
    at_dest = decide(deleted, k(D=5, S=1), edited, k(S=4))
    flipped_edit = item(C1, v(S, 4))
    flipped_tomb = item(C1, v(D, 5), deleted=True)
    at_source = decide(flipped_edit, k(D=5, S=1), flipped_tomb, k(S=4))
    assert at_dest.kind is ConflictKind.UPDATE_DELETE
    assert at_source.kind is ConflictKind.DELETE_UPDATE
