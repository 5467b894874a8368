"""Stateful property test of the ``merge`` policy over stores of different kinds, in rings.

Each store edits only its own field of a contact (``OWNED``: in :class:`MergeMachine` the
memory replica NOTE, the folder TEL, the ``.vcf`` file EMAIL; in :class:`PhoneMergeMachine`
the phone TEL, the folder NOTE, the file EMAIL, the memory replica ORG), so two edits never
touch the same field and no merge should ever clash, lose an edit or bring an old value back
(a TEL edited twice must not come back beside the new number). The model is, for each
store, contact and field, the number of the field owner's write it holds: a sync gives each
destination, field by field, the later of the two writes, whether the engine merges or
copies.

The machines run every partnership of their topology (:data:`tests.sync_stores.TRIANGLE`,
:data:`tests.sync_stores.PHONE_RING`: between them every two kinds of store are partners) in
every mode: two-way, one-way either way, both one-way passes in reverse order, and the
separate one-way partnership a user adds beside the two-way one. Every conflict must end
"merged" (or "converged"), never "deferred" or with a winner. At the end every partnership
syncs both ways, round after round (at least two), until every store holds every edit and
both sides of every partnership know the same; one more round must move nothing.

The default run is fixed (derandomized) and must reach merges in both directions of every
partnership and in every kind of session (:meth:`MergeRules.must_reach`); ``scripts/soak``
runs the machines with fresh seeds. The tests at the end are minimal reproductions of what
the machine found, all fixed.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from syncgui.engine.events import ConflictFound, Direction, Policy, Status
from tests.sync_model import Fields
from tests.sync_stores import PHONE_RING, TRIANGLE, parse
from tests.sync_support import (
    PARTNERS,
    PICK,
    SESSION_KINDS,
    SESSIONS,
    STORE,
    THEN,
    MemoryNet,
    StoresMachine,
    machine_test,
    statistic,
    sync_rule,
    x_card,
    x_fields,
)

MERGE = st.just(Policy.MERGE)


def merge_value(prop: str, n: int, i: int) -> str:
    """Write number ``i`` of ``prop`` for contact ``n``: unique, in the owner's order."""
    if prop == "NOTE":
        return f"note {n}.{i}"
    if prop == "TEL":
        return f"+1555{n:03d}{i:04d}"
    if prop == "ORG":
        return f"Org {n}.{i}"
    return f"c{n}.v{i}@example.org"


class MergeRules(StoresMachine):
    """Create, edit one's own field, and sync with the merge policy (see the module doc);
    the subclasses name the field each store owns and add one sync rule per partnership."""

    OWNED: ClassVar[dict[str, str]]  # the one field each store edits

    def __init__(self) -> None:
        super().__init__()
        # store -> contact -> field -> number of the owner's write it holds
        self.held: dict[str, dict[str, dict[str, int]]] = {n: {} for n in self.stores.names}
        self.number: dict[str, int] = {}
        self.merges = 0

    @classmethod
    def must_reach(cls) -> dict[str, int]:
        pairs = cls.TOPOLOGY.pairs
        return {
            **{f"merged {s}->{d}": 3 for a, b in pairs for s, d in ((a, b), (b, a))},
            **{f"merged in a {how}": 10 for how in set(SESSION_KINDS.values())},
        }

    def fields(self, uid: str, writes: dict[str, int]) -> Fields:
        n = self.number[uid]
        values = {prop: merge_value(prop, n, i) for prop, i in writes.items()}
        return tuple(sorted({"FN": f"Person {n}", **values}.items()))

    @initialize(start=st.lists(STORE, max_size=4), spread=st.booleans())
    def setup(self, start: list[str], spread: bool) -> None:
        self.dirty = True
        for where in start:
            self.create(where)
        if spread:
            for pair in (*self.stores.pairs, *self.stores.pairs):
                self.sync(pair, "two-way", Policy.MERGE)

    @rule(where=STORE)
    def create(self, where: str) -> None:
        self.dirty = True
        uid, n = self.new_uid()
        self.number[uid] = n
        self.held[where][uid] = dict.fromkeys(self.OWNED.values(), 0)
        self.stores.write(where, uid, self.fields(uid, self.held[where][uid]))

    @rule(where=STORE, pick=PICK)
    def edit(self, where: str, pick: int) -> None:
        """The store changes its own field of one of its contacts."""
        self.dirty = True
        mine = sorted(self.held[where])
        if mine:
            self.edit_one(where, mine[pick % len(mine)])

    def edit_one(self, where: str, uid: str) -> None:
        prop = self.OWNED[where]
        writes = self.held[where][uid]
        writes[prop] = 1 + max(h[uid][prop] for h in self.held.values() if uid in h)
        self.stores.write(where, uid, self.fields(uid, writes))

    @rule(stores=PARTNERS, pick=PICK, then=THEN)
    def concurrent(self, stores: tuple[str, str], pick: int, then: str | None) -> None:
        """Both sides of a partnership change their own field of a contact both hold, and
        maybe sync at once in mode ``then`` (so that merges are frequent on every partnership
        and in both directions)."""
        self.dirty = True
        a, b = stores
        both = sorted(set(self.held[a]) & set(self.held[b]))
        if both:
            uid = both[pick % len(both)]
            self.edit_one(a, uid)
            self.edit_one(b, uid)
        if then is not None:
            self.sync(stores, then, Policy.MERGE)

    def sync(self, pair: tuple[str, str], mode: str, policy: Policy) -> None:
        self.dirty = True
        for direction, apart in SESSIONS[mode]:
            self.session(*pair, direction, apart=apart)

    def session(self, a: str, b: str, direction: Direction, *, apart: bool = False) -> None:
        settings = self.stores.settings(a, b, Policy.MERGE, direction=direction, apart=apart)
        result, events = self.stores.sync(a, b, settings)
        legs = {Direction.A_TO_B: [(a, b)], Direction.B_TO_A: [(b, a)]}
        for src, dst in legs.get(direction, [(a, b), (b, a)]):
            for uid, writes in self.held[src].items():
                mine = self.held[dst].setdefault(uid, dict(writes))
                for prop, i in writes.items():
                    mine[prop] = max(mine[prop], i)
        settled = []
        for e in events:
            if isinstance(e, ConflictFound):
                settled.append((self.uid_of(e.gid), e.direction, e.resolution))
                src, dst = (a, b) if e.direction == "a->b" else (b, a)
                self.reach(f"{e.resolution} {src}->{dst}")
                self.reach(f"{e.resolution} in a {SESSION_KINDS[direction, apart]}")
                self.merges += 1
        assert all(how in ("merged", "converged") for _uid, _way, how in settled), (
            f"{a}-{b} {direction.value}: edits of different fields did not merge: {settled}"
        )
        assert result.status is Status.OK and not result.errors, (result.status, result.errors)

    @invariant()
    def agrees_with_model(self) -> None:
        """Every store holds each contact once, with exactly the writes the model says."""
        for name in self.stores.names:
            cards = self.stores.contents(name)
            assert sorted(cards) == sorted(self.held[name]), f"{name} holds {sorted(cards)}"
            for uid, found in cards.items():
                assert len(found) == 1, f"{name} holds {uid} {len(found)} times"
                want = self.fields(uid, self.held[name][uid])
                got = parse(found[0])[1]
                assert got == want, f"{name} holds {uid} as {got}, expected {want}"
            assert not self.stores.replicas[name].conflicts(), f"{name} keeps conflicts"
        self.dirty = False

    def converge(self) -> None:
        statistic(f"merges before the final round: {self.merges // 5 * 5}+")
        latest = {
            uid: {
                p: max(h[uid][p] for h in self.held.values() if uid in h)
                for p in self.OWNED.values()
            }
            for uid in self.number
        }
        for rounds in range(1, 7):
            for a, b in self.stores.pairs:
                self.session(a, b, Direction.TWO_WAY)
            self.agrees_with_model()
            settled = all(self.held[name] == latest for name in self.stores.names)
            if rounds >= 2 and settled and self.partners_agree():
                break
        statistic(f"rounds to converge: {rounds}")
        for name in self.stores.names:
            assert self.held[name] == latest, f"{name} did not get every edit"
        assert self.partners_agree(), "the stores' knowledge did not converge"
        for a, b in self.stores.pairs:
            result, events = self.stores.sync(a, b, self.stores.settings(a, b, Policy.MERGE))
            moved = [(c.created, c.updated, c.deleted) for c in (result.to_a, result.to_b)]
            assert moved == [(0, 0, 0), (0, 0, 0)], f"{a}-{b} still moves {moved}"
            assert not [e for e in events if isinstance(e, ConflictFound)]


class MergeMachine(MergeRules):
    """The memory replica, a folder and a ``.vcf`` file in a ring."""

    TOPOLOGY = TRIANGLE
    OWNED: ClassVar[dict[str, str]] = {"mem": "NOTE", "vdir": "TEL", "vcf": "EMAIL"}
    sync_mem_vdir = sync_rule("mem", "vdir", MERGE)
    sync_vdir_vcf = sync_rule("vdir", "vcf", MERGE)
    sync_vcf_mem = sync_rule("vcf", "mem", MERGE)


class PhoneMergeMachine(MergeRules):
    """The phone, a folder, a ``.vcf`` file and the memory replica: the ring phone - folder -
    address book, and the ring phone - folder - file."""

    TOPOLOGY = PHONE_RING
    OWNED: ClassVar[dict[str, str]] = {"phone": "TEL", "vdir": "NOTE", "vcf": "EMAIL", "mem": "ORG"}
    sync_phone_vdir = sync_rule("phone", "vdir", MERGE)
    sync_vdir_mem = sync_rule("vdir", "mem", MERGE)
    sync_mem_phone = sync_rule("mem", "phone", MERGE)
    sync_vdir_vcf = sync_rule("vdir", "vcf", MERGE)
    sync_vcf_phone = sync_rule("vcf", "phone", MERGE)


TestMergeMachine = machine_test(MergeMachine, examples=200, steps=25)
TestPhoneMergeMachine = machine_test(PhoneMergeMachine, examples=200, steps=25)


# -- minimal reproductions of what the machine found ------------------------------------------


def test_one_way_merge_does_not_undo_the_destinations_edit() -> None:
    net = MemoryNet()
    a, b = net.replicas("AB")
    a.put(x_card(NOTE="n0", EMAIL="e0@example.org"))
    net.sync(a, b, Policy.MERGE)
    a.put(x_card(NOTE="n1", EMAIL="e0@example.org"))
    b.put(x_card(NOTE="n0", EMAIL="e1@example.org"))
    net.sync(a, b, Policy.MERGE, Direction.A_TO_B)  # B: n1 and e1; base := that, A has n1 e0
    a.put(x_card(NOTE="n2", EMAIL="e0@example.org"))

    settled = net.sync(a, b, Policy.MERGE)

    assert [e.resolution for e in settled] == ["merged"]
    want = {"FN": "Ada", "NOTE": "n2", "EMAIL": "e1@example.org"}
    assert x_fields(a) == x_fields(b) == want


@pytest.mark.parametrize("prop", ["NOTE", "TEL"])
def test_merge_in_a_ring_keeps_the_latest_value_of_a_field(prop: str) -> None:
    # A alone writes ``prop``, B alone ORG, C alone EMAIL.
    def version(value: str, org: str = "o0", email: str = "e0@example.org") -> bytes:
        return x_card(**{prop: value, "ORG": org, "EMAIL": email})

    net = MemoryNet()
    a, b, c = net.replicas("ABC")
    a.put(version("0"))
    for one, two in ((a, b), (b, c), (c, a)):
        net.sync(one, two, Policy.MERGE)  # every partnership agrees on the first version
    a.put(version("1"))
    net.sync(a, b, Policy.MERGE)  # B: 1
    b.put(version("1", org="o1"))
    a.put(version("2"))
    net.sync(c, a, Policy.MERGE)  # C: 2, which replaced 1
    c.put(version("2", email="e1@example.org"))

    settled = net.sync(b, c, Policy.MERGE)

    assert [e.resolution for e in settled] == ["merged"]
    want = {"FN": "Ada", prop: "2", "ORG": "o1", "EMAIL": "e1@example.org"}
    assert x_fields(b) == x_fields(c) == want
