"""Stateful property tests: random edits and syncs over three replicas of different kinds.

:class:`SyncMachine` drives a memory replica, a vCard folder and a single ``.vcf`` file
(:mod:`tests.sync_stores`) with creates, edits, deletes, restores and random pairwise syncs
under the deterministic ``a-wins``/``b-wins`` policies, and checks after every step against
the causal-history model of :mod:`tests.sync_model` (properties 7-15 of the MSF notes):

(a) no lost updates: every store holds exactly what the model predicts;
(b) exact conflicts: the ConflictFound events of a session are exactly the model's conflicts;
(c) no resurrection: a contact whose delete a replica knows is live there only if a later
    change that knew the delete (a restore or a resolution) brought it back;
(d) knowledge never runs ahead of data (nor lags behind it): a replica's knowledge contains
    another replica's version of a contact iff the model says it has seen that version.

At the end every partnership in the ring syncs both ways twice; then all stores must hold the
same cards (compared with ``VCardFormat.same``) and one more round must transfer nothing.

The tests at the end pin the engine bugs the machine found, as minimal reproductions; the
machine stops modelling a contact that runs into one (``SYNCGUI_STATEFUL_STRICT=1`` makes it
fail instead). The ``merge`` policy has its own machine in :mod:`tests.test_stateful_merge`.
"""

from __future__ import annotations

import time

from hypothesis import event, target
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from syncgui.engine.events import ConflictFound, Direction, Event, Policy, Status
from syncgui.engine.ids import Version, gid_for_uid
from tests.sync_model import GHOST_BUG, Clock, Conflict, Fields, ReplicaModel, one_way
from tests.sync_model import Event as Change
from tests.sync_stores import NAMES, PAIRS, parse, same_content
from tests.sync_support import (
    MODES,
    PICK,
    SESSIONS,
    STRICT,
    MemoryNet,
    StoresMachine,
    X,
    machine_settings,
    x_card,
    x_fields,
)

TOLERATED = frozenset() if STRICT else frozenset({GHOST_BUG})
WINNER_POLICIES = st.sampled_from([Policy.A_WINS, Policy.B_WINS])


def with_field(fields: Fields, key: str, value: str) -> Fields:
    return tuple(sorted({**dict(fields), key: value}.items()))


class SyncMachine(StoresMachine):
    """Create, edit, delete, restore and sync under a-wins/b-wins (see the module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.models = {name: ReplicaModel(name) for name in NAMES}
        # edits made in the folder or the file that no sync has detected yet, by UID
        self.pending: dict[str, dict[str, list[Change]]] = {"vdir": {}, "vcf": {}}
        self.policies = {pair: Policy.A_WINS for pair in PAIRS}
        self.tainted: set[str] = set()
        self.versions: dict[Version, int] = {}  # engine version -> model event id
        self.version_of: dict[int, Version] = {}
        self.syncs = 0
        self.steps = 0
        self.conflicts = 0

    @initialize(
        policies=st.tuples(WINNER_POLICIES, WINNER_POLICIES, WINNER_POLICIES),
        start=st.lists(st.sampled_from(NAMES), max_size=6),
        spread=st.booleans(),
    )
    def setup(
        self, policies: tuple[Policy, Policy, Policy], start: list[str], spread: bool
    ) -> None:
        """Fix each partnership's policy; create a few contacts and maybe sync them around,
        so that edits and conflicts can happen from the first steps."""
        self.dirty = True
        self.policies = dict(zip(PAIRS, policies, strict=True))
        for where in start:
            self.create(where)
        if spread:
            for pair in (*PAIRS, PAIRS[0]):
                self.sync(pair, "two-way")

    # -- what each store shows ------------------------------------------------------------

    def view(self, name: str) -> dict[str, Fields | None]:
        """Each modelled contact's content as the store shows it now (None: deleted)."""
        out = {u: h.version.content for u, h in self.models[name].held.items()}
        for uid, events in self.pending.get(name, {}).items():
            out[uid] = events[-1].content
        return {u: c for u, c in out.items() if u not in self.tainted}

    def pick(self, name: str, pick: int, *, live: bool) -> str | None:
        found = sorted(u for u, c in self.view(name).items() if (c is not None) == live)
        return found[pick % len(found)] if found else None

    # -- rules ----------------------------------------------------------------------------

    @rule(where=st.sampled_from(NAMES))
    def create(self, where: str) -> None:
        self.dirty = True
        uid, n = self.new_uid()
        self.change(where, uid, "create", (("FN", f"Person {n}"), ("NOTE", f"created-{n}")))

    @rule(where=st.sampled_from(NAMES), pick=PICK)
    def edit(self, where: str, pick: int) -> None:
        self.dirty = True
        uid = self.pick(where, pick, live=True)
        if uid is not None:
            fields = self.view(where)[uid]
            assert fields is not None
            self.change(where, uid, "edit", with_field(fields, "NOTE", f"edit-{self.tick()}"))

    @rule(where=st.sampled_from(NAMES), pick=PICK)
    def delete(self, where: str, pick: int) -> None:
        self.dirty = True
        uid = self.pick(where, pick, live=True)
        if uid is not None:
            self.change(where, uid, "delete", None)

    @rule(where=st.sampled_from(NAMES), pick=PICK)
    def restore(self, where: str, pick: int) -> None:
        """Bring a deleted contact back under its old UID (from a backup, say)."""
        self.dirty = True
        uid = self.pick(where, pick, live=False)
        if uid is not None:
            n = uid.removeprefix("uid-")
            fields = (("FN", f"Person {n}"), ("NOTE", f"restored-{self.tick()}"))
            self.change(where, uid, "restore", fields)

    @rule(pick=PICK)
    def rename(self, pick: int) -> None:
        """Another program renames a card file in the folder: not a change at all."""
        self.dirty = True
        uid = self.pick("vdir", pick, live=True)
        if uid is not None:
            self.stores.rename(uid)

    # One rule per partnership: rules with fewer arguments come first in Hypothesis's rule
    # order, and three of them make syncs as frequent as edits.
    @rule(mode=st.sampled_from(MODES))
    def sync_mem_vdir(self, mode: str) -> None:
        self.sync(PAIRS[0], mode)

    @rule(mode=st.sampled_from(MODES))
    def sync_vdir_vcf(self, mode: str) -> None:
        self.sync(PAIRS[1], mode)

    @rule(mode=st.sampled_from(MODES))
    def sync_vcf_mem(self, mode: str) -> None:
        self.sync(PAIRS[2], mode)

    def sync(self, pair: tuple[str, str], mode: str) -> None:
        self.dirty = True
        self.syncs += 1
        for direction in SESSIONS[mode]:
            self.session(*pair, direction)

    def tick(self) -> int:
        return self.clock.count + 1

    def change(self, where: str, uid: str, kind: str, fields: Fields | None) -> None:
        if where == "mem":
            self.models[where].local(self.clock, uid, kind, fields)
        else:
            held = self.models[where].held.get(uid)
            waiting = self.pending[where].setdefault(uid, [])
            past = (held.known if held else frozenset()) | {e.id for e in waiting}
            now = waiting[-1] if waiting else held.created if held else None
            same = now.incarnation if now and kind in ("edit", "delete") else None
            waiting.append(self.clock.event(where, kind, fields, past, same))
        self.stores.write(where, uid, fields)

    # -- one session, run on the stores and on the model ----------------------------------

    def detect(self, name: str) -> None:
        """The model side of change detection: what was edited in the store since the last
        sync becomes one new version per contact."""
        model = self.models[name]
        for uid, events in self.pending.get(name, {}).items():
            held = model.held.get(uid)
            if (held is None or not held.live) and events[-1].content is None:
                continue  # created and deleted again between two syncs: never seen
            model.record_local(uid, events[-1], events)
        self.pending.get(name, {}).clear()

    def session(self, a: str, b: str, direction: Direction) -> None:
        policy = self.policies[(a, b)]
        result, events = self.stores.sync(
            a, b, self.stores.settings(a, b, policy, direction=direction)
        )
        self.detect(a)
        self.detect(b)
        legs = {Direction.A_TO_B: [("a", a, b)], Direction.B_TO_A: [("b", b, a)]}
        expected: list[Conflict] = []
        counts = {}
        for side, src, dst in legs.get(direction, [("a", a, b), ("b", b, a)]):
            out = one_way(
                self.models[src],
                self.models[dst],
                side,
                "a" if policy is Policy.A_WINS else "b",
                self.clock,
                skip=self.tainted.__contains__,
            )
            if GHOST_BUG in TOLERATED:
                for uid in out.ghosted:
                    self.tainted.add(uid)
                    event("contact dropped from the model: known ghost bug")
            expected += out.conflicts
            for c in out.conflicts:
                event(f"conflict {c.kind} -> {c.resolution}")
            self.conflicts += len(out.conflicts)
            counts[dst] = (out.created, out.updated, out.deleted)
        assert result.status is Status.OK and not result.errors, (result.status, result.errors)
        self.check_conflicts(events, expected)
        if not self.tainted:  # counts cannot tell a dropped contact's changes apart
            actual = {b: result.to_b, a: result.to_a}
            for dst, want in counts.items():
                got = actual[dst]
                assert (got.created, got.updated, got.deleted) == want, (
                    f"{a}-{b} {direction.value}: changes applied to {dst} "
                    f"(created, updated, deleted) {got} but the model expects {want}"
                )

    def check_conflicts(self, events: list[Event], expected: list[Conflict]) -> None:
        """(b): exactly the model's conflicts were reported, once each, settled as expected.

        Two replicas that hold the same content under concurrent versions are a conflict
        to the model too (neither history contains the other); the engine reports it as
        "converged" and keeps the source's version without a new one, and so does the model
        (see :func:`tests.sync_model.one_way`)."""
        found = sorted(
            (e.direction, uid, e.kind, e.resolution)
            for e in events
            if isinstance(e, ConflictFound) and (uid := self.uid_of(e.gid)) not in self.tainted
        )
        want = sorted(
            (c.direction, c.uid, c.kind, c.resolution)
            for c in expected
            if c.uid not in self.tainted
        )
        assert found == want, f"conflicts reported {found}, expected {want}"

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def agrees_with_model(self) -> None:
        for name in NAMES:
            self.check_store(name)
        rows = {name: self.check_metadata(name) for name in NAMES}
        for name in NAMES:
            self.check_knowledge(name, rows)
        self.steps += 1
        self.dirty = False

    def check_store(self, name: str) -> None:
        """(c) then (a): what the store holds, card by card, against the model."""
        view = self.view(name)
        model = self.models[name]
        cards = self.stores.contents(name)
        for uid, found in cards.items():
            if uid in self.tainted:
                continue
            assert len(found) == 1, f"{name} holds {uid} {len(found)} times"
            if view.get(uid) is None:
                held = model.held.get(uid)
                seen = "never saw it" if held is None else f"knows its delete {held.version}"
                raise AssertionError(f"{uid} resurrected in {name}, which {seen}")
            self.check_revival(name, uid)
            got = parse(found[0])[1]
            assert got == view[uid], f"{name} holds {uid} as {got}, expected {view[uid]}"
        missing = sorted(u for u, c in view.items() if c is not None and u not in cards)
        assert not missing, f"{name} lost {missing}"

    def check_revival(self, name: str, uid: str) -> None:
        """(c) in the model's terms: each delete of a live contact that the replica knows
        was seen by a later live change (a restore or a resolution) that brought it back.

        Two replicas that delete the same incarnation concurrently made one decision: a
        restore that saw either delete answers both (the engine, like MSF, lets it replace
        a tombstone it has seen without a conflict)."""
        held = self.models[name].held.get(uid)
        known = (held.known if held else frozenset()) | {
            e.id for e in self.pending.get(name, {}).get(uid, [])
        }
        events = self.clock.events
        seen_deleted = {
            events[j].incarnation
            for i in known
            if events[i].content is not None
            for j in events[i].past
            if events[j].content is None
        }
        for gone in (events[i] for i in known if events[i].content is None):
            assert gone.incarnation in seen_deleted, (
                f"{uid} is live in {name} although nothing after its delete {gone} revived it"
            )

    def check_metadata(self, name: str) -> dict[str, Version]:
        """Each engine row against the model: the same contacts, tombstones and versions
        (an engine version stands for one model event, everywhere)."""
        model = self.models[name]
        rows: dict[str, Version] = {}
        for meta in self.stores.replicas[name].all_items():
            uid = meta.uid
            if uid in self.tainted:
                continue
            assert meta.gid == gid_for_uid(uid), f"{name} keeps {uid} as a separate item"
            assert uid not in rows, f"{name} has two rows for {uid}"
            held = model.held.get(uid)
            assert held is not None and not held.ghost, f"{name} has a row for {uid}"
            assert meta.deleted == (not held.live), f"{name}: {uid} deleted={meta.deleted}"
            self.same_event(meta.version, held.version.id, f"{name}: version of {uid}")
            if held.live:
                self.same_event(meta.created, held.created.id, f"{name}: creation of {uid}")
            rows[uid] = meta.version
        for uid, held in model.held.items():
            if uid not in self.tainted and not held.ghost:
                assert uid in rows, f"{name} has no row for {uid}"
        return rows

    def same_event(self, version: Version, event: int, what: str) -> None:
        known = self.versions.setdefault(version, event)
        assert known == event, f"{what} is {version}, which stands for e{known}, not e{event}"
        other = self.version_of.setdefault(event, version)
        assert other == version, f"{what}: e{event} is {other} elsewhere, here {version}"

    def check_knowledge(self, name: str, rows: dict[str, dict[str, Version]]) -> None:
        """(d): this replica's knowledge contains another replica's current version of a
        contact exactly when the model says it has seen that version."""
        knowledge = self.stores.replicas[name].knowledge()
        model = self.models[name]
        for other, versions in rows.items():
            if other == name:
                continue
            for uid, version in versions.items():
                held = model.held.get(uid)
                seen = held is not None and self.versions[version] in held.known
                has = knowledge.contains(gid_for_uid(uid), version)
                assert has or not seen, (
                    f"{name} has seen {other}'s {uid} {version} but its knowledge lacks it"
                )
                assert seen or not has, (
                    f"{name}'s knowledge contains {other}'s {uid} "
                    f"{version} but it does not hold that version (knowledge ahead of data)"
                )

    # -- the end: every pair in the ring syncs both ways twice ----------------------------

    def converge(self) -> None:
        event(f"contacts: {self.made // 4 * 4}+")
        event(f"modelled contacts dropped: {len(self.tainted)}")
        event(f"syncs: {self.syncs // 5 * 5}+")
        event(f"steps: {self.steps // 10 * 10}+")
        target(float(self.conflicts), label="conflicts before the final round")
        for _ in range(2):
            for a, b in PAIRS:
                self.session(a, b, Direction.TWO_WAY)
                self.agrees_with_model()
        views = {name: self.view(name) for name in NAMES}
        assert views["mem"] == views["vdir"] == views["vcf"], "the model did not converge"
        contents = {
            name: {u: c for u, c in self.stores.contents(name).items() if u not in self.tainted}
            for name in NAMES
        }
        for a, b in PAIRS:
            assert same_content(contents[a], contents[b]), f"{a} and {b} differ"
            ka, kb = self.stores.replicas[a].knowledge(), self.stores.replicas[b].knowledge()
            assert ka.contains_knowledge(kb) and kb.contains_knowledge(ka), (a, b)
        for a, b in PAIRS:
            result, events = self.stores.sync(
                a, b, self.stores.settings(a, b, self.policies[(a, b)])
            )
            moved = [(c.created, c.updated, c.deleted) for c in (result.to_a, result.to_b)]
            assert moved == [(0, 0, 0), (0, 0, 0)], f"{a}-{b} still moves {moved}"
            assert not [e for e in events if isinstance(e, ConflictFound)]
            assert result.status is Status.OK


TestSyncMachine = SyncMachine.TestCase
TestSyncMachine.settings = machine_settings(examples=200, steps=30)


class PhoneSyncMachine(SyncMachine):
    """The same, with the folder on the virtual phone: the MTP store, its journal and the
    sync state kept on the phone and re-read at every session."""

    PHONE = True


TestPhoneSyncMachine = PhoneSyncMachine.TestCase
TestPhoneSyncMachine.settings = machine_settings(examples=60, steps=30)


# -- minimal reproductions of what the machine found ------------------------------------------


def test_ghost_delete_passed_on_by_a_replica_that_never_had_the_contact() -> None:
    net = MemoryNet()
    a, b, c = net.replicas("ABC")
    a.put(x_card(NOTE="1"))
    net.sync(a, b)
    a.remove(X)
    delete = a.lookup([X])[X].version
    net.sync(a, c)  # C never had X: the delete is "ignored" and learned
    net.sync(c, b)  # C sends nothing for X, B learns C's knowledge
    # (d) knowledge ahead of data: B holds X live but its knowledge contains the delete
    assert not (b.data(X) is not None and b.knowledge().contains(X, delete))
    net.sync(a, b)  # A's delete is now "obsolete" at B
    assert b.data(X) is None


def test_ghost_undoes_a_revival_that_knew_the_delete() -> None:
    net = MemoryNet()
    a, b, c = net.replicas("ABC")
    a.put(x_card(NOTE="1"))
    net.sync(a, b)
    a.remove(X)
    b.put(x_card(NOTE="edited on B"))
    net.sync(a, c)  # C learns the delete without a tombstone
    settled = net.sync(a, b, Policy.B_WINS)  # B's edit wins: X lives on A and B
    assert [(e.kind, e.resolution) for e in settled] == [("update-delete", "b")]
    assert x_fields(a) == x_fields(b) == {"FN": "Ada", "NOTE": "edited on B"}

    settled = net.sync(b, c, Policy.B_WINS)  # the revival knew the delete: no conflict

    assert settled == []
    assert x_fields(b) == x_fields(c) == {"FN": "Ada", "NOTE": "edited on B"}


def test_delete_forgotten_in_recovery_still_reaches_a_stale_replica() -> None:
    net = MemoryNet()
    a, c, d = net.replicas("ACD")
    a.put(x_card(NOTE="1"))
    net.sync(a, c)
    net.sync(a, d)
    a.remove(X)
    a.cleanup_tombstones(time.time() + 1)
    net.sync(a, c)  # recovery: C forgets X
    net.sync(c, d)  # D learns C's knowledge; C has no forgotten knowledge to force recovery
    for _ in range(2):
        for one, two in ((a, c), (c, d), (a, d)):
            net.sync(one, two)
    assert d.data(X) is None
