"""Sync sessions between in-memory replicas, as a user would see them: what ends up in each
store, what the result reports, and which conflicts are raised."""

from __future__ import annotations

import time
import types
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from syncgui.engine import memory
from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.events import (
    Approval,
    CancelToken,
    ConflictFound,
    Direction,
    Event,
    Policy,
    Progress,
    Status,
)
from syncgui.engine.items import Action
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.memory import MemoryReplica
from syncgui.engine.provider import Capabilities
from syncgui.engine.replica import BatchOutcome
from syncgui.engine.resolutions import Keep, resolve_stored
from tests.engine.lineformat import parse
from tests.engine.support import FMT, Events, Net, card, contacts, gid, names, quiet

# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def net() -> Iterator[Net]:
    n = Net()
    yield n
    n.close()


class Clock:
    """A fake ``time`` module for the memory replica: ``changed_at`` under test control."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(memory, "time", SimpleNamespace(time=c.time))
    return c


def pair(net: Net, *cards: bytes) -> tuple[MemoryReplica, MemoryReplica]:
    """Replicas A and B that hold ``cards`` and have synced once."""
    a, b = net.replica("A"), net.replica("B")
    for data in cards:
        a.put(data)
    assert net.sync(a, b).status is Status.OK
    return a, b


def field_of(replica: MemoryReplica, uid: str, key: str) -> str | None:
    return contacts(replica)[uid].get(key)


def conflict_events(events: Events) -> list[ConflictFound]:
    return [e for e in events.seen if isinstance(e, ConflictFound)]


def user_conflicts(events: Events) -> list[ConflictFound]:
    return [e for e in conflict_events(events) if e.resolution != "converged"]


def assert_knowledge_backed(source: MemoryReplica, dest: MemoryReplica) -> None:
    """Knowledge never runs ahead of data: every source version ``dest`` claims to know is
    reflected in what ``dest`` holds."""
    known = dest.knowledge()
    for m in source.all_items():
        if not known.contains(m.gid, m.version):
            continue
        if m.deleted:
            assert dest.data(m.gid) is None, f"{m.label}: deleted at the source, kept here"
        else:
            assert dest.data(m.gid) == source.data(m.gid), f"{m.label}: claimed, not held"


X = card("x", "Ada Lovelace", tel="1")

# -- first sync, causality, merge -------------------------------------------------------------


def test_first_sync_copies_everything_both_ways_and_the_next_one_is_quiet(net: Net) -> None:
    a, b = net.replica("A"), net.replica("B")
    for i in range(3):
        a.put(card(f"a{i}", f"From A {i}"))
    for i in range(2):
        b.put(card(f"b{i}", f"From B {i}"))

    first = net.sync(a, b)

    assert first.status is Status.OK
    assert (first.to_b.created, first.to_a.created) == (3, 2)
    assert contacts(a) == contacts(b)
    assert len(contacts(a)) == 5
    before = (a.knowledge(), b.knowledge())

    second = net.sync(a, b)

    assert second.status is Status.OK
    assert quiet(second)
    assert (a.knowledge(), b.knowledge()) == before


def test_an_edit_made_after_seeing_the_other_is_not_a_conflict(net: Net) -> None:
    a, b = pair(net, X)
    a.put(card("x", "Ada Lovelace", tel="2"))
    net.sync(a, b)
    b.put(card("x", "Ada Lovelace", tel="3"))
    events = Events()

    result = net.sync(a, b, emit=events)

    assert result.status is Status.OK
    assert conflict_events(events) == []
    assert result.to_a.updated == 1
    assert field_of(a, "x", "TEL") == field_of(b, "x", "TEL") == "3"


def test_concurrent_edits_to_different_fields_merge_silently(net: Net) -> None:
    a, b = pair(net, X)
    c = net.replica("C")
    net.sync(b, c)
    a.put(card("x", "Ada Lovelace", tel="2"))
    b.put(card("x", "Ada Lovelace", tel="1", email="ada@example.org"))
    events = Events()

    result = net.sync(a, b, emit=events)

    assert result.status is Status.OK
    assert (result.merged, result.conflicts) == (1, 0)
    assert [e.resolution for e in conflict_events(events)] == ["merged"]
    for side in (a, b):
        assert field_of(side, "x", "TEL") == "2"
        assert field_of(side, "x", "EMAIL") == "ada@example.org"
    # The merge dominates both edits: passing it on raises nothing anywhere.
    later = Events()
    for one, two in ((b, c), (a, c), (a, b)):
        assert net.sync(one, two, emit=later).status is Status.OK
    assert conflict_events(later) == []
    assert contacts(a) == contacts(b) == contacts(c)


def _clash(net: Net) -> tuple[MemoryReplica, MemoryReplica]:
    """A and B both changed TEL of x (and each one other field) without syncing."""
    a, b = pair(net, X)
    a.put(card("x", "Ada Lovelace", tel="2", email="ada@example.org"))
    b.put(card("x", "Ada Lovelace", tel="3", note="met in 1843"))
    return a, b


EXPECTED_AFTER_RESOLVE = {
    "a": [{"TEL": "2", "EMAIL": "ada@example.org"}],
    "b": [{"TEL": "3", "NOTE": "met in 1843"}],
    "both": [{"TEL": "3", "NOTE": "met in 1843"}, {"TEL": "2", "EMAIL": "ada@example.org"}],
    "merged": [{"TEL": "2", "EMAIL": "ada@example.org", "NOTE": "met in 1843"}],
}


def _shape(replica: MemoryReplica) -> list[dict[str, str]]:
    """Contacts without UID/FN, originals first, then marked copies."""
    found = sorted(contacts(replica).values(), key=lambda f: "COPY" in f)
    return [{k: v for k, v in f.items() if k not in ("UID", "FN", "COPY")} for f in found]


@pytest.mark.parametrize("keep", ["a", "b", "both", "merged"])
def test_same_field_clash_is_deferred_and_resolving_it_later_syncs_cleanly(
    net: Net, keep: Keep
) -> None:
    a, b = _clash(net)

    result = net.sync(a, b)

    assert result.status is Status.CONFLICTS
    assert result.conflicts == 1
    assert field_of(a, "x", "TEL") == "2"  # nobody's edit is overwritten yet
    assert field_of(b, "x", "TEL") == "3"
    [conflict] = b.conflicts("A-B")
    assert conflict.kind == "update-update"
    assert conflict.source.label == "Ada Lovelace"

    resolve_stored(conflict, b, keep, net.base(a, b), net.history)
    events = Events()
    after = net.sync(a, b, emit=events)

    assert after.status is Status.OK
    assert after.conflicts == 0
    assert user_conflicts(events) == []
    assert b.conflicts() == []
    assert contacts(a) == contacts(b)
    assert _shape(a) == EXPECTED_AFTER_RESOLVE[keep]
    assert quiet(net.sync(a, b))


def test_merged_resolution_takes_the_preferred_side_per_field(net: Net) -> None:
    a, b = _clash(net)
    net.sync(a, b)
    [conflict] = b.conflicts("A-B")

    resolve_stored(conflict, b, "merged", net.base(a, b), None, prefer={"TEL": "b"})
    net.sync(a, b)

    assert (
        _shape(a) == _shape(b) == [{"TEL": "3", "EMAIL": "ada@example.org", "NOTE": "met in 1843"}]
    )


# -- policies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "winner", "tel"), [(Policy.A_WINS, "a", "2"), (Policy.B_WINS, "b", "3")]
)
def test_a_side_wins_policy(net: Net, policy: Policy, winner: str, tel: str) -> None:
    a, b = _clash(net)
    events = Events()

    result = net.sync(a, b, emit=events, policy=policy)

    assert result.status is Status.OK
    assert field_of(a, "x", "TEL") == field_of(b, "x", "TEL") == tel
    assert contacts(a) == contacts(b)
    assert [e.resolution for e in conflict_events(events)] == [winner]
    assert quiet(net.sync(a, b, policy=policy))


@pytest.mark.parametrize(("a_first", "tel"), [(True, "3"), (False, "2")])
def test_newest_policy_keeps_the_later_edit(
    net: Net, clock: Clock, a_first: bool, tel: str
) -> None:
    a, b = pair(net, X)
    edits = [(a, card("x", "Ada Lovelace", tel="2")), (b, card("x", "Ada Lovelace", tel="3"))]
    if not a_first:
        edits.reverse()
    for replica, data in edits:
        clock.now += 60
        replica.put(data)

    result = net.sync(a, b, policy=Policy.NEWEST)

    assert result.status is Status.OK
    assert field_of(a, "x", "TEL") == field_of(b, "x", "TEL") == tel
    assert quiet(net.sync(a, b, policy=Policy.NEWEST))


def test_keep_both_policy_adds_a_marked_copy_on_both_sides(net: Net) -> None:
    a, b = _clash(net)

    result = net.sync(a, b, policy=Policy.KEEP_BOTH)

    assert result.status is Status.OK
    assert contacts(a) == contacts(b)
    assert len(contacts(a)) == 2
    [copy] = [f for f in contacts(a).values() if "COPY" in f]
    [original] = [f for f in contacts(a).values() if "COPY" not in f]
    assert copy["TEL"] == "2"  # A's version, copied at B
    assert original["TEL"] == "3"
    assert copy["UID"] != original["UID"]
    assert quiet(net.sync(a, b, policy=Policy.KEEP_BOTH))


def test_ask_policy_defers_and_keeps_both_pending_versions_until_resolved(net: Net) -> None:
    a, b = pair(net, X)
    a.put(card("x", "Ada Lovelace", tel="2"))
    b.put(card("x", "Ada Lovelace", email="ada@example.org", tel="1"))  # would merge

    result = net.sync(a, b, policy=Policy.ASK)

    assert result.status is Status.CONFLICTS
    assert result.conflicts == 1
    # The reverse pass did not push B's side over A's pending edit.
    assert contacts(a)["x"] == parse(card("x", "Ada Lovelace", tel="2"))
    assert field_of(b, "x", "EMAIL") == "ada@example.org"
    # Syncing again while the conflict waits changes nothing and still reports it.
    again = net.sync(a, b, policy=Policy.ASK)
    assert again.status is Status.CONFLICTS
    assert again.conflicts == 1
    assert field_of(a, "x", "TEL") == "2"

    [conflict] = b.conflicts("A-B")
    resolve_stored(conflict, b, "merged", net.base(a, b), None)
    after = net.sync(a, b, policy=Policy.ASK)

    assert after.status is Status.OK
    assert contacts(a) == contacts(b)
    assert field_of(a, "x", "TEL") == "2"
    assert field_of(a, "x", "EMAIL") == "ada@example.org"


# -- updates against deletes ------------------------------------------------------------------


@pytest.mark.parametrize("deleter", ["A", "B"])
def test_merge_never_loses_an_edit_against_a_delete(net: Net, deleter: str) -> None:
    a, b = pair(net, X, card("y", "Grace Hopper"))
    editor, other = (b, a) if deleter == "A" else (a, b)
    other.remove(gid("x"))
    editor.put(card("x", "Ada Lovelace", tel="9"))
    events = Events()

    result = net.sync(a, b, emit=events)

    assert result.status is Status.OK
    assert field_of(a, "x", "TEL") == field_of(b, "x", "TEL") == "9"
    expected_kind = "update-delete" if deleter == "A" else "delete-update"
    assert [(e.kind, e.resolution) for e in conflict_events(events)] == [
        (expected_kind, "kept-update")
    ]
    assert quiet(net.sync(a, b))


@pytest.mark.parametrize(
    ("deleter", "policy", "kept"),
    [
        ("A", Policy.A_WINS, False),
        ("A", Policy.B_WINS, True),
        ("B", Policy.A_WINS, True),
        ("B", Policy.B_WINS, False),
    ],
)
def test_winner_policy_decides_between_edit_and_delete(
    net: Net, deleter: str, policy: Policy, kept: bool
) -> None:
    a, b = pair(net, X, card("y", "Grace Hopper"))
    editor, other = (b, a) if deleter == "A" else (a, b)
    other.remove(gid("x"))
    editor.put(card("x", "Ada Lovelace", tel="9"))

    result = net.sync(a, b, policy=policy)

    assert result.status is Status.OK
    for side in (a, b):
        assert ("x" in contacts(side)) is kept
        assert "y" in contacts(side)
    if kept:
        assert field_of(a, "x", "TEL") == field_of(b, "x", "TEL") == "9"
    assert quiet(net.sync(a, b, policy=policy))


# -- deletes, topologies, directions ----------------------------------------------------------


def test_delete_propagates_and_a_stale_third_replica_does_not_resurrect_it(net: Net) -> None:
    a, b = pair(net, X, card("y", "Grace Hopper"))
    c = net.replica("C")
    net.sync(b, c)
    a.remove(gid("x"))

    first = net.sync(a, b)
    assert first.to_b.deleted == 1
    assert "x" not in contacts(b)

    # C still holds the old version of x and meets A first.
    stale = net.sync(c, a)  # C is side "a" here: to_b is what reaches A
    assert stale.to_b.created == stale.to_b.updated == 0
    assert stale.to_a.deleted == 1
    for one, two in ((b, c), (a, b), (c, a)):
        net.sync(one, two)
    for side in (a, b, c):
        assert names(side) == ["Grace Hopper"]


def test_ring_of_three_converges_without_false_conflicts(net: Net) -> None:
    a, b, c = net.replica("A"), net.replica("B"), net.replica("C")
    a.put(X)
    b.put(card("b1", "Barbara Liskov"))
    c.put(card("c1", "Claude Shannon"))
    ring = ((a, b), (b, c), (c, a))
    events = Events()

    def round_trip() -> None:
        for one, two in ring:
            assert net.sync(one, two, emit=events).status is Status.OK

    round_trip()
    a.put(card("x", "Ada Lovelace", tel="2"))
    b.put(card("b2", "Bjarne Stroustrup"))
    c.remove(gid("c1"))
    round_trip()
    c.put(card("x", "Ada Lovelace", tel="3"))  # C has seen A's edit: no conflict
    round_trip()
    round_trip()

    assert conflict_events(events) == []
    assert contacts(a) == contacts(b) == contacts(c)
    assert names(a) == ["Ada Lovelace", "Barbara Liskov", "Bjarne Stroustrup"]
    assert field_of(a, "x", "TEL") == "3"
    assert a.knowledge() == b.knowledge() == c.knowledge()


def test_one_way_sync_only_sends_a_changes(net: Net) -> None:
    a, b = pair(net, X)
    a.put(card("a2", "From A"))
    b.put(card("b2", "From B"))

    result = net.sync(a, b, direction=Direction.A_TO_B)

    assert result.status is Status.OK
    assert (result.to_b.created, result.to_a.created) == (1, 0)
    assert names(b) == ["Ada Lovelace", "From A", "From B"]
    assert names(a) == ["Ada Lovelace", "From A"]


def test_dry_run_writes_nothing_and_reports_what_it_would_do(net: Net) -> None:
    a, b = pair(net, X, card("y", "Grace Hopper"), card("z", "Alan Turing"))
    a.put(card("n1", "New One"))
    a.put(card("n2", "New Two"))
    a.put(card("x", "Ada Lovelace", tel="2"))
    a.remove(gid("y"))
    b.put(card("m1", "From B"))
    before = [(r.live(), r.knowledge(), r.all_items()) for r in (a, b)]

    dry = net.sync(a, b, dry_run=True)

    assert dry.dry_run
    assert [(r.live(), r.knowledge(), r.all_items()) for r in (a, b)] == before
    assert (dry.to_b.created, dry.to_b.updated, dry.to_b.deleted) == (2, 1, 1)
    assert (dry.to_a.created, dry.to_a.updated, dry.to_a.deleted) == (1, 0, 0)

    real = net.sync(a, b)
    assert (real.to_b, real.to_a) == (dry.to_b, dry.to_a)


def test_dry_run_predicts_a_silent_field_merge(net: Net) -> None:
    a, b = pair(net, X)
    a.put(card("x", "Ada Lovelace", tel="2"))
    b.put(card("x", "Ada Lovelace", tel="1", email="ada@example.org"))

    dry = net.sync(a, b, dry_run=True)
    real = net.sync(a, b)

    assert (real.status, real.conflicts, real.merged) == (Status.OK, 0, 1)
    assert (dry.status, dry.conflicts) == (real.status, real.conflicts)


# -- safety -----------------------------------------------------------------------------------


def _ten(net: Net) -> tuple[MemoryReplica, MemoryReplica]:
    return pair(net, *(card(f"p{i}", f"Person {i}") for i in range(10)))


def test_mass_deletion_is_blocked_until_allowed(net: Net) -> None:
    a, b = _ten(net)
    for i in range(6):
        a.remove(gid(f"p{i}"))

    blocked = net.sync(a, b)

    assert blocked.status is Status.BLOCKED
    assert blocked.blocked_store == "B"
    assert blocked.blocked_items == [f"Person {i}" for i in range(6)]
    assert len(contacts(b)) == 10
    assert len(contacts(a)) == 4

    allowed = net.sync(a, b, allow_mass_delete=True)

    assert allowed.status is Status.OK
    assert allowed.to_b.deleted == 6
    assert contacts(a) == contacts(b)
    assert len(contacts(b)) == 4


def test_an_approval_allows_exactly_the_deletes_that_were_shown(net: Net) -> None:
    a, b = _ten(net)
    for i in range(6):
        a.remove(gid(f"p{i}"))
    shown = net.sync(a, b).blocked_items

    approved = net.sync(a, b, approved_deletes=Approval("B", len(shown)))

    assert approved.status is Status.OK
    assert approved.to_b.deleted == 6
    assert names(b) == [f"Person {i}" for i in range(6, 10)]


def test_more_deletes_than_approved_block_again_with_the_new_list(net: Net) -> None:
    a, b = _ten(net)
    for i in range(6):
        a.remove(gid(f"p{i}"))
    shown = net.sync(a, b).blocked_items
    a.remove(gid("p6"))  # after the user saw the list

    again = net.sync(a, b, approved_deletes=Approval("B", len(shown)))

    assert again.status is Status.BLOCKED
    assert again.blocked_store == "B"
    assert again.blocked_items == [f"Person {i}" for i in range(7)]
    assert len(contacts(b)) == 10
    lifted = net.sync(a, b, approved_deletes=Approval("B", len(shown)), allow_mass_delete=True)
    assert lifted.status is Status.OK
    assert names(b) == [f"Person {i}" for i in range(7, 10)]


def test_an_approval_for_one_store_does_not_cover_the_other(net: Net) -> None:
    """Both sides lost many contacts: the approval of the first list shown deletes those;
    the other store's list is shown next, and approving it finishes the sync."""
    a, b = _ten(net)
    for i in range(6):
        a.remove(gid(f"p{i}"))
    for i in range(6, 10):
        b.remove(gid(f"p{i}"))
    first = net.sync(a, b, guard_minimum=3)
    assert (first.blocked_store, len(first.blocked_items)) == ("B", 6)

    second = net.sync(
        a, b, guard_minimum=3, approved_deletes=Approval("B", len(first.blocked_items))
    )

    assert second.status is Status.BLOCKED
    assert second.blocked_store == "A"
    assert second.blocked_items == [f"Person {i}" for i in range(6, 10)]
    assert (len(contacts(a)), len(contacts(b))) == (4, 0)
    third = net.sync(
        a, b, guard_minimum=3, approved_deletes=Approval("A", len(second.blocked_items))
    )
    assert third.status is Status.OK
    assert contacts(a) == contacts(b) == {}


def test_an_approval_is_for_the_store_whose_list_was_shown(net: Net) -> None:
    """An approval of 6 deletions from A does not let 6 go from B: B's list is asked about."""
    a, b = _ten(net)
    for i in range(6):
        a.remove(gid(f"p{i}"))

    other = net.sync(a, b, approved_deletes=Approval("A", 6))

    assert other.status is Status.BLOCKED
    assert other.blocked_store == "B"
    assert len(contacts(b)) == 10


def test_deleting_fewer_than_the_threshold_goes_through(net: Net) -> None:
    a, b = _ten(net)
    for i in range(4):
        a.remove(gid(f"p{i}"))

    result = net.sync(a, b)

    assert result.status is Status.OK
    assert result.to_b.deleted == 4
    assert len(contacts(b)) == 6


@pytest.mark.parametrize(("deleted", "blocked"), [(40, False), (50, False), (51, True)])
def test_the_guard_blocks_just_past_half_of_a_store(net: Net, deleted: int, blocked: bool) -> None:
    """The default ratio 0.5 of 100 contacts: 50 deletes go through, 51 are held."""
    a, b = pair(net, *(card(f"p{i}", f"Person {i}") for i in range(100)))
    for i in range(deleted):
        a.remove(gid(f"p{i}"))

    result = net.sync(a, b)

    assert result.status is (Status.BLOCKED if blocked else Status.OK)
    assert len(contacts(b)) == (100 if blocked else 100 - deleted)


def _three(net: Net) -> tuple[MemoryReplica, MemoryReplica]:
    return pair(net, *(card(f"p{i}", f"Person {i}") for i in range(3)))


def test_an_emptied_store_is_not_believed_whatever_the_counts(net: Net) -> None:
    """3 deletes are under the proportional guard's minimum of 5, but B now lists none."""
    a, b = _three(net)
    for i in range(3):
        b.remove(gid(f"p{i}"))

    for _attempt in range(2):  # the tombstones detection made do not make it pass next time
        blocked = net.sync(a, b)
        assert blocked.status is Status.BLOCKED
        assert (blocked.emptied_store, blocked.emptied_held) == ("B", 3)
        assert blocked.blocked_store == "A"
        assert blocked.blocked_items == ["Person 0", "Person 1", "Person 2"]
        assert len(contacts(a)) == 3
    dry = net.sync(a, b, dry_run=True)
    assert dry.status is Status.BLOCKED and dry.emptied_store == "B"

    approved = net.sync(a, b, approved_deletes=Approval("A", 3))

    assert approved.status is Status.OK and approved.to_a.deleted == 3
    assert contacts(a) == contacts(b) == {}
    assert net.sync(a, b).status is Status.OK  # empty on both sides: nothing to ask


def test_an_emptied_store_is_allowed_with_the_guard_lifted(net: Net) -> None:
    a, b = _three(net)
    for i in range(3):
        a.remove(gid(f"p{i}"))

    assert net.sync(a, b).emptied_store == "A"
    allowed = net.sync(a, b, allow_mass_delete=True)

    assert allowed.status is Status.OK and allowed.to_b.deleted == 3
    assert contacts(b) == {}


def test_a_store_that_was_empty_before_or_keeps_one_contact_is_not_asked_about(
    net: Net,
) -> None:
    a, b = net.replica("A"), net.replica("B")
    for i in range(3):
        a.put(card(f"p{i}", f"Person {i}"))
    first = net.sync(a, b)  # B empty at the first sync: it held nothing
    assert first.status is Status.OK and first.emptied_store is None
    b.remove(gid("p0"))
    b.remove(gid("p1"))  # B still lists one: the proportional guard's rules
    kept = net.sync(a, b)
    assert kept.status is Status.OK and kept.to_a.deleted == 2
    assert names(a) == names(b) == ["Person 2"]


class WorksAhead(MemoryReplica):
    """A replica that starts on each batch ahead (as a folder hands its new cards to a
    child process) and notes what the pass asks of it, in order."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls: list[tuple[str, list[str]]] = []

    def apply_ahead(self, actions: Sequence[Action]) -> bool:
        self.calls.append(("ahead", [a.meta.uid for a in actions]))
        return True

    def apply(self, actions: Sequence[Action], learned: Knowledge, **kw: Any) -> BatchOutcome:
        self.calls.append(("apply", [a.meta.uid for a in actions]))
        return super().apply(actions, learned, **kw)

    def end_ahead(self, finished: bool) -> None:
        self.calls.append(("end" if finished else "abandoned", []))


def test_a_batch_started_ahead_is_applied_after_the_next_is_decided_and_all_in_order(
    net: Net,
) -> None:
    a, b = net.replica("A"), WorksAhead("B", FMT, None)
    for i in range(7):
        a.put(card(f"p{i}", f"Person {i}"))

    result = net.sync(a, b, batch_size=3)

    assert result.to_b.created == 7
    batches = [c for kind, c in b.calls if kind == "apply" and c]
    assert batches == [sorted(batch, key=gid) for batch in batches]  # ids ascending
    assert [uid for batch in batches for uid in batch] == sorted(
        (f"p{i}" for i in range(7)), key=gid
    )
    first, second, third = batches
    # each batch is handed ahead before the one before it is applied; then the pass ends
    assert b.calls[:6] == [
        ("ahead", first),
        ("ahead", second),
        ("apply", first),
        ("ahead", third),
        ("apply", second),
        ("apply", third),
    ]
    assert b.calls[-1] == ("end", [])
    assert_knowledge_backed(a, b)
    assert quiet(net.sync(a, b, batch_size=3))


def test_a_batch_whose_apply_fails_is_never_applied_twice(net: Net) -> None:
    """A failure applying a batch (the store went away, the disk is full) ends the pass:
    that batch is not applied again, nor the one started ahead after it."""
    a, b = net.replica("A"), WorksAhead("B", FMT, None)
    for i in range(9):
        a.put(card(f"p{i}", f"Person {i}"))
    real = MemoryReplica.apply
    applied: list[int] = []

    def apply(self: WorksAhead, actions: Sequence[Action], learned: Knowledge, **kw: Any) -> Any:
        applied.append(len(actions))
        if len(applied) == 2:
            raise StoreUnavailable("The folder disappeared during the sync.")
        return real(self, actions, learned, **kw)

    b.apply = types.MethodType(apply, b)  # type: ignore[method-assign]

    with pytest.raises(StoreUnavailable):  # (the service tells the user)
        net.sync(a, b, batch_size=3)

    assert applied == [3, 3]  # the first batch, then the second once
    assert b.calls[-1] == ("abandoned", [])
    assert len(contacts(b)) == 3
    finished = net.sync(a, b, batch_size=3)
    assert (finished.status, sorted(contacts(b))) == (Status.OK, sorted(contacts(a)))


@pytest.mark.parametrize(("ahead", "kept"), [(False, 2), (True, 4)])
def test_cancelled_sync_keeps_what_it_applied_and_the_next_one_finishes(
    net: Net, ahead: bool, kept: int
) -> None:
    """A cancel stops after the batch being applied; when the destination had started on
    the next batch already (a folder's new files written ahead), after that one too."""
    a = net.replica("A")
    b = WorksAhead("B", FMT, None) if ahead else net.replica("B")
    for i in range(10):
        a.put(card(f"p{i}", f"Person {i}"))
    token = CancelToken()

    def cancel_after_first_batch(event: Event) -> None:
        if isinstance(event, Progress) and event.stage == "applying":
            token.cancel()

    cancelled = net.sync(a, b, emit=cancel_after_first_batch, cancel=token, batch_size=2)

    assert cancelled.status is Status.CANCELLED
    assert cancelled.to_b.created == len(contacts(b)) == kept
    assert_knowledge_backed(a, b)

    finished = net.sync(a, b, batch_size=2)

    assert finished.status is Status.OK
    assert finished.to_b.created == 10 - kept
    assert sorted(contacts(b)) == sorted(contacts(a)) == [f"p{i}" for i in range(10)]
    assert_knowledge_backed(a, b)
    assert_knowledge_backed(b, a)
    assert quiet(net.sync(a, b, batch_size=2))


def _scenario(batch_size: int) -> tuple[object, ...]:
    """Creates, edits, deletes and a merge on both sides, synced with ``batch_size``."""
    net = Net()
    a = net.replica("A", b"\xaa" * 16)
    b = net.replica("B", b"\xbb" * 16)
    for i in range(8):
        a.put(card(f"p{i}", f"Person {i}", tel=str(i)))
    net.sync(a, b, batch_size=batch_size)
    for i in range(3):
        a.put(card(f"n{i}", f"New {i}"))
    a.put(card("p1", "Person 1", tel="11"))
    a.put(card("p2", "Person 2", tel="22"))
    a.remove(gid("p3"))
    b.put(card("m0", "From B"))
    b.put(card("p2", "Person 2", tel="2", email="p2@example.org"))
    b.remove(gid("p5"))
    result = net.sync(a, b, batch_size=batch_size)
    state = (
        result.status,
        result.to_a,
        result.to_b,
        result.merged,
        a.live(),
        b.live(),
        a.knowledge(),
        b.knowledge(),
    )
    net.close()
    return state


def test_final_state_does_not_depend_on_batch_size() -> None:
    states = [_scenario(size) for size in (1, 3, 500)]
    assert states[0][0] is Status.OK
    assert states[0][4] == states[0][5]
    assert states[0] == states[1] == states[2]


def test_a_rejected_write_is_reported_by_name_and_sent_again_later(net: Net) -> None:
    a, b = net.replica("A"), net.replica("B")
    for i in range(4):
        a.put(card(f"p{i}", f"Person {i}"))
    a.put(card("bad", "Rejected Person"))
    b.reject = {"bad"}

    result = net.sync(a, b)

    assert result.status is Status.FAILED
    assert [e.item for e in result.errors] == ["Rejected Person"]
    assert names(b) == [f"Person {i}" for i in range(4)]
    assert_knowledge_backed(a, b)
    still = net.sync(a, b)  # sent again while the store still refuses it
    assert [e.item for e in still.errors] == ["Rejected Person"]

    b.reject = set()
    retry = net.sync(a, b)

    assert retry.status is Status.OK
    assert retry.to_b.created == 1
    assert contacts(a) == contacts(b)


# -- tombstones and forgotten knowledge -------------------------------------------------------


def test_cleaned_tombstone_reaches_a_stale_replica_through_recovery(net: Net) -> None:
    a, b = pair(net, X, card("y", "Grace Hopper"))
    c = net.replica("C")
    net.sync(a, c)
    a.remove(gid("x"))
    net.sync(a, b)
    assert a.cleanup_tombstones(time.time() + 1) == 1
    assert a.lookup([gid("x")]) == {}

    result = net.sync(a, c)

    assert result.recovered
    assert result.status is Status.OK
    assert names(c) == ["Grace Hopper"]
    for one, two in ((b, c), (a, b), (c, a), (a, c)):
        assert net.sync(one, two).status is Status.OK
    for side in (a, b, c):
        assert names(side) == ["Grace Hopper"]


def test_edit_concurrent_with_a_forgotten_delete_still_converges(net: Net) -> None:
    a, b = pair(net, X, card("y", "Grace Hopper"))
    c = net.replica("C")
    net.sync(a, c)
    a.remove(gid("x"))
    net.sync(a, b)
    a.cleanup_tombstones(time.time() + 1)
    c.put(card("x", "Ada Lovelace", tel="9"))  # C never heard of the delete

    for _ in range(2):
        for one, two in ((a, c), (b, c), (a, b)):
            net.sync(one, two)

    assert contacts(a) == contacts(b) == contacts(c)


# -- history and converged content ------------------------------------------------------------


def test_overwritten_and_deleted_versions_go_to_history(net: Net) -> None:
    y = card("y", "Grace Hopper")
    a, b = pair(net, X, y)
    a.put(card("x", "Ada Lovelace", tel="2"))
    a.remove(gid("y"))

    net.sync(a, b)

    kept = {(r.store_name, r.label, r.reason): r.data for r in net.history.records}
    assert kept == {("B", "Ada Lovelace", "overwritten"): X, ("B", "Grace Hopper", "deleted"): y}
    assert all(r.partnership == "A-B" for r in net.history.records)


def test_same_content_created_on_both_sides_is_not_a_conflict(net: Net) -> None:
    a, b = net.replica("A"), net.replica("B")
    a.put(X)
    b.put(X)
    events = Events()

    result = net.sync(a, b, emit=events)

    assert result.status is Status.OK
    assert result.conflicts == 0
    assert [e.resolution for e in conflict_events(events)] == ["converged"]
    assert contacts(a) == contacts(b)
    assert len(contacts(a)) == 1
    assert quiet(net.sync(a, b))


def test_a_merged_rename_is_shown_under_its_new_name(net: Net) -> None:
    a, b = pair(net, X)
    a.put(card("x", "Ada Lovelace", tel="2"))
    b.put(card("x", "Ada King", tel="1"))  # B renames her, A changes her number
    assert net.sync(a, b).merged == 1
    assert names(a) == names(b) == ["Ada King"]

    a.put(card("x", "Ada King", tel="5"))
    net.sync(a, b)

    # History lists what it kept under the name of the card it would restore.
    assert [r.label for r in net.history.records] == [
        parse(r.data)["FN"] for r in net.history.records
    ]
    assert b.lookup([gid("x")])[gid("x")].label == "Ada King"


# -- a store that cannot take changes is never emptied by a full comparison -----------------


class _Limited(MemoryReplica):
    """A memory replica whose capabilities the test sets (read-only, or no deleting)."""

    caps = Capabilities()

    @property
    def capabilities(self) -> Capabilities:
        return self.caps


@pytest.mark.parametrize(
    "caps",
    [Capabilities(read_only=True, read_only_reason="test"), Capabilities(can_delete=False)],
    ids=["read-only", "cannot-delete"],
)
def test_a_recovery_pass_deletes_nothing_in_a_store_that_cannot_take_it(
    net: Net, caps: Capabilities
) -> None:
    """The source forgot a delete's tombstone, so the next pass compares every item; the
    changes the destination cannot take are held back, and must not look like items the
    source no longer lists (which a full comparison deletes)."""
    a = net.replica("A")
    b = _Limited("B", FMT)
    for i in range(3):
        a.put(card(f"u{i}", f"Name{i}"))
    assert net.sync(a, b).status is Status.OK
    b.caps = caps
    a.remove(gid("u0"))
    a.cleanup_tombstones(time.time() + 100)  # A no longer remembers the delete

    result = net.sync(a, b)

    assert result.to_b.deleted == 0
    assert names(b) == ["Name0", "Name1", "Name2"]  # nothing lost, not even Name0 yet
    assert "not applied" in result.errors[0].message
    b.caps = Capabilities()  # writable again: the delete follows, nothing else goes
    assert net.sync(a, b).to_b.deleted == 1
    assert names(b) == ["Name1", "Name2"]
