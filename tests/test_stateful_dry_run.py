"""Stateful property test: a dry run writes nothing and predicts exactly what the sync does.

:class:`DryRunMachine` drives the stores of :data:`tests.sync_stores.PHONE_RING` (the virtual
phone with its sync state kept on the phone, a folder, a ``.vcf`` file and the memory
replica) with random histories: contacts created, edited and deleted in any store, the same
person created in two stores under different UIDs (so that stores meet and match), a store
emptied and later restored from its old files, and syncs of any partnership in any
direction, under any policy and match level, with or without the mass-deletion guard.

Every sync step runs the partnership twice: first as a dry run, then for real, with the same
settings. The dry run must leave every byte of every store (the phone's ``.syncgui`` state
object included), every metadata database, the merge bases and the memory replica as they
were; and its result (each side's created, updated and deleted counts, conflicts, merges,
matches, possible duplicates, status, blocked list) must be exactly the real sync's.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule

from syncgui.engine.events import (
    ConflictFound,
    Direction,
    Policy,
    SessionResult,
    SessionSettings,
    Status,
)
from syncgui.engine.ids import gid_for_uid
from syncgui.engine.matching import MatchLevel
from syncgui.engine.session import SyncSession
from tests.sync_model import Fields
from tests.sync_stores import FOLDERS, PHONE_RING, parse
from tests.sync_support import PARTNERS, PICK, STORE, StoresMachine, machine_test

POLICY = st.sampled_from(list(Policy))
DIRECTION = st.sampled_from(list(Direction))
MATCH = st.sampled_from(list(MatchLevel))

Snapshot = dict[str, object]


def _dump(path: Path) -> list[str]:
    """A SQLite database's content, read through a connection of its own."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def summary(result: SessionResult) -> dict[str, object]:
    """What a user is told a session did (or, for a dry run, would do)."""
    return {
        "status": result.status,
        "to_a": dataclasses.astuple(result.to_a),
        "to_b": dataclasses.astuple(result.to_b),
        "conflicts": result.conflicts,
        "merged": result.merged,
        "matched": sorted((m.a.label, m.b.label) for m in result.matched),
        "possible duplicates": len(result.possible_duplicates),
        "blocked": (result.blocked_store, sorted(result.blocked_items)),
        "emptied": (result.emptied_store, result.emptied_held),
        "errors": sorted(e.message for e in result.errors),
    }


class DryRunMachine(StoresMachine):
    TOPOLOGY = PHONE_RING

    def __init__(self) -> None:
        super().__init__()
        self.notes = 0
        self.emptied: dict[str, dict[Path, bytes]] = {}  # store -> the files it held
        self.mem_emptied: list[bytes] = []
        self.refilled: set[str] = set()  # refilled stores not synced since

    @classmethod
    def must_reach(cls) -> dict[str, int]:
        return {
            "status ok": 100,
            "status conflicts": 10,
            "status blocked": 5,
            "matched": 20,
            "settled conflict": 30,
            "merged": 10,
            "emptied store": 5,
            "synced after a refill": 20,
        }

    @initialize(start=st.lists(STORE, max_size=6), spread=st.booleans())
    def setup(self, start: list[str], spread: bool) -> None:
        """A few contacts, maybe synced around, so that edits meet from the first steps."""
        for where in start:
            self.create(where)
        if spread:
            for a, b in (*self.stores.pairs, self.stores.pairs[0]):
                self.stores.sync(a, b, self.stores.settings(a, b, Policy.MERGE))

    # -- edits ----------------------------------------------------------------------------

    def _fields(self, n: int, note: str) -> Fields:
        return (("EMAIL", f"p{n}@example.org"), ("FN", f"Person {n}"), ("NOTE", note))

    def _live(self, where: str) -> list[str]:
        return sorted(self.stores.contents(where))

    def _note(self) -> str:
        self.notes += 1
        return f"note-{self.notes}"

    @rule(where=STORE)
    def create(self, where: str) -> None:
        uid, n = self.new_uid()
        self.stores.write(where, uid, self._fields(n, self._note()))

    @rule(pair=PARTNERS, same=st.booleans())
    def same_person(self, pair: tuple[str, str], same: bool) -> None:
        """One person created in two stores under different UIDs: the stores meet."""
        _uid, n = self.new_uid()
        note = self._note()
        for i, where in enumerate(pair):
            uid = f"uid-{n}-{where}"
            self.uids[gid_for_uid(uid)] = uid
            self.stores.write(where, uid, self._fields(n, note if same else f"{note}-{i}"))

    @rule(where=STORE, pick=PICK)
    def edit(self, where: str, pick: int) -> None:
        live = self._live(where)
        if live:
            uid = live[pick % len(live)]
            part = uid.split("-")[1] if uid.count("-") else ""
            n = int(part) if part.isdigit() else 0  # a copy keep-both made has a UID of its own
            self.stores.write(where, uid, self._fields(n, self._note()))

    @rule(where=STORE, pick=PICK)
    def delete(self, where: str, pick: int) -> None:
        live = self._live(where)
        if not live:
            return
        uid = live[pick % len(live)]
        if where == "mem":  # a matched contact keeps its UID under the other's identity
            mem = self.stores.mem
            mem.remove(next(g for g, d in mem.live().items() if parse(d)[0] == uid))
        else:
            self.stores.write(where, uid, None)

    @rule(
        pair=PARTNERS,
        pick=PICK,
        kinds=st.sampled_from(["ee", "ee", "ed", "de"]),
        then=st.one_of(st.none(), st.just(Policy.MERGE), POLICY),
    )
    def concurrent(self, pair: tuple[str, str], pick: int, kinds: str, then: Policy | None) -> None:
        """Both stores of a partnership change a contact both hold (a conflict), and maybe
        sync at once under policy ``then``."""
        both = sorted(set(self._live(pair[0])) & set(self._live(pair[1])))
        if not both:
            return
        uid = both[pick % len(both)]
        for i, (where, kind) in enumerate(zip(pair, kinds, strict=True)):
            if kind == "d":
                self.delete(where, self._live(where).index(uid))
                continue
            fields = dict(parse(self.stores.contents(where)[uid][0])[1])
            if i and pick % 3:  # another field: the merge policy merges them silently
                fields["TEL"] = f"+1 555 {self._note()}"
            else:
                fields["NOTE"] = self._note()
            self.stores.write(where, uid, tuple(sorted(fields.items())))
        if then is not None:
            self.sync(pair, Direction.TWO_WAY, then, MatchLevel.PEOPLE, guard=True)

    @rule(where=STORE)
    def empty(self, where: str) -> None:
        """Every card of the store goes (a wiped phone, an export cut short); its files are
        kept so that :meth:`refill` can put them back."""
        if where in self.emptied or (where == "mem" and self.mem_emptied):
            return
        if where == "mem":
            mem = self.stores.mem
            self.mem_emptied = list(mem.live().values())
            for gid in list(mem.live()):
                mem.remove(gid)
            return
        files = self._files(where)
        self.emptied[where] = {p: p.read_bytes() for p in files}
        if where == "vcf":
            self.stores.file.write_bytes(b"")
        else:
            for p in files:
                p.unlink()

    @rule(where=STORE, then=st.one_of(st.none(), PICK))
    def refill(self, where: str, then: int | None) -> None:
        """The emptied store's old files come back (from a backup); maybe one of its
        partnerships syncs at once."""
        self._refill(where)
        if then is not None:
            pairs = [p for p in self.stores.pairs if where in p]
            policy = list(Policy)[then % len(Policy)]
            self.sync(pairs[then % len(pairs)], Direction.TWO_WAY, policy, MatchLevel.PEOPLE, True)

    def _refill(self, where: str) -> None:
        if where == "mem":
            for data in self.mem_emptied:
                self.stores.mem.put(data)
                self.refilled.add(where)
            self.mem_emptied = []
            return
        files = self.emptied.pop(where, {})
        if where in FOLDERS:
            # a card synced back meanwhile under another file name stays the only one of its
            # UID in the folder (the machine's model holds one card per UID and store; two
            # files of one UID in a folder are two items by design, as the folder store says)
            held = set(self.stores.contents(where))
            files = {p: d for p, d in files.items() if parse(d)[0] not in held}
        for path, data in files.items():
            path.write_bytes(data)
        if files:
            self.refilled.add(where)

    def _files(self, where: str) -> list[Path]:
        if where in FOLDERS:
            return sorted(self.stores.folders[where].glob("*.vcf"))
        return [self.stores.file]

    # -- syncs ----------------------------------------------------------------------------

    def sync(
        self,
        pair: tuple[str, str],
        direction: Direction,
        policy: Policy,
        match: MatchLevel,
        guard: bool,
    ) -> None:
        a, b = pair
        name = f"{a}-{b}"
        settings = SessionSettings(
            name, direction, policy, allow_mass_delete=not guard, match=match
        )
        if "phone" in pair:
            self.stores._reopen_phone()  # as the service opens it: adopt, detect...
        before = self.snapshot()
        dry = SyncSession(
            self.stores.replicas[a],
            self.stores.replicas[b],
            dataclasses.replace(settings, dry_run=True),
            self.stores.bases,
        ).run()
        if "phone" in pair:
            self.stores._reopen_phone()  # ... and closes it after the session
        after = self.snapshot()
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        assert not changed, f"the dry run of {name} changed {changed}"
        real, events = self.stores.sync(a, b, settings)
        predicted, done = summary(dry), summary(real)
        assert predicted == done, (
            f"{name} {direction.value} {policy.value} match={match.value}: the dry run "
            f"predicted {predicted}, the sync did {done}"
        )
        self.reach(f"status {real.status.value}")
        if real.matched:
            self.reach("matched")
        if real.merged:
            self.reach("merged")
        if real.emptied_store:
            self.reach("emptied store")
        if self.refilled & set(pair) and real.status is not Status.BLOCKED:
            self.refilled -= set(pair)
            self.reach("synced after a refill")
        if any(isinstance(e, ConflictFound) for e in events):
            self.reach("settled conflict")

    def snapshot(self) -> Snapshot:
        """Every file's bytes under the stores' folder (the phone's state object
        included), every database's content, and the memory replica."""
        out: Snapshot = {}
        root = self.stores.root
        for path in sorted(root.rglob("*")):
            if not path.is_file() or ".sqlite" in path.name:
                continue
            out[str(path.relative_to(root))] = path.read_bytes()
        for path in sorted(root.glob("*.sqlite")):
            out[path.name] = _dump(path)
        mem = self.stores.mem
        out["mem"] = (
            mem.all_items(),
            mem.knowledge().serialize(),
            mem.forgotten().serialize(),
            sorted(mem.live().items()),
            sorted(mem.peers()),
            sorted(c.id for c in mem.conflicts()),
        )
        return out

    def converge(self) -> None:
        """Nothing to check at the end: every step checked itself."""


def _sync_rule(a: str, b: str) -> Callable[..., None]:
    """The rule that runs partnership ``a-b`` (one rule per partnership, as in
    :func:`tests.sync_support.sync_rule`)."""

    def sync(
        self: DryRunMachine, direction: Direction, policy: Policy, match: MatchLevel, guard: bool
    ) -> None:
        self.sync((a, b), direction, policy, match, guard)

    sync.__name__ = sync.__qualname__ = f"sync_{a}_{b}"
    made: Callable[..., None] = rule(
        direction=DIRECTION, policy=POLICY, match=MATCH, guard=st.booleans()
    )(sync)
    return made


class PhoneRingDryRuns(DryRunMachine):
    TOPOLOGY = PHONE_RING
    sync_phone_vdir = _sync_rule("phone", "vdir")
    sync_vdir_mem = _sync_rule("vdir", "mem")
    sync_mem_phone = _sync_rule("mem", "phone")
    sync_vdir_vcf = _sync_rule("vdir", "vcf")
    sync_vcf_phone = _sync_rule("vcf", "phone")


TestDryRunMachine = machine_test(PhoneRingDryRuns, examples=200, steps=30)
