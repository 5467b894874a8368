"""Engine bugs the stateful machines find in rings and one-way sessions, as minimal
reproductions (issue 11, part 5); each is a strict xfail until the engine is fixed.

Invariant (c) of :mod:`tests.test_stateful_sync`: a contact whose delete a replica knows is
live there only if a later change that knew that delete brought it back. Two replicas that
delete the same incarnation concurrently made one decision, so a restore that saw either
delete answers both; that exception does not cover deletes of different incarnations (a
contact deleted, restored and deleted again).

The first two tests come from one rule: when both sides hold a tombstone, the destination
takes the source's tombstone version in place of its own, so its own delete no longer stands
against a later change that saw only the source's delete.

The last one: a merge in two rings that share a partnership ends deferred because the merge
base it needs is older than the versions kept per contact.
"""

from __future__ import annotations

import pytest

from syncgui.engine.events import Direction, Policy
from syncgui.engine.memory import MemoryReplica
from tests.sync_support import MemoryNet, X, x_card, x_fields

BOTH_DELETED = pytest.mark.xfail(
    strict=True,
    reason="both deleted: the destination takes the source's tombstone version in place of "
    "its own, so a change that saw only the source's delete replaces its delete of another "
    "incarnation without a conflict",
)


@BOTH_DELETED
def test_a_deleted_contact_does_not_come_back_through_the_ring() -> None:
    # found by SyncMachine in a soak run (shrunk, then written with memory replicas)
    net = MemoryNet()
    a, b, c = net.replicas("ABC")
    a.put(x_card(NOTE="1"))
    a.remove(X)
    net.sync(a, b)  # B learns the delete
    a.put(x_card(NOTE="restored on A"))
    net.sync(c, a)  # C holds A's restore
    b.put(x_card(NOTE="restored on B"))
    b.remove(X)  # B restores the contact on its own, and deletes it again
    a.remove(X)  # A deletes its restore
    assert net.sync(a, b, direction=Direction.B_TO_A) == []  # both deleted: A takes B's version
    settled = net.sync(b, c, Policy.B_WINS)  # C's restore wins over B's delete, and B takes it
    assert [(e.kind, e.resolution) for e in settled] == [("update-delete", "b")]

    settled = net.sync(a, b, Policy.A_WINS)

    # B's restore never saw A's delete: a conflict, which A (side a) wins
    assert [(e.kind, e.resolution) for e in settled] == [("delete-update", "a")]
    assert x_fields(a) is None


@BOTH_DELETED
def test_a_restore_does_not_silently_undo_a_concurrent_delete_of_another_incarnation() -> None:
    net = MemoryNet()
    a, b, c = net.replicas("ABC")
    a.put(x_card(NOTE="1"))
    net.sync(a, b)
    net.sync(a, c)
    b.remove(X)
    net.sync(a, b)
    b.put(x_card(NOTE="restored on B"))
    net.sync(a, b)  # B's restore is a new incarnation, and A holds it
    b.remove(X)  # B deletes that incarnation
    c.remove(X)  # C deletes the first one: it never saw B's delete nor B's restore
    assert net.sync(b, c, Policy.A_WINS, Direction.B_TO_A) == []  # both deleted
    c.put(x_card(NOTE="restored on C"))  # made without seeing B's delete

    settled = net.sync(b, c, Policy.A_WINS, Direction.B_TO_A)

    # C's restore and B's delete are concurrent: a conflict, which B (side a) wins
    assert [(e.kind, e.resolution) for e in settled] == [("delete-update", "a")]
    assert x_fields(b) is None


def _edit(replica: MemoryReplica, **fields: str) -> None:
    """``replica`` changes these fields of ``x`` and keeps the others."""
    now = x_fields(replica)
    assert now is not None
    replica.put(x_card(**{**{k: v for k, v in now.items() if k != "FN"}, **fields}))


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="merge bases keep 16 versions per contact; a criss-cross in two rings needs a "
    "base older than that although both sides synced just before, and the merge is deferred",
)
def test_two_rings_merge_edits_of_different_fields_after_many_merges() -> None:
    # found by PhoneMergeMachine in a soak run (shrunk, then written with memory replicas)
    # The phone P edits TEL, the computer D NOTE, the .vcf file F EMAIL, the address book M
    # ORG; partnerships P-D, D-M, M-P, D-F, F-P (two rings), all with policy merge.
    net = MemoryNet()
    p, d, f, m = net.replicas("PDFM")
    p.put(x_card(TEL="+1 555 0000", NOTE="n0", EMAIL="e0@example.org", ORG="o0"))
    for one, two in ((p, d), (m, p), (f, p)):
        net.sync(one, two, Policy.MERGE)
    steps = [
        ({f: {"EMAIL": "e1@example.org"}, p: {"TEL": "+1 555 0001"}}, (f, p, Direction.TWO_WAY)),
        ({d: {"NOTE": "n1"}, m: {"ORG": "o1"}}, (d, m, Direction.TWO_WAY)),
        ({d: {"NOTE": "n2"}}, (p, d, Direction.B_TO_A)),
        ({m: {"ORG": "o2"}}, (m, p, Direction.TWO_WAY)),
        ({d: {"NOTE": "n3"}}, (d, f, Direction.TWO_WAY)),
        ({m: {"ORG": "o3"}, p: {"TEL": "+1 555 0002"}}, (m, p, Direction.TWO_WAY)),
        ({d: {"NOTE": "n4"}}, (d, m, Direction.A_TO_B)),
        ({p: {"TEL": "+1 555 0003"}}, None),
        ({d: {"NOTE": "n5"}, f: {"EMAIL": "e2@example.org"}}, (d, f, Direction.TWO_WAY)),
    ]
    for edits, sync in steps:
        for replica, fields in edits.items():
            _edit(replica, **fields)
        if sync is not None:
            one, two, direction = sync
            settled = net.sync(one, two, Policy.MERGE, direction)  # asserts nothing deferred
            assert {e.resolution for e in settled} <= {"merged", "converged"}

    net.sync(p, d, Policy.MERGE)
    net.sync(d, m, Policy.MERGE)  # deferred: the base it needs was dropped

    want = {"FN": "Ada", "TEL": "+1 555 0003", "NOTE": "n5", "EMAIL": "e2@example.org"}
    assert x_fields(d) == x_fields(m) == {**want, "ORG": "o3"}
