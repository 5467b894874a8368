"""Stateful property test: undoing a session takes back what it wrote, and nothing else.

:class:`UndoMachine` drives the real service (:func:`tests.service.support.desktop`) over
three stores: two folders of card files (``x`` and ``y``) and one ``.vcf`` file (``z``),
in two partnerships ``x-y`` and ``y-z`` under the default policy (merge). Its random steps
create, edit (a NOTE or a TEL) and delete contacts in any store the way another program
would (a card file written or removed, the ``.vcf`` file rewritten whole with one card
changed), change one contact in both stores of a partnership (merged, or left to the user
when both changed the same field), and sync either partnership. The test keeps what each
store held just before every recorded session and what the session changed.

An undo step syncs both partnerships until nothing changes (settling the conflicts left to
the user by keeping one side), undoes a random recorded session that wrote something (an
earlier undo too; maybe with the contacts changed since included; sometimes one that wrote
a contact in both stores, so that the undo's sync asks), settles what that sync left to
the user, syncs until nothing changes again, and checks:

1. the stores converge: all three hold the same contacts with the same content, before
   the undo and after (compared UID by UID, by their properties);
2. a contact the undo did not write (no step of it done: not in the session, changed since
   and not included, or not possible) is, in every store, as it was just before the undo;
3. a contact it did write is, in every store, as the undone session found it in the store
   it wrote (absent: one the session created there); where the session wrote it in both
   stores and they got different versions back, the side the user kept, both sides being
   those versions;
4. the plan is what the test saw: each step's earlier version is what its store held just
   before the session; a sync's steps are exactly the contacts whose content it changed,
   store by store; a contact edited since the session counts as changed since, and one
   that nothing but syncs changing it nowhere touched since does not.

Contacts have names of their own, so that no two are matched as one person: each contact
is one UID. The coverage (undos that removed and put back, left contacts changed since
alone or included them, undid an undo, asked the user...) is checked in the derandomized
run (``CI`` set); a development run draws new examples each time and only counts it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import unittest
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from syncgui.engine.events import SessionResult, Status
from syncgui.engine.ids import gid_for_uid
from syncgui.service.undoing import UndoAction, UndoOutcome, UndoStep
from tests.service.support import desktop
from tests.sync_model import Fields
from tests.sync_stores import parse
from tests.sync_support import statistic

Contents = dict[str, Fields]  # a store's cards: content by UID

STORES = ("x", "y", "z")
PARTNERSHIPS = {"x-y": ("x", "y"), "y-z": ("y", "z")}
STORE = st.sampled_from(STORES)
PARTNERSHIP = st.sampled_from(sorted(PARTNERSHIPS))
PICK = st.integers(min_value=0, max_value=1 << 16)
ROUNDS = 6  # syncs of both partnerships until nothing changes: one more than ever needed

log = logging.getLogger(__name__)

_CARD = re.compile(rb"BEGIN:VCARD\r?\n.*?END:VCARD\r?\n", re.DOTALL)


def render(uid: str, fields: Mapping[str, str]) -> bytes:
    """A vCard 3.0 with CRLF line breaks; a value of several (``|``) is several lines."""
    name = fields.get("FN", uid)
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", f"N:{name};;;;"]
    for key, value in sorted(fields.items()):
        if key != "FN":
            lines += [f"{key}:{v}" for v in value.split("|")]
    lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode()


def changed(result: SessionResult) -> int:
    """How many writes the session made in both stores."""
    return sum(c.created + c.updated + c.deleted for c in (result.to_a, result.to_b))


class UndoMachine(RuleBasedStateMachine):
    """The three stores, the service over them, and what the test saw of every session."""

    # what the runs reached, by name (reset by the test case)
    reached: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        memory = Path("/dev/shm")  # the databases' syncs to disk would take most of a run
        where = memory if memory.is_dir() and os.access(memory, os.W_OK) else None
        self.root = Path(tempfile.mkdtemp(prefix="syncgui-undo-", dir=where))
        self.folders = {"x": self.root / "x", "y": self.root / "y"}
        for folder in self.folders.values():
            folder.mkdir()
        (self.root / "z").mkdir()
        self.file = self.root / "z" / "contacts.vcf"
        self.file.write_bytes(b"")
        self.service = desktop(self.root / "profile")
        x, y = self.folders["x"], self.folders["y"]
        self.service.add_partnership("x-y", f"vdir:{x}", f"vdir:{y}")
        self.service.add_partnership("y-z", f"vdir:{y}", f"vcf:{self.file}")
        self.uids: dict[bytes, str] = {}
        self.made = 0
        self.notes = 0
        self.files = 0
        self.stamp = time.time_ns() + 10**15  # mtimes no sync could have given a file
        # by session id: what each store held just before the session, and the contacts
        # whose content it changed, as (store, UID)
        self.held_before: dict[int, dict[str, Contents]] = {}
        self.wrote: dict[int, set[tuple[str, str]]] = {}
        # a clock of events: when each session was recorded, when each contact was last
        # edited by the user (in any store), and last touched by anything but a sync (an
        # edit, a conflict settled by the user, an undo's own write)
        self.clock = 0
        self.session_at: dict[int, int] = {}
        self.edited_at: dict[str, int] = {}
        self.touched_at: dict[str, int] = {}

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def reach(self, what: str) -> None:
        type(self).reached[what] += 1
        statistic(what)

    # -- the stores, as another program sees them -------------------------------------------

    def cards(self, where: str) -> list[bytes]:
        if where in self.folders:
            return [p.read_bytes() for p in sorted(self.folders[where].glob("*.vcf"))]
        return _CARD.findall(self.file.read_bytes())

    def contents(self, where: str) -> Contents:
        """The store's cards by UID; a UID is there once at most."""
        out: Contents = {}
        for data in self.cards(where):
            uid, fields = parse(data)
            assert uid not in out, f"{uid} is twice in {where}: {out[uid]} and {fields}"
            out[uid] = fields
        return out

    def agreed(self) -> Contents:
        """The content every store holds, checked to be the same in all three."""
        x, y, z = (self.contents(where) for where in STORES)
        for uid in sorted(x.keys() | y.keys() | z.keys()):
            held = {where: c.get(uid) for where, c in zip(STORES, (x, y, z), strict=True)}
            assert len(set(held.values())) == 1, f"the stores differ on {uid}: {held}"
        return x

    def touch(self, path: Path) -> None:
        """Give ``path`` an mtime of its own: an edit within one timestamp tick that keeps
        the size would go unnoticed (as with any mtime-based scanner), which is not what
        this test is about."""
        self.stamp += 1_000_000_000
        os.utime(path, ns=(self.stamp, self.stamp))

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def write(self, where: str, uid: str, fields: Mapping[str, str] | None) -> None:
        """Create, change or (``fields`` None) delete the card ``uid`` in store ``where``."""
        self.edited_at[uid] = self.touched_at[uid] = self.tick()
        if where in self.folders:
            folder = self.folders[where]
            path = next((p for p in folder.glob("*.vcf") if parse(p.read_bytes())[0] == uid), None)
            if fields is None:
                assert path is not None, uid
                path.unlink()
                return
            if path is None:
                self.files += 1
                path = folder / f"external-{self.files}.vcf"
            path.write_bytes(render(uid, fields))
            self.touch(path)
            return
        data = self.file.read_bytes()
        cards = _CARD.findall(data)
        assert b"".join(cards) == data, "the .vcf file holds something else than cards"
        at = [i for i, c in enumerate(cards) if parse(c)[0] == uid]
        if fields is None:
            del cards[at[0]]
        elif at:
            cards[at[0]] = render(uid, fields)
        else:
            cards.append(render(uid, fields))
        temp = self.file.with_name("contacts.vcf.new")
        temp.write_bytes(b"".join(cards))
        os.replace(temp, self.file)
        self.touch(self.file)

    def note(self) -> str:
        self.notes += 1
        return f"note-{self.notes}"

    # -- the user's steps ---------------------------------------------------------------------

    @initialize(versions=st.sampled_from([20, 20, 20, 2, 1]))
    def history_limit(self, versions: int) -> None:
        """How many versions of each contact the history keeps (the setting): with fewer, a
        session's earlier versions may be gone, and the undo cannot put them back."""
        if versions != 20:
            settings_file = self.service.paths.settings_file
            settings_file.parent.mkdir(parents=True, exist_ok=True)
            settings_file.write_text(json.dumps({"history_versions": versions}), "utf-8")
            self.reach(f"history keeps {versions}")

    @rule(where=STORE, tel=st.booleans())
    def create(self, where: str, tel: bool) -> None:
        self.made += 1
        uid = f"uid-{self.made}"
        self.uids[gid_for_uid(uid)] = uid
        fields = {"FN": f"Person {self.made}", "NOTE": self.note()}
        if tel:
            fields["TEL"] = f"+1 555 {self.made:04}"
        self.write(where, uid, fields)

    @rule(where=STORE, pick=PICK, key=st.sampled_from(["NOTE", "TEL"]))
    def edit(self, where: str, pick: int, key: str) -> None:
        live = sorted(self.contents(where).items())
        if live:
            uid, fields = live[pick % len(live)]
            edited = dict(fields)
            edited[key] = self.note() if key == "NOTE" else f"+1 666 {self.note()}"
            self.write(where, uid, edited)

    @rule(where=STORE, pick=PICK)
    def delete(self, where: str, pick: int) -> None:
        live = sorted(self.contents(where))
        if live:
            self.write(where, live[pick % len(live)], None)

    @rule(
        name=PARTNERSHIP,
        pick=PICK,
        same=st.sampled_from([False, False, True]),
        then=st.sampled_from(["sync", "sync", "undo", "nothing"]),
        keep=st.sampled_from("ab"),
    )
    def concurrent(
        self, name: str, pick: int, same: bool, then: str, keep: Literal["a", "b"]
    ) -> None:
        """Both stores of a partnership change a contact they hold (the same field, or
        two different ones), and maybe the partnership syncs at once (merged, and written
        in both), maybe then undone (the undo's sync asks)."""
        a, b = PARTNERSHIPS[name]
        held = sorted(self.contents(a).keys() & self.contents(b).keys())
        if not held:
            return
        uid = held[pick % len(held)]
        for where, key in ((a, "NOTE"), (b, "NOTE" if same else "TEL")):
            edited = dict(self.contents(where)[uid])
            edited[key] = self.note() if key == "NOTE" else f"+1 777 {self.note()}"
            self.write(where, uid, edited)
        if then != "nothing":
            self.sync(name)
        if then == "undo":
            self.undo(pick=0, include=False, keep=keep, asking=True)

    @rule(name=PARTNERSHIP)
    def sync(self, name: str) -> None:
        result = self.run(name)
        if result.status is Status.CONFLICTS:  # a field both sides changed: left to the user
            self.reach("sync left conflicts")

    def snapshot(self) -> dict[str, Contents]:
        return {where: self.contents(where) for where in STORES}

    def latest(self) -> int:
        """The id of the latest recorded session (0: none)."""
        newest = self.service.sessions(limit=1)
        return newest[0].id if newest else 0

    def run(self, name: str) -> SessionResult:
        """Sync partnership ``name`` (the user lets it delete many); what each store held
        before is kept for the session's record (a session that did nothing is not
        recorded)."""
        before, last = self.snapshot(), self.latest()
        (result,) = self.service.sync([name], allow_mass_delete=True)
        assert result.status in (Status.OK, Status.CONFLICTS), (
            f"{name}: {result.status.value} {result.errors}"
        )
        self.recorded(last, before, name)
        return result

    def recorded(self, last: int, before: dict[str, Contents], name: str) -> None:
        session = self.latest()
        if session == last:
            return
        assert session == last + 1, f"{session - last} sessions recorded for one sync"
        after = self.snapshot()
        self.session_at[session] = self.tick()
        self.held_before[session] = before
        self.wrote[session] = {
            (where, uid)
            for where in PARTNERSHIPS[name]
            for uid in before[where].keys() | after[where].keys()
            if before[where].get(uid) != after[where].get(uid)
        }

    def converge(self, keep: Literal["a", "b"]) -> Contents:
        """Sync both partnerships until a round writes nothing, settling the conflicts the
        merge leaves to the user (keeping side ``keep``); what the stores hold."""
        for _ in range(ROUNDS):
            results = [self.run(name) for name in sorted(PARTNERSHIPS)]
            views = self.service.conflicts()
            for view in views:
                self.service.resolve(view.id, keep, partnership=view.partnership)
                self.touched_at[view.uid] = self.tick()
            if not views and not any(changed(r) for r in results):
                return self.agreed()
        raise AssertionError(f"the stores still change after {ROUNDS} rounds of syncs")

    # -- the undo -----------------------------------------------------------------------------

    @rule(
        pick=PICK,
        include=st.sampled_from([False, False, True]),
        keep=st.sampled_from("ab"),
        asking=st.booleans(),
    )
    def undo(self, pick: int, include: bool, keep: Literal["a", "b"], asking: bool) -> None:
        """Undo a random session that wrote something (``asking``: preferably one that
        wrote a contact in both stores, among the latest few, as dry runs tell)."""
        before = self.converge(keep)
        sessions = [s for s in self.service.sessions() if s.can_undo]
        if asking:
            asks = [
                s
                for s in sessions[:12]
                if self.service.undo(s.id, include=include, dry_run=True).plan.asks(include)
            ]
            sessions = asks or sessions
        if not sessions:
            return
        undone = sessions[pick % len(sessions)]
        last = self.latest()
        outcome = self.service.undo(undone.id, include=include)
        assert outcome.plan.session.id == undone.id
        self.check_plan(outcome)
        if self.latest() != last:  # the undo's own session, which wrote in one store
            self.held_before[self.latest()] = {where: before for where in STORES}
            self.session_at[self.latest()] = self.tick()
        for step in outcome.done:
            self.touched_at[self.uid_of(step.gid)] = self.tick()
        kept = self.settle(outcome, keep)
        after = self.converge(keep)
        self.count(outcome)

        done: dict[str, list[UndoStep]] = {}
        for step in outcome.done:
            done.setdefault(self.uid_of(step.gid), []).append(step)
        for uid in sorted((before.keys() | after.keys()) - done.keys()):
            assert after.get(uid) == before.get(uid), (
                f"undoing session {undone.id} ({undone.partnership}) changed {uid}, which it "
                f"did not write: {before.get(uid)} before, {after.get(uid)} after"
            )
        for uid, steps in sorted(done.items()):
            earlier = {s.store_name: self.earlier(s) for s in steps}
            if len(set(earlier.values())) == 1:
                wanted = next(iter(earlier.values()))
            else:  # two stores got different versions back: the user chose one of them
                assert uid in kept, f"{uid} got {earlier} back, and the sync settled it alone"
                chosen, versions = kept[uid]
                assert versions == set(earlier.values()), (
                    f"{uid}: the conflict shows {versions}, the undo put back {earlier}"
                )
                wanted = chosen
            assert after.get(uid) == wanted, (
                f"undoing session {undone.id} ({undone.partnership}) left {uid} as "
                f"{after.get(uid)}, not as it was before the session: {wanted} "
                f"(steps: {[(s.store_name, s.did.value, s.action.value) for s in steps]})"
            )

    def settle(
        self, outcome: UndoOutcome, keep: Literal["a", "b"]
    ) -> dict[str, tuple[Fields | None, set[Fields | None]]]:
        """Settle the conflicts the undo's sync left for the user, keeping side ``keep``;
        per UID, the content kept and both sides' contents."""
        result = outcome.sync
        if result is None:
            self.reach("undo wrote nothing")
            return {}
        name = outcome.plan.session.partnership
        if result.status is Status.BLOCKED:  # the guard asks: the next syncs go ahead
            # never for the removals the undo made in one store alone: the user approved
            # those by undoing (the stores agreed before it: its sync carries nothing else)
            assert outcome.written.approval() is None, (
                f"{name}: the undo's sync blocked at {result.blocked_items} in "
                f"{result.blocked_store}, approved {outcome.written.approval()}"
            )
            self.reach("undo sync blocked")
            return {}
        assert result.status in (Status.OK, Status.CONFLICTS), (
            f"{name}: {result.status.value} {result.errors}"
        )
        views = self.service.conflicts()
        assert all(v.partnership == name for v in views), [v.partnership for v in views]
        if result.status is Status.CONFLICTS:
            assert outcome.plan.asks(outcome.include), "conflicts after an undo that does not ask"
            self.reach("undo left conflicts")
        assert len(views) == result.conflicts
        kept: dict[str, tuple[Fields | None, set[Fields | None]]] = {}
        for view in views:
            a, b = (None if d is None else parse(d)[1] for d in (view.a, view.b))
            kept[view.uid] = (a if keep == "a" else b, {a, b})
            self.service.resolve(view.id, keep, partnership=name)
            self.touched_at[view.uid] = self.tick()
        return kept

    def check_plan(self, outcome: UndoOutcome) -> None:
        """The plan against what the test saw: each step's earlier version is what its
        store held just before the session; and for a sync (an undo's record names its
        own writes only, not those of the sync after it), the steps are exactly the
        contacts whose content the session changed, store by store."""
        session = outcome.plan.session
        held = self.held_before[session.id]
        named = {"x": "x", "y": "y", self.file.name: "z"}
        steps = set()
        for step in outcome.plan.steps:
            store, uid = named[step.store_name], self.uid_of(step.gid)
            steps.add((store, uid))
            # nothing but syncs since the session, none of which changed it in any store: it
            # holds the versions the session wrote (a sync copies a version as it is; one
            # that settles a conflict, with an edit made before the session, writes it
            # somewhere); edited since: a new version
            untouched = self.touched_at.get(uid, 0) < self.session_at[session.id] and not any(
                (where, uid) in wrote
                for later, wrote in self.wrote.items()
                if later > session.id
                for where in STORES
            )
            edited = self.edited_at.get(uid, 0) > self.session_at[session.id]
            assert not (untouched and step.changed_since), (
                f"session {session.id}: {uid} counts as changed since, but only syncs ran"
            )
            assert step.changed_since or not edited, (
                f"session {session.id}: {uid} was edited since, and does not count as changed"
            )
            if step.blocked:
                continue
            assert self.earlier(step) == held[store].get(uid), (
                f"session {session.id}: the undo would give {uid} in {store} "
                f"{self.earlier(step)}; it held {held[store].get(uid)} before the session"
            )
        if session.trigger != "undo":
            assert steps == self.wrote[session.id], (
                f"session {session.id} changed {sorted(self.wrote[session.id])}; "
                f"the undo's plan names {sorted(steps)}"
            )

    def earlier(self, step: UndoStep) -> Fields | None:
        """What the store the step is in held before the undone session (None: nothing)."""
        if step.action is UndoAction.REMOVE:
            return None
        assert step.entry is not None
        uid, fields = parse(step.entry.record.data)
        assert gid_for_uid(uid) == step.gid
        return fields

    def uid_of(self, gid: bytes) -> str:
        assert gid in self.uids, f"the undo names an item {gid.hex()} no store created"
        return self.uids[gid]

    def count(self, outcome: UndoOutcome) -> None:
        self.reach("undo")
        steps = outcome.done
        actions = {s.action for s in steps}
        if UndoAction.REMOVE in actions:
            self.reach("undo removed")
        if UndoAction.PUT_BACK in actions:
            self.reach("undo put back")
        if len(actions) == 2:
            self.reach("undo removed and put back")
        if outcome.plan.changed_since:
            self.reach("changed since" + (", included" if outcome.include else ", left alone"))
        if outcome.plan.blocked:
            self.reach("undo step blocked")
        earlier: dict[bytes, set[Fields | None]] = {}
        for step in steps:
            earlier.setdefault(step.gid, set()).add(self.earlier(step))
        if any(len(versions) > 1 for versions in earlier.values()):
            self.reach("undo put different versions back")
        if outcome.plan.session.trigger == "undo":
            self.reach("undo of an undo")
        if any(s.did.value == "deleted" for s in steps):
            self.reach("undid a delete")


def undo_settings(examples: int, steps: int) -> settings:
    """Derandomized under CI (tests/conftest.py loads that profile): the same examples each
    time; random ones in a development run."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


MUST_REACH = {  # about half of what the derandomized run reaches
    "undo": 150,
    "undo removed": 70,
    "undo put back": 50,
    "undo removed and put back": 5,
    "undid a delete": 40,
    "changed since, left alone": 40,
    "changed since, included": 20,
    "undo of an undo": 30,
    "undo put different versions back": 8,
    "undo left conflicts": 8,
    "undo step blocked": 3,
    "undo sync blocked": 5,
    "sync left conflicts": 30,
}


class TestUndoMachine(unittest.TestCase):
    def runTest(self) -> None:
        UndoMachine.reached = Counter()
        run_state_machine_as_test(UndoMachine, settings=undo_settings(300, 25))
        reached = UndoMachine.reached
        log.info("UndoMachine reached %s", dict(sorted(reached.items())))
        if not os.environ.get("CI"):
            return  # random examples: the counts vary from run to run
        short = {k: f"{reached[k]} < {n}" for k, n in MUST_REACH.items() if reached[k] < n}
        assert not short, f"the undo machine did not reach {short}: {dict(reached)}"

    # as on Hypothesis's own TestCase: pytest shows its statistics
    runTest.is_hypothesis_test = True  # type: ignore[attr-defined]


@pytest.mark.xfail(
    strict=True,
    reason="found by a random run (2026-12-07) and present since before issue 15's third "
    "session: after an undo, more syncs, a concurrent edit synced in another partnership "
    "(y-z) and a second undo, undoing the latest session plans uid-1 as changed since "
    "although only syncs ran after it; the undo then leaves it alone unless included",
)
def test_undo_counts_a_contact_changed_since_only_if_it_changed() -> None:
    state = UndoMachine()
    try:
        state.history_limit(versions=20)
        state.create(tel=False, where="x")
        for _ in range(8):
            state.sync(name="x-y")
        state.undo(asking=False, include=False, keep="a", pick=0)
        for _ in range(7):
            state.sync(name="x-y")
        state.undo(asking=False, include=False, keep="a", pick=0)
        state.sync(name="x-y")
        state.sync(name="x-y")
        state.concurrent(keep="a", name="y-z", pick=0, same=False, then="sync")
        state.undo(asking=True, include=False, keep="a", pick=0)
        state.sync(name="x-y")
        state.undo(asking=False, include=False, keep="a", pick=0)
    finally:
        state.teardown()


@pytest.mark.xfail(
    strict=True,
    reason="found by a random run (2026-12-07, issue 15's sixth session) and present before "
    "it (33f52b3): uid-1 deleted in x and the delete synced to y (session 3), then deleted in "
    "z, which y-z has not synced since: undoing session 3 does not count uid-1 as changed "
    "since, where the model counts z's delete (the undo would put back in y a contact the "
    "user deleted elsewhere meanwhile)",
)
def test_undo_counts_a_delete_made_elsewhere_since_as_a_change() -> None:
    state = UndoMachine()
    try:
        state.history_limit(versions=20)
        state.create(tel=False, where="z")
        state.sync(name="y-z")
        state.sync(name="x-y")
        state.delete(pick=0, where="x")
        state.sync(name="x-y")
        state.delete(pick=0, where="z")
        state.undo(asking=False, include=False, keep="a", pick=0)
    finally:
        state.teardown()
