"""Stateful property tests: random edits and syncs over stores of different kinds.

:class:`SyncMachine` drives a memory replica, a vCard folder and a single ``.vcf`` file in a
ring (:data:`tests.sync_stores.TRIANGLE`); :class:`PhoneSyncMachine` drives the phone, a
folder, a ``.vcf`` file and the memory replica in two rings that share a partnership
(:data:`tests.sync_stores.PHONE_RING`); between them every two kinds of store are partners.
Each machine creates, edits, deletes and restores contacts, has two stores change the same
contact before they meet, renames card files, and runs any partnership in any mode
(two-way, one-way either way, both one-way passes in reverse order, or the separate one-way
partnership a user adds beside the two-way one) under the ``a-wins`` or ``b-wins`` policy
(a user may change it between two syncs). After every step it checks the stores against the
causal-history model of :mod:`tests.sync_model` (properties 7-15 of the MSF notes):

(a) no lost updates: every store holds exactly what the model predicts;
(b) exact conflicts: the ConflictFound events of a session are exactly the model's conflicts;
(c) no resurrection: a contact whose delete a replica knows is live there only if a later
    change that knew the delete (a restore or a resolution) brought it back;
(d) knowledge never runs ahead of data (nor lags behind it): a replica's knowledge contains
    another replica's version of a contact iff the model says it has seen that version.

At the end every partnership syncs both ways, round after round (at least two), until the
model says all stores agree and both sides of every partnership know the same; then all
stores must hold the same cards (compared with ``VCardFormat.same``) and one more round must
transfer nothing.

The default run is fixed (derandomized) and must reach conflicts of every kind won by each
side, on every partnership in both directions and in every kind of session
(:meth:`SyncRules.must_reach`); ``scripts/soak`` runs the machines with fresh seeds. The
tests at the end are minimal reproductions of engine bugs the machine found, all fixed; those
still open are strict xfails in :mod:`tests.engine.test_topologies`. The ``merge`` policy has
its own machine in :mod:`tests.test_stateful_merge`.
"""

from __future__ import annotations

import time

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from syncgui.engine.detection import ChangeDetector
from syncgui.engine.events import ConflictFound, Direction, Event, Policy, Status
from syncgui.engine.ids import Version, gid_for_uid
from tests.sync_model import Clock, Conflict, Fields, ReplicaModel, one_way
from tests.sync_model import Event as Change
from tests.sync_stores import PHONE_RING, TRIANGLE, parse, same_content
from tests.sync_support import (
    FOLDER,
    PARTNERS,
    PICK,
    SESSION_KINDS,
    SESSIONS,
    STORE,
    THEN,
    MemoryNet,
    StoresMachine,
    X,
    machine_test,
    statistic,
    sync_rule,
    x_card,
    x_fields,
)

WINNER_POLICIES = st.sampled_from([Policy.A_WINS, Policy.B_WINS])
# what two stores do to the same contact before they meet
CONCURRENT = st.sampled_from(
    [("edit", "edit"), ("edit", "delete"), ("delete", "edit"), ("delete", "delete")]
)
KINDS = ("update-update", "update-delete", "delete-update")


def with_field(fields: Fields, key: str, value: str) -> Fields:
    return tuple(sorted({**dict(fields), key: value}.items()))


class SyncRules(StoresMachine):
    """Create, edit, delete, restore and sync under a-wins/b-wins (see the module doc); the
    subclasses add one sync rule per partnership of their topology."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.models = {name: ReplicaModel(name) for name in self.stores.names}
        # edits made in a folder or the file that no sync has detected yet, by UID
        self.pending: dict[str, dict[str, list[Change]]] = {
            name: {} for name in self.stores.names if name != "mem"
        }
        # each partnership's policy as last set (by a sync step)
        self.policies = dict.fromkeys(self.stores.pairs, Policy.A_WINS)
        self.versions: dict[Version, int] = {}  # engine version -> model event id
        self.version_of: dict[int, Version] = {}
        self.syncs = 0
        self.steps = 0
        self.conflicts = 0  # before the final round

    @classmethod
    def must_reach(cls) -> dict[str, int]:
        pairs = cls.TOPOLOGY.pairs
        return {
            **{f"{kind} -> {side}": 10 for kind in KINDS for side in "ab"},
            **{f"conflict {s}->{d}": 3 for a, b in pairs for s, d in ((a, b), (b, a))},
            **{f"conflict in a {how}": 10 for how in set(SESSION_KINDS.values())},
        }

    @initialize(start=st.lists(STORE, max_size=6), spread=st.booleans())
    def setup(self, start: list[str], spread: bool) -> None:
        """Create a few contacts and maybe sync them around, so that edits and conflicts
        can happen from the first steps."""
        self.dirty = True
        for where in start:
            self.create(where)
        if spread:
            for pair in (*self.stores.pairs, self.stores.pairs[0]):
                self.sync(pair, "two-way", Policy.A_WINS)

    # -- what each store shows ------------------------------------------------------------

    def view(self, name: str) -> dict[str, Fields | None]:
        """Each modelled contact's content as the store shows it now (None: deleted)."""
        out = {u: h.version.content for u, h in self.models[name].held.items()}
        for uid, events in self.pending.get(name, {}).items():
            out[uid] = events[-1].content
        return out

    def pick(self, name: str, pick: int, *, live: bool) -> str | None:
        found = sorted(u for u, c in self.view(name).items() if (c is not None) == live)
        return found[pick % len(found)] if found else None

    # -- rules ----------------------------------------------------------------------------

    @rule(where=STORE)
    def create(self, where: str) -> None:
        self.dirty = True
        uid, n = self.new_uid()
        self.change(where, uid, "create", (("FN", f"Person {n}"), ("NOTE", f"created-{n}")))

    @rule(where=STORE, pick=PICK)
    def edit(self, where: str, pick: int) -> None:
        self.dirty = True
        uid = self.pick(where, pick, live=True)
        if uid is not None:
            self.edit_one(where, uid)

    def edit_one(self, where: str, uid: str) -> None:
        fields = self.view(where)[uid]
        assert fields is not None
        self.change(where, uid, "edit", with_field(fields, "NOTE", f"edit-{self.tick()}"))

    @rule(where=STORE, pick=PICK)
    def delete(self, where: str, pick: int) -> None:
        self.dirty = True
        uid = self.pick(where, pick, live=True)
        if uid is not None:
            self.change(where, uid, "delete", None)

    @rule(where=STORE, pick=PICK)
    def restore(self, where: str, pick: int) -> None:
        """Bring a deleted contact back under its old UID (from a backup, say)."""
        self.dirty = True
        uid = self.pick(where, pick, live=False)
        if uid is not None:
            n = uid.removeprefix("uid-")
            fields = (("FN", f"Person {n}"), ("NOTE", f"restored-{self.tick()}"))
            self.change(where, uid, "restore", fields)

    @rule(stores=PARTNERS, kinds=CONCURRENT, pick=PICK, then=THEN)
    def concurrent(
        self, stores: tuple[str, str], kinds: tuple[str, str], pick: int, then: str | None
    ) -> None:
        """Both sides of a partnership change a contact both hold, and maybe sync at once in
        mode ``then`` (so that conflicts, delete conflicts among them, are frequent on every
        partnership and in both directions)."""
        self.dirty = True
        views = [self.view(where) for where in stores]
        both = sorted(u for u, c in views[0].items() if c is not None and views[1].get(u))
        if both:
            uid = both[pick % len(both)]
            for where, kind in zip(stores, kinds, strict=True):
                if kind == "edit":
                    self.edit_one(where, uid)
                else:
                    self.change(where, uid, "delete", None)
        if then is not None:
            self.sync(stores, then, self.policies[stores])

    @rule(where=FOLDER, pick=PICK)
    def rename(self, where: str, pick: int) -> None:
        """Another program renames a card file in a folder: not a change at all."""
        self.dirty = True
        uid = self.pick(where, pick, live=True)
        if uid is not None:
            self.stores.rename(where, uid)

    def sync(self, pair: tuple[str, str], mode: str, policy: Policy) -> None:
        self.dirty = True
        self.syncs += 1
        self.policies[pair] = policy
        for direction, apart in SESSIONS[mode]:
            self.session(*pair, direction, apart=apart)

    def tick(self) -> int:
        return self.clock.count + 1

    def change(self, where: str, uid: str, kind: str, fields: Fields | None) -> None:
        if where == "mem":
            self.models[where].local(self.clock, uid, kind, fields)
        else:
            held = self.models[where].held.get(uid)
            waiting = self.pending[where].setdefault(uid, [])
            past = (held.known if held else frozenset()) | {e.id for e in waiting}
            # The engine sees only the net change at the next sync: whatever came between,
            # an edit or delete of a contact it saw live changes the incarnation it saw.
            now = held.created if held and held.live else waiting[-1] if waiting else None
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

    def session(self, a: str, b: str, direction: Direction, *, apart: bool = False) -> None:
        policy = self.policies[(a, b)]
        settings = self.stores.settings(a, b, policy, direction=direction, apart=apart)
        result, events = self.stores.sync(a, b, settings)
        self.detect(a)
        self.detect(b)
        legs = {Direction.A_TO_B: [("a", a, b)], Direction.B_TO_A: [("b", b, a)]}
        expected: list[Conflict] = []
        counts = {}
        for side, src, dst in legs.get(direction, [("a", a, b), ("b", b, a)]):
            winner = "a" if policy is Policy.A_WINS else "b"
            out = one_way(self.models[src], self.models[dst], side, winner, self.clock)
            expected += out.conflicts
            for c in out.conflicts:
                self.reach(f"{c.kind} -> {c.resolution}")
                self.reach(f"conflict {src}->{dst}")
                self.reach(f"conflict in a {SESSION_KINDS[direction, apart]}")
            self.conflicts += len(out.conflicts)
            counts[dst] = (out.created, out.updated, out.deleted)
        assert result.status is Status.OK and not result.errors, (result.status, result.errors)
        self.check_conflicts(events, expected)
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
            (e.direction, self.uid_of(e.gid), e.kind, e.resolution)
            for e in events
            if isinstance(e, ConflictFound)
        )
        want = sorted((c.direction, c.uid, c.kind, c.resolution) for c in expected)
        assert found == want, f"conflicts reported {found}, expected {want}"

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def agrees_with_model(self) -> None:
        for name in self.stores.names:
            self.check_store(name)
        rows = {name: self.check_metadata(name) for name in self.stores.names}
        for name in self.stores.names:
            self.check_knowledge(name, rows)
        self.steps += 1
        self.dirty = False

    def check_store(self, name: str) -> None:
        """(c) then (a): what the store holds, card by card, against the model."""
        view = self.view(name)
        model = self.models[name]
        cards = self.stores.contents(name)
        for uid, found in cards.items():
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
            assert meta.gid == gid_for_uid(uid), f"{name} keeps {uid} as a separate item"
            assert uid not in rows, f"{name} has two rows for {uid}"
            held = model.held.get(uid)
            assert held is not None, f"{name} has a row for {uid}"
            assert meta.deleted == (not held.live), f"{name}: {uid} deleted={meta.deleted}"
            self.same_event(meta.version, held.version.id, f"{name}: version of {uid}")
            if held.live:
                self.same_event(meta.created, held.created.id, f"{name}: creation of {uid}")
            rows[uid] = meta.version
        for uid in model.held:
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

    # -- the end: every partnership syncs until all stores agree --------------------------

    def converge(self) -> None:
        statistic(f"contacts: {self.made // 4 * 4}+")
        statistic(f"syncs: {self.syncs // 5 * 5}+")
        statistic(f"steps: {self.steps // 10 * 10}+")
        statistic(f"conflicts before the final round: {self.conflicts // 5 * 5}+")
        pairs = self.stores.pairs
        for rounds in range(1, 7):
            for a, b in pairs:
                self.session(a, b, Direction.TWO_WAY)
            self.agrees_with_model()
            if rounds >= 2 and self.model_agrees() and self.partners_agree():
                break
        statistic(f"rounds to converge: {rounds}")
        assert self.model_agrees(), "the model did not converge"
        contents = {name: self.stores.contents(name) for name in self.stores.names}
        for a, b in pairs:
            assert same_content(contents[a], contents[b]), f"{a} and {b} differ"
        assert self.partners_agree(), "the stores' knowledge did not converge"
        for a, b in pairs:
            result, events = self.stores.sync(
                a, b, self.stores.settings(a, b, self.policies[(a, b)])
            )
            moved = [(c.created, c.updated, c.deleted) for c in (result.to_a, result.to_b)]
            assert moved == [(0, 0, 0), (0, 0, 0)], f"{a}-{b} still moves {moved}"
            assert not [e for e in events if isinstance(e, ConflictFound)]
            assert result.status is Status.OK

    def model_agrees(self) -> bool:
        """The model holds the same in every store."""
        views = [self.view(name) for name in self.stores.names]
        return all(v == views[0] for v in views)


class SyncMachine(SyncRules):
    """The memory replica, a folder and a ``.vcf`` file in a ring."""

    TOPOLOGY = TRIANGLE
    sync_mem_vdir = sync_rule("mem", "vdir", WINNER_POLICIES)
    sync_vdir_vcf = sync_rule("vdir", "vcf", WINNER_POLICIES)
    sync_vcf_mem = sync_rule("vcf", "mem", WINNER_POLICIES)


class PhoneSyncMachine(SyncRules):
    """The phone (its MTP store, its journal and its sync state kept on the phone and re-read
    at every session), a folder, a ``.vcf`` file and the memory replica: the ring phone -
    folder - address book, and the ring phone - folder - file."""

    TOPOLOGY = PHONE_RING
    sync_phone_vdir = sync_rule("phone", "vdir", WINNER_POLICIES)
    sync_vdir_mem = sync_rule("vdir", "mem", WINNER_POLICIES)
    sync_mem_phone = sync_rule("mem", "phone", WINNER_POLICIES)
    sync_vdir_vcf = sync_rule("vdir", "vcf", WINNER_POLICIES)
    sync_vcf_phone = sync_rule("vcf", "phone", WINNER_POLICIES)


class FewChangesSyncMachine(SyncMachine):
    """SyncMachine with change detection always on its path for a few changes among many
    contacts (only the changed, gone and unreadable items loaded, any other looked up by id
    when needed), which these small stores would otherwise never take."""

    def __init__(self) -> None:
        self._few = ChangeDetector.FEW_CHANGES
        ChangeDetector.FEW_CHANGES = 0  # any change is "few"
        super().__init__()

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            ChangeDetector.FEW_CHANGES = self._few


TestSyncMachine = machine_test(SyncMachine, examples=200, steps=30)
TestFewChangesSyncMachine = machine_test(FewChangesSyncMachine, examples=200, steps=30)
TestPhoneSyncMachine = machine_test(PhoneSyncMachine, examples=250, steps=30)


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
