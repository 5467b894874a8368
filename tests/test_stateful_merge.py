"""Stateful property test of the ``merge`` policy over three stores of different kinds.

Each replica edits only its own field of a contact (the memory replica NOTE, the folder TEL,
the ``.vcf`` file EMAIL), so two edits never touch the same field and no merge should ever
clash, lose an edit or bring an old value back. The model is, for each replica, contact
and field, the number of the field owner's write it holds: a sync gives each destination,
field by field, the later of the two writes, whether the engine merges or copies.

The machine runs over the chain mem - vdir - vcf with two-way syncs: the ring and single
one-way sessions run into the merge-base bugs pinned by the xfail tests at the end
(``SYNCGUI_STATEFUL_STRICT=1`` runs them too).
"""

from __future__ import annotations

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from syncgui.engine.events import ConflictFound, Direction, Policy, Status
from tests.sync_model import Fields
from tests.sync_stores import NAMES, PAIRS, parse
from tests.sync_support import (
    MODES,
    PICK,
    SESSIONS,
    STRICT,
    MemoryNet,
    StoresMachine,
    machine_settings,
    x_card,
    x_fields,
)

OWNED = {"mem": "NOTE", "vdir": "TEL", "vcf": "EMAIL"}  # the one field each replica edits
# The merge base of a partnership is the last card its two sides agreed on, which in a ring
# is not always their latest common version, and which a one-way merge sets wrongly.
MERGE_PAIRS = PAIRS if STRICT else PAIRS[:2]
MERGE_MODES = MODES if STRICT else ("two-way", "b-then-a")


def merge_value(prop: str, n: int, i: int) -> str:
    """Write number ``i`` of ``prop`` for contact ``n``: unique, in the owner's order."""
    if prop == "NOTE":
        return f"note {n}.{i}"
    if prop == "TEL":
        return f"+1555{n:03d}{i:04d}"
    return f"c{n}.v{i}@example.org"


class MergeMachine(StoresMachine):
    """Create, edit one's own field, and sync with the merge policy (see the module doc)."""

    def __init__(self) -> None:
        super().__init__()
        # replica -> contact -> field -> number of the owner's write it holds
        self.held: dict[str, dict[str, dict[str, int]]] = {name: {} for name in NAMES}
        self.number: dict[str, int] = {}

    def fields(self, uid: str, writes: dict[str, int]) -> Fields:
        n = self.number[uid]
        values = {prop: merge_value(prop, n, i) for prop, i in writes.items()}
        return tuple(sorted({"FN": f"Person {n}", **values}.items()))

    @initialize(start=st.lists(st.sampled_from(NAMES), max_size=4), spread=st.booleans())
    def setup(self, start: list[str], spread: bool) -> None:
        self.dirty = True
        for where in start:
            self.create(where)
        if spread:
            for pair in (*MERGE_PAIRS, *MERGE_PAIRS):
                self.sync(pair, "two-way")

    @rule(where=st.sampled_from(NAMES))
    def create(self, where: str) -> None:
        self.dirty = True
        uid, n = self.new_uid()
        self.number[uid] = n
        self.held[where][uid] = dict.fromkeys(OWNED.values(), 0)
        self.stores.write(where, uid, self.fields(uid, self.held[where][uid]))

    @rule(where=st.sampled_from(NAMES), pick=PICK)
    def edit(self, where: str, pick: int) -> None:
        """The replica changes its own field of one of its contacts."""
        self.dirty = True
        mine = sorted(self.held[where])
        if mine:
            uid = mine[pick % len(mine)]
            prop = OWNED[where]
            writes = self.held[where][uid]
            writes[prop] = 1 + max(h[uid][prop] for h in self.held.values() if uid in h)
            self.stores.write(where, uid, self.fields(uid, writes))

    @rule(mode=st.sampled_from(MERGE_MODES))
    def sync_mem_vdir(self, mode: str) -> None:
        self.sync(PAIRS[0], mode)

    @rule(mode=st.sampled_from(MERGE_MODES))
    def sync_vdir_vcf(self, mode: str) -> None:
        self.sync(PAIRS[1], mode)

    if STRICT:

        @rule(mode=st.sampled_from(MERGE_MODES))
        def sync_vcf_mem(self, mode: str) -> None:
            self.sync(PAIRS[2], mode)

    def sync(self, pair: tuple[str, str], mode: str) -> None:
        self.dirty = True
        for direction in SESSIONS[mode]:
            self.session(*pair, direction)

    def session(self, a: str, b: str, direction: Direction) -> None:
        settings = self.stores.settings(a, b, Policy.MERGE, direction=direction)
        result, events = self.stores.sync(a, b, settings)
        legs = {Direction.A_TO_B: [(a, b)], Direction.B_TO_A: [(b, a)]}
        for src, dst in legs.get(direction, [(a, b), (b, a)]):
            for uid, writes in self.held[src].items():
                mine = self.held[dst].setdefault(uid, dict(writes))
                for prop, i in writes.items():
                    mine[prop] = max(mine[prop], i)
        settled = [
            (self.uid_of(e.gid), e.resolution) for e in events if isinstance(e, ConflictFound)
        ]
        for _uid, how in settled:
            event(f"merge conflict -> {how}")
        assert all(how in ("merged", "converged") for _uid, how in settled), (
            f"{a}-{b} {direction.value}: edits of different fields did not merge: {settled}"
        )
        assert result.status is Status.OK and not result.errors, (result.status, result.errors)

    @invariant()
    def agrees_with_model(self) -> None:
        """Every store holds each contact once, with exactly the writes the model says."""
        for name in NAMES:
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
        for _ in range(2):
            for a, b in MERGE_PAIRS:
                self.session(a, b, Direction.TWO_WAY)
                self.agrees_with_model()
        latest = {
            uid: {p: max(h[uid][p] for h in self.held.values() if uid in h) for p in OWNED.values()}
            for uid in self.number
        }
        for name in NAMES:
            assert self.held[name] == latest, f"{name} did not get every edit"
        for a, b in MERGE_PAIRS:
            result, events = self.stores.sync(a, b, self.stores.settings(a, b, Policy.MERGE))
            moved = [(c.created, c.updated, c.deleted) for c in (result.to_a, result.to_b)]
            assert moved == [(0, 0, 0), (0, 0, 0)], f"{a}-{b} still moves {moved}"
            assert not [e for e in events if isinstance(e, ConflictFound)]


TestMergeMachine = MergeMachine.TestCase
TestMergeMachine.settings = machine_settings(examples=100, steps=25)


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
