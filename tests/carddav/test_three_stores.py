"""Three stores, two partnerships, one knowledge each: a phone (the virtual phone), a folder
of cards and a CardDAV address book, against Radicale and Xandikos.

The folder is partnered with the phone and with the address book (or the address book sits
in the middle, partnered with both). Each store is one replica shared by its partnerships,
and all of them share one merge-base store, as the service has them; every session opens its
stores afresh, as a new run of the app does. The partnerships run in every order, with
edits on each store in between: single edits and a delete, then one card edited on two
stores (different fields: merged), one edited the same way on two stores, and one edited
differently on two stores (the one true conflict, which the user then settles).

What a user would notice is asserted: no conflict but the true one, no person twice on any
store, every store with the same contacts in the end (Radicale writes a card's properties in
its own order; nothing else differs), and a sync after that writes nothing anywhere.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from syncgui.engine import (
    BaseStore,
    ConflictFound,
    Event,
    MetadataStore,
    PassCounts,
    SessionResult,
    SessionSettings,
    SimpleReplica,
    SimpleStore,
    Status,
    StoredConflict,
    SyncSession,
    resolve_stored,
)
from syncgui.engine.events import Outcome
from syncgui.engine.provider import release
from syncgui.providers.carddav import open_store
from syncgui.providers.carddav.store import CardDavStore
from syncgui.providers.mtp.phone.store import open_virtual_store
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.providers.vcard.format import VCardFormat
from tests.carddav.servers import Server
from tests.sync_stores import parse, render

FMT = VCardFormat()
STORES = ("phone", "folder", "server")
TOPOLOGIES = {
    "folder-in-the-middle": (("phone", "folder"), ("folder", "server")),
    "server-in-the-middle": (("phone", "server"), ("server", "folder")),
}
Contact = dict[str, str]  # property -> value; FN is the person's name


class ThreeStores:
    """The phone, the folder and the address book: their replicas (metadata files in
    ``root``), one merge-base store, and direct access to their cards."""

    def __init__(self, root: Path, book: str) -> None:
        self.root = root
        self.book = book
        self.phone = root / "phone"
        (self.phone / "Contacts").mkdir(parents=True)
        self.folder = root / "folder"
        self.folder.mkdir()
        self.bases = BaseStore(root / "bases.sqlite")
        self._stamp = time.time_ns() + 10**15  # mtimes no sync could have given a file
        self._names = 0

    def close(self) -> None:
        self.bases.close()

    def _store(self, name: str) -> SimpleStore:
        if name == "phone":
            return open_virtual_store(f"{self.phone}#Contacts")
        if name == "folder":
            return open_folder_store(str(self.folder))
        return self._book()

    def _book(self) -> CardDavStore:
        return open_store(self.book, user=None, password=None)

    @contextmanager
    def opened(self, *names: str) -> Iterator[list[SimpleReplica]]:
        replicas: list[SimpleReplica] = []
        try:
            for name in names:
                store = self._store(name)
                replicas.append(
                    SimpleReplica(
                        store, MetadataStore(self.root / f"{name}.sqlite", store.identity)
                    )
                )
            yield replicas
        finally:
            for replica in replicas:
                replica.close()

    def sync(self, a: str, b: str) -> tuple[SessionResult, list[ConflictFound]]:
        """Run partnership ``a-b`` (two-way, the default merge policy) once."""
        events: list[Event] = []
        with self.opened(a, b) as (ra, rb):
            settings = SessionSettings(f"{a}-{b}")
            result = SyncSession(ra, rb, settings, self.bases, emit=events.append).run()
        assert result.status in (Status.OK, Status.CONFLICTS), (result.partnership, result)
        return result, [e for e in events if isinstance(e, ConflictFound)]

    def conflicts(self) -> list[tuple[str, StoredConflict]]:
        """The conflicts waiting for the user, with the store that holds each."""
        found: list[tuple[str, StoredConflict]] = []
        for name in STORES:
            with self.opened(name) as (replica,):
                replica.detect()
                found += [(name, c) for c in replica.conflicts()]
        return found

    def settle(self, holder: str, conflict: StoredConflict) -> None:
        """The user keeps the version that came in (the conflict's source side)."""
        with self.opened(holder) as (replica,):
            replica.detect()
            resolve_stored(conflict, replica, conflict.source_side.value, self.bases, None)

    # -- what a user sees ---------------------------------------------------------------------

    def cards(self, name: str) -> list[bytes]:
        if name == "server":
            store = self._book()
            try:
                listing = store.list(None)
                assert listing.entries is not None
                return [store.read(e.key) for e in sorted(listing.entries, key=lambda e: e.key)]
            finally:
                store.close()
        folder = self.phone / "Contacts" if name == "phone" else self.folder
        return [p.read_bytes() for p in sorted(folder.glob("*.vcf"))]

    def by_uid(self, name: str) -> dict[str, bytes]:
        """The store's cards by UID; no person twice (by UID or by name)."""
        cards = self.cards(name)
        uids = Counter(parse(c)[0] for c in cards)
        names = Counter(dict(parse(c)[1])["FN"] for c in cards)
        assert max(uids.values(), default=1) == 1, (name, uids)
        assert max(names.values(), default=1) == 1, (name, names)
        return {parse(c)[0]: c for c in cards}

    def snapshot(self) -> dict[str, dict[str, bytes]]:
        return {name: self.by_uid(name) for name in STORES}

    def stamps(self) -> dict[str, dict[str, str]]:
        """Each store's listing: its keys with their version fields (size, mtime and inode;
        the server's ETags)."""
        found: dict[str, dict[str, str]] = {}
        for name in STORES:
            store = self._store(name)
            try:
                listing = store.list(None)
                assert listing.entries is not None
                found[name] = {e.key: e.stamp for e in listing.entries}
            finally:
                release(store)
        return found

    # -- edits by the user, on each store ---------------------------------------------------

    def write(self, name: str, uid: str, contact: Contact | None) -> None:
        """Create, change or delete (None) ``uid`` on store ``name``, as the phone's own app,
        a program on the computer or another CardDAV client would."""
        data = None if contact is None else render(uid, tuple(sorted(contact.items())))
        if name == "server":
            store = self._book()
            try:
                listing = store.list(None)
                assert listing.entries is not None
                keys = [e.key for e in listing.entries if parse(store.read(e.key))[0] == uid]
                if data is None:
                    store.delete(keys[0])
                elif keys:
                    store.update(keys[0], data)
                else:
                    store.create(uid, data)
            finally:
                store.close()
            return
        folder = self.phone / "Contacts" if name == "phone" else self.folder
        path = next((p for p in folder.glob("*.vcf") if parse(p.read_bytes())[0] == uid), None)
        if data is None:
            assert path is not None, (name, uid)
            path.unlink()
            return
        if path is None:
            self._names += 1
            path = folder / f"new-{self._names}.vcf"
        path.write_bytes(data)
        # the stores notice an edit by size, mtime and inode: a rewrite of the same size
        # within one tick of the clock would go unnoticed, which is not what this is about
        self._stamp += 1_000_000_000
        os.utime(path, ns=(self._stamp, self._stamp))


def _rounds(
    stores: ThreeStores, order: Sequence[tuple[str, str]], rounds: int = 2
) -> tuple[list[SessionResult], list[ConflictFound]]:
    """Sync the partnerships in ``order``, ``rounds`` times over (a change crosses the
    three stores in two rounds, whatever the order)."""
    results: list[SessionResult] = []
    found: list[ConflictFound] = []
    for _ in range(rounds):
        for a, b in order:
            result, conflicts = stores.sync(a, b)
            results.append(result)
            found += conflicts
    return results, found


def _assert_conflicts(
    found: Sequence[ConflictFound],
    *,
    agreed: Sequence[str] = (),
    merged: Sequence[str] = (),
    deferred: Sequence[str] = (),
) -> None:
    """The concurrent changes the sessions met, by contact name: ``agreed`` (two stores
    held the same content: nothing to settle; at most once), ``merged`` (field by field,
    once) and ``deferred`` (a true clash left for the user, at least once); nothing else."""
    outcomes = Counter((c.item, c.resolution) for c in found)
    for name in agreed:
        assert outcomes.pop((name, Outcome.CONVERGED), 0) <= 1, name
    for name in merged:
        assert outcomes.pop((name, Outcome.MERGED), 0) == 1, name
    for name in deferred:
        assert outcomes.pop((name, Outcome.DEFERRED), 0) >= 1, name
    assert outcomes == Counter()


def _assert_converged(
    stores: ThreeStores, kind: str, expected: Mapping[str, Contact]
) -> dict[str, bytes]:
    """Every store holds exactly ``expected`` (by UID), once each; the folder's and the
    phone's bytes are the same, and so are the server's, but for Radicale's property
    order. Returns the folder's cards."""
    snap = stores.snapshot()
    want = {uid: tuple(sorted(c.items())) for uid, c in expected.items()}
    for name, cards in snap.items():
        assert {uid: parse(data)[1] for uid, data in cards.items()} == want, name
    for uid, data in snap["folder"].items():
        assert FMT.same(data, snap["server"][uid]), uid
        if kind == "radicale":  # it re-serialises: the same lines, in its order
            assert sorted(snap["server"][uid].splitlines()) == sorted(data.splitlines()), uid
        else:
            assert snap["server"][uid] == data, uid
        if kind == "radicale" and snap["phone"][uid] != data:
            # the phone has one version, the folder the other (the card came by the server)
            assert sorted(snap["phone"][uid].splitlines()) == sorted(data.splitlines()), uid
        else:
            assert snap["phone"][uid] == data, uid
    return snap["folder"]


@pytest.fixture(params=["radicale", "xandikos"])
def kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def stores(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> Iterator[ThreeStores]:
    server: Server = request.getfixturevalue(kind)
    found = ThreeStores(tmp_path, server.new_book())
    yield found
    found.close()


@pytest.mark.parametrize(
    "order", list(itertools.permutations(range(2))), ids=lambda o: "then".join(map(str, o))
)
@pytest.mark.parametrize("topology", sorted(TOPOLOGIES))
def test_three_stores_converge_in_any_order_without_false_conflicts(
    stores: ThreeStores, kind: str, topology: str, order: tuple[int, ...]
) -> None:
    pairs = [TOPOLOGIES[topology][i] for i in order]
    ana: Contact = {"FN": "Ana Lima", "TEL": "+1 555 0101"}
    bo: Contact = {"FN": "Bo Berg", "TEL": "+1 555 0102"}
    cy: Contact = {"FN": "Cy Both", "TEL": "+1 555 0103"}
    dee: Contact = {"FN": "Dee Folder", "EMAIL": "dee@example.org"}  # Radicale moves EMAIL
    eve: Contact = {"FN": "Eve Server", "TEL": "+1 555 0105"}
    expected = {"ana": ana, "bo": bo, "cy": cy, "dee": dee, "eve": eve}

    # Each store starts with its own contacts; the phone and the server both hold Cy.
    for uid in ("ana", "bo", "cy"):
        stores.write("phone", uid, expected[uid])
    stores.write("folder", "dee", dee)
    stores.write("server", "eve", eve)
    stores.write("server", "cy", cy)
    results, found = _rounds(stores, pairs)
    _assert_conflicts(found, agreed=["Cy Both"])  # the same card: matched, not doubled
    assert all(r.status is Status.OK for r in results)
    _assert_converged(stores, kind, expected)

    # One edit on each store, and a delete on the phone.
    expected["ana"] = ana = {**ana, "TEL": "+1 555 0111"}
    stores.write("phone", "ana", ana)
    expected["eve"] = eve = {**eve, "NOTE": "met at the fair"}
    stores.write("folder", "eve", eve)
    expected["dee"] = dee = {**dee, "TEL": "+1 555 0104"}
    stores.write("server", "dee", dee)
    del expected["bo"]
    stores.write("phone", "bo", None)
    results, found = _rounds(stores, pairs)
    _assert_conflicts(found)
    assert all(r.status is Status.OK for r in results)
    _assert_converged(stores, kind, expected)

    # Cards edited on two stores between syncs: Cy in two fields (merged, no conflict to
    # settle), Dee the same way on both, Eve's note differently (the one true conflict).
    stores.write("phone", "cy", {**cy, "TEL": "+1 555 0113"})
    stores.write("server", "cy", {**cy, "TITLE": "Engineer"})
    expected["cy"] = cy = {**cy, "TEL": "+1 555 0113", "TITLE": "Engineer"}
    expected["dee"] = dee = {**dee, "TITLE": "Chef"}
    stores.write("phone", "dee", dee)
    stores.write("folder", "dee", dee)
    stores.write("phone", "eve", {**eve, "NOTE": "met at the fair in May"})
    stores.write("server", "eve", {**eve, "NOTE": "met at the fair in June"})
    results, found = _rounds(stores, pairs)
    _assert_conflicts(found, agreed=["Dee Folder"], merged=["Cy Both"], deferred=["Eve Server"])
    waiting = stores.conflicts()
    assert [c.source.label for _, c in waiting] == ["Eve Server"]  # stored once, on one store

    holder, conflict = waiting[0]
    assert conflict.data is not None
    kept = dict(parse(conflict.data)[1])
    assert kept["NOTE"] in ("met at the fair in May", "met at the fair in June")
    stores.settle(holder, conflict)
    expected["eve"] = kept
    results, found = _rounds(stores, pairs)
    _assert_conflicts(found)
    assert stores.conflicts() == []
    assert all(r.status is Status.OK for r in results)
    _assert_converged(stores, kind, expected)

    # Converged: a sync in any order writes nothing anywhere, the server included.
    before = stores.snapshot(), stores.stamps()
    results, found = _rounds(stores, pairs, rounds=1)
    for result in results:
        assert result.to_a == result.to_b == PassCounts(), result
        assert (result.conflicts, result.merged, result.errors) == (0, 0, []), result
    assert found == []
    assert (stores.snapshot(), stores.stamps()) == before
