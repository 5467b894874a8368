"""Stores meeting: contacts new to each other are matched before anything is copied, so the
first sync of two address books holding the same people does not double them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syncgui.engine.events import Direction, Policy, Status
from syncgui.engine.matching import MatchLevel, MatchRule
from syncgui.engine.memory import MemoryReplica
from tests.engine.lineformat import parse
from tests.engine.support import Net, card, contacts, quiet


@pytest.fixture
def net() -> Iterator[Net]:
    n = Net()
    yield n
    n.close()


def people(replica: MemoryReplica) -> list[dict[str, str]]:
    """Each contact's fields without its UID, sorted: what the user sees, ignoring identity."""
    out = []
    for data in replica.live().values():
        f = parse(data)
        f.pop("UID")
        out.append(f)
    return sorted(out, key=lambda f: sorted(f.items()))


def stores(net: Net, a_cards: list[bytes], b_cards: list[bytes]) -> tuple[MemoryReplica, ...]:
    a, b = net.replica("A"), net.replica("B")
    for data in a_cards:
        a.put(data)
    for data in b_cards:
        b.put(data)
    return a, b


def test_the_same_people_under_other_uids_become_one_contact_each(net: Net) -> None:
    a, b = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org"), card("a2", "Bob Roe", tel="+1 555 0001")],
        [card("b1", "Ann Lee", email="ann@x.org"), card("b2", "Bob Roe", tel="+1 555 0001")],
    )
    result = net.sync(a, b)
    assert result.status is Status.OK
    assert len(result.matched) == 2
    assert {m.rule for m in result.matched} == {MatchRule.CONTENT}
    assert result.to_a.created == result.to_b.created == 0
    # each store keeps its own UID for the contact
    assert sorted(contacts(a)) == ["a1", "a2"]
    assert sorted(contacts(b)) == ["b1", "b2"]
    assert quiet(net.sync(a, b))


def test_the_same_person_with_different_fields_gets_the_union_on_both_sides(net: Net) -> None:
    a, b = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org", note="met in Rome")],
        [card("b1", "Ann Lee", email="ann@x.org", tel="+1 555 0001")],
    )
    result = net.sync(a, b)
    assert [m.rule for m in result.matched] == [MatchRule.PERSON]
    assert result.merged == 1
    assert people(a) == people(b)
    (merged,) = people(a)
    assert merged["NOTE"] == "met in Rome" and merged["TEL"] == "+1 555 0001"
    assert list(contacts(a)) == ["a1"] and list(contacts(b)) == ["b1"]
    assert quiet(net.sync(a, b))


def test_a_field_that_differs_is_a_real_conflict_and_a_winner_policy_picks_a_side(
    net: Net,
) -> None:
    a, b = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org", note="from A")],
        [card("b1", "Ann Lee", email="ann@x.org", note="from B")],
    )
    result = net.sync(a, b)
    assert len(result.matched) == 1
    assert result.conflicts == 1  # left for the user: no silent pick
    assert len(a.live()) == len(b.live()) == 1

    a2, b2 = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org", note="from A")],
        [card("b1", "Ann Lee", email="ann@x.org", note="from B")],
    )
    result = net.sync(a2, b2, policy=Policy.B_WINS)
    assert result.conflicts == 0
    assert [p["NOTE"] for p in people(a2) + people(b2)] == ["from B", "from B"]
    assert list(contacts(a2)) == ["a1"]


def test_an_ambiguous_match_is_listed_not_combined(net: Net) -> None:
    a, b = stores(
        net,
        [
            card("a1", "Ann Lee", email="ann@x.org", note="1"),
            card("a2", "Ann Lee", email="ann@x.org", note="2"),
        ],
        [card("b1", "Ann Lee", email="ann@x.org", note="3")],
    )
    result = net.sync(a, b)
    assert result.matched == []
    (possible,) = result.possible_duplicates
    assert len(possible.a) == 2 and len(possible.b) == 1
    assert possible.label == "Ann Lee"
    assert len(a.live()) == len(b.live()) == 3  # nothing combined: the user decides


@pytest.mark.parametrize(
    "other",
    [
        card("b1", "Ann Lee", email="other@x.org", tel="+1 555 0009"),  # only the name
        card("b1", "Bob Roe", email="bob@x.org", tel="+1 555 0001"),  # only the phone
    ],
)
def test_two_people_sharing_only_a_name_or_a_phone_stay_two(net: Net, other: bytes) -> None:
    a, b = stores(net, [card("a1", "Ann Lee", email="ann@x.org", tel="+1 555 0001")], [other])
    result = net.sync(a, b)
    assert result.matched == [] and result.possible_duplicates == []
    assert len(a.live()) == len(b.live()) == 2


def test_a_refused_match_is_copied_as_two_contacts(net: Net) -> None:
    a, b = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org")],
        [card("b1", "Ann Lee", email="ann@x.org", tel="1")],
    )
    dry = net.sync(a, b, dry_run=True)
    (match,) = dry.matched
    result = net.sync(a, b, refused_matches=frozenset({(match.a.gid, match.b.gid)}))
    assert result.matched == []
    assert len(a.live()) == len(b.live()) == 2


@pytest.mark.parametrize(
    ("level", "matched"),
    [(MatchLevel.NONE, 0), (MatchLevel.EXACT, 1), (MatchLevel.PEOPLE, 2)],
)
def test_the_match_level_chooses_how_far_matching_goes(
    net: Net, level: MatchLevel, matched: int
) -> None:
    a, b = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org"), card("a2", "Bob Roe", tel="1234567", note="x")],
        [card("b1", "Ann Lee", email="ann@x.org"), card("b2", "Bob Roe", tel="1234567")],
    )
    result = net.sync(a, b, match=level)
    assert len(result.matched) == matched
    assert len(a.live()) == len(b.live()) == 4 - matched


@pytest.mark.parametrize("policy", list(Policy))
def test_a_dry_run_writes_nothing_and_predicts_the_sync(net: Net, policy: Policy) -> None:
    def make() -> tuple[MemoryReplica, ...]:
        return stores(
            net,
            [
                card("a1", "Ann Lee", email="ann@x.org", note="A's note"),
                card("a2", "Bob Roe", tel="+1 555 0001"),
                card("a3", "Cy Dee", email="cy@x.org", note="only A"),
                card("a4", "Di Eve", email="di@x.org"),
            ],
            [
                card("b1", "Ann Lee", email="ann@x.org", note="B's note"),
                card("b2", "Bob Roe", tel="+1 555 0001"),
                card("b3", "Cy Dee", email="cy@x.org", tel="42"),
                card("b5", "Ed Fox", email="ed@x.org"),
            ],
        )

    a, b = make()
    before = (dict(a.live()), dict(b.live()), a.knowledge(), b.knowledge())
    dry = net.sync(a, b, dry_run=True, policy=policy)
    assert (dict(a.live()), dict(b.live()), a.knowledge(), b.knowledge()) == before
    real = net.sync(a, b, policy=policy)
    assert [m.a.key for m in dry.matched] == [m.a.key for m in real.matched] == ["a1", "a2", "a3"]
    assert (dry.to_a, dry.to_b) == (real.to_a, real.to_b)
    assert (dry.merged, dry.conflicts) == (real.merged, real.conflicts)


def test_a_one_way_session_does_not_duplicate_either(net: Net) -> None:
    a, b = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org", note="n")],
        [card("b1", "Ann Lee", email="ann@x.org", tel="1")],
    )
    result = net.sync(a, b, direction=Direction.A_TO_B)
    assert len(result.matched) == 1
    assert list(contacts(b)) == ["b1"]
    assert people(b) == [{"FN": "Ann Lee", "EMAIL": "ann@x.org", "NOTE": "n", "TEL": "1"}]
    assert people(a) == [{"FN": "Ann Lee", "EMAIL": "ann@x.org", "NOTE": "n"}]


def test_a_store_joining_a_synced_set_is_matched_and_the_set_stays_whole(net: Net) -> None:
    a, b = stores(
        net,
        [card("u1", "Ann Lee", email="ann@x.org"), card("u2", "Bob Roe", tel="5550001")],
        [],
    )
    assert net.sync(a, b).status is Status.OK
    c = net.replica("C")
    c.put(card("c1", "Ann Lee", email="ann@x.org", note="from C"))
    c.put(card("c2", "Bob Roe", tel="5550001"))
    assert len(net.sync(b, c).matched) == 2
    net.sync(a, c)
    net.sync(a, b)
    for replica in (a, b, c):
        assert len(replica.live()) == 2, replica.name
        assert [p.get("NOTE") for p in people(replica)] == ["from C", None]
    assert sorted(contacts(c)) == ["c1", "c2"]
    for x, y in ((a, b), (b, c), (a, c)):
        assert quiet(net.sync(x, y))


def test_two_synced_sets_meeting_end_with_one_contact_everywhere(net: Net) -> None:
    a, x = net.replica("A"), net.replica("X")
    b, c = net.replica("B"), net.replica("C")
    a.put(card("a1", "Ann Lee", email="ann@x.org", note="A"))
    b.put(card("b1", "Ann Lee", email="ann@x.org", tel="1"))
    net.sync(a, x)
    net.sync(b, c)
    assert len(net.sync(a, b).matched) == 1
    for _ in range(2):
        net.sync(a, x)
        net.sync(b, c)
        net.sync(a, b)
    for replica in (a, b, c, x):
        assert people(replica) == [{"FN": "Ann Lee", "EMAIL": "ann@x.org", "NOTE": "A", "TEL": "1"}]


@pytest.mark.parametrize("fresh_first", [True, False], ids=["fresh-is-a", "fresh-is-b"])
def test_a_store_synced_to_an_empty_one_meeting_a_fresh_one_changes_nothing_there(
    net: Net, fresh_first: bool
) -> None:
    """A folder backed up to an empty phone, then paired with an online address book that
    holds the same people: the phone sees no delete and no new copy."""
    folder, phone = net.replica("F"), net.replica("P")
    folder.put(card("f1", "Ann Lee", email="ann@x.org"))
    folder.put(card("f2", "Bob Roe", tel="5550001"))
    net.sync(folder, phone)
    online = net.replica("N")
    online.put(card("n1", "Ann Lee", email="ann@x.org", note="online"))
    online.put(card("n2", "Bob Roe", tel="5550001"))
    pair = (online, folder) if fresh_first else (folder, online)
    assert len(net.sync(*pair).matched) == 2
    result = net.sync(folder, phone)
    assert (result.to_b.deleted, result.to_b.created, result.to_b.updated) == (0, 0, 1)
    assert sorted(contacts(phone)) == ["f1", "f2"]
    assert sorted(contacts(online)) == ["n1", "n2"]
    for replica in (folder, phone, online):
        assert [p.get("NOTE") for p in people(replica)] == ["online", None]


def test_a_pair_with_the_same_content_is_agreed_at_once_and_merges_later_with_a_base(
    net: Net,
) -> None:
    """Nothing passes for cards that say the same; their version is the common base, so
    later edits merge as for any synced contact (a removed value stays removed)."""
    a, b = stores(
        net,
        [card("a1", "Ann Lee", email="ann@x.org", note="n", tel="1")],
        [card("b1", "Ann Lee", email="ann@x.org", note="n", tel="1")],
    )
    first = net.sync(a, b)
    assert [m.rule for m in first.matched] == [MatchRule.CONTENT]
    assert quiet(first)
    a.put(card("a1", "Ann Lee", email="ann@x.org", note="edited on A", tel="1"))
    b.put(card("b1", "Ann Lee", email="ann@x.org", note="n"))  # TEL removed on B
    result = net.sync(a, b)
    assert (result.conflicts, result.merged) == (0, 1)
    assert (
        people(a) == people(b) == [{"FN": "Ann Lee", "EMAIL": "ann@x.org", "NOTE": "edited on A"}]
    )
    assert list(contacts(a)) == ["a1"] and list(contacts(b)) == ["b1"]
