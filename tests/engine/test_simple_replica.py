"""The engine over a simple provider: :class:`SimpleReplica` with a dictionary-backed store
and a real SQLite :class:`MetadataStore`. Change detection, unreadable and half-listed
stores, cards without UID, restarts and crashes between the store and the metadata."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from syncgui.engine.errors import ItemProblem, ItemRejected, ItemUnreadable, StoreUnavailable
from syncgui.engine.events import CancelToken, Event, Progress, Status
from syncgui.engine.ids import gid_for_uid
from syncgui.engine.itemformat import ItemFormat, ItemInfo
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.provider import Capabilities, Entry, Listing, StampedEntries, Written
from syncgui.engine.replica import Replica
from syncgui.engine.resolutions import resolve_stored
from syncgui.engine.simple import SimpleReplica
from tests.engine.lineformat import LineFormat, parse
from tests.engine.support import FMT, Net, card, quiet

# -- a dictionary-backed simple store ---------------------------------------------------------


_GONE = None


class DictStore:
    def __init__(self, name: str, fmt: ItemFormat) -> None:
        self._name = name
        self._format = fmt
        self._stamp = 0
        self.items: dict[str, tuple[bytes, str]] = {}  # key -> (data, stamp)
        self._staged: dict[str, tuple[bytes, str] | None] = {}
        self.reads = 0
        self.commits = 0
        # faults
        self.unreadable: set[str] = set()  # read() raises ItemUnreadable
        self.unlistable: set[str] = set()  # listed as unreadable (known key)
        self.omitted: set[str] = set()  # missing from the listing, which is then incomplete
        self.refuse_delete: set[str] = set()
        self.refuse_write: set[str] = set()  # create/update of these UIDs raise ItemRejected
        self.fail_commit_at: int | None = None  # the n-th commit (1-based) raises
        self.keep_writes_on_failure = False

    # -- the SimpleStore protocol ---------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def identity(self) -> str:
        return f"dict:{self._name}"

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    @property
    def format(self) -> ItemFormat:
        return self._format

    def list(self, token: str | None) -> Listing:
        entries = [
            Entry(key, stamp)
            for key, (_data, stamp) in sorted(self.items.items())
            if key not in self.unlistable and key not in self.omitted
        ]
        problems = [ItemProblem(key, "could not be listed") for key in sorted(self.unlistable)]
        return Listing(
            entries, None, problems, frozenset(self.unlistable), complete=not self.omitted
        )

    def read(self, key: str) -> bytes:
        self.reads += 1
        if key in self.unreadable:
            raise ItemUnreadable("permission denied", item=key)
        if key not in self.items:
            raise ItemUnreadable("no such item", item=key)
        return self.items[key][0]

    def create(self, uid: str, data: bytes) -> Written:
        if uid in self.refuse_write:
            raise ItemRejected("the store refused the card", item=uid)
        key = f"{uid}.card"
        n = 1
        while key in self.items or key in self._staged:
            n += 1
            key = f"{uid}-{n}.card"
        return self._stage(key, data)

    def update(self, key: str, data: bytes) -> Written:
        if key.removesuffix(".card") in self.refuse_write:
            raise ItemRejected("the store refused the card", item=key)
        return self._stage(key, data)

    def delete(self, key: str) -> None:
        if key in self.refuse_delete:
            raise ItemRejected("the store refused the delete", item=key)
        self._staged[key] = _GONE

    def commit(self) -> str | None:
        self.commits += 1
        staged, self._staged = self._staged, {}
        if self.fail_commit_at == self.commits:
            if self.keep_writes_on_failure:
                self._publish(staged)
            raise StoreUnavailable("the store went away while saving")
        self._publish(staged)
        return None

    # -- "another program" ----------------------------------------------------------------

    def add(self, key: str, data: bytes) -> None:
        self.items[key] = (data, self._next())

    def edit(self, key: str, data: bytes) -> None:
        self.add(key, data)

    def touch(self, key: str) -> None:
        self.items[key] = (self.items[key][0], self._next())

    def drop(self, key: str) -> None:
        del self.items[key]

    def data(self) -> dict[str, bytes]:
        return {key: data for key, (data, _stamp) in self.items.items()}

    # -- internals ------------------------------------------------------------------------

    def _next(self) -> str:
        self._stamp += 1
        return f"s{self._stamp}"

    def _stage(self, key: str, data: bytes) -> Written:
        stamp = self._next()
        self._staged[key] = (data, stamp)
        return Written(key, stamp)

    def _publish(self, staged: dict[str, tuple[bytes, str] | None]) -> None:
        for key, value in staged.items():
            if value is None:
                self.items.pop(key, None)
            else:
                self.items[key] = value


# -- fixtures and helpers ---------------------------------------------------------------------


class Bench:
    """Simple replicas with their metadata databases under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.net = Net()
        self.open_replicas: list[SimpleReplica] = []

    def open(self, name: str, store: DictStore | None = None) -> SimpleReplica:
        store = store or DictStore(name, FMT)
        meta = MetadataStore(self.root / f"{name}.sqlite", store.identity)
        replica = SimpleReplica(store, meta)
        self.open_replicas.append(replica)
        return replica

    def reopen(self, replica: SimpleReplica) -> SimpleReplica:
        """The same store and metadata file, as after a restart."""
        replica.close()
        self.open_replicas.remove(replica)
        assert isinstance(replica.store, DictStore)
        return self.open(replica.name, replica.store)

    def close(self) -> None:
        for replica in self.open_replicas:
            replica.close()
        self.net.close()


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    b = Bench(tmp_path)
    yield b
    b.close()


def store_of(replica: SimpleReplica) -> DictStore:
    assert isinstance(replica.store, DictStore)
    return replica.store


def contacts(replica: SimpleReplica) -> dict[str, dict[str, str]]:
    """Each card in the store by UID; a UID seen twice is a duplicate and fails here."""
    out: dict[str, dict[str, str]] = {}
    for data in store_of(replica).data().values():
        fields = parse(data)
        assert fields["UID"] not in out, f"duplicate card {fields['UID']}"
        out[fields["UID"]] = fields
    return out


def synced(bench: Bench, *uids: str) -> tuple[SimpleReplica, SimpleReplica]:
    a, b = bench.open("A"), bench.open("B")
    for uid in uids:
        store_of(a).add(f"{uid}.card", card(uid, f"Person {uid}", tel="1"))
    assert bench.net.sync(a, b).status is Status.OK
    assert contacts(a) == contacts(b)
    return a, b


def assert_knowledge_backed(source: Replica, dest: SimpleReplica) -> None:
    """Every source version the destination's knowledge claims is in the destination store."""
    known = dest.knowledge()
    held = contacts(dest)
    for m in source.all_items():
        if not known.contains(m.gid, m.version):
            continue
        if m.deleted:
            assert m.uid not in held, f"{m.label}: deleted at the source, still here"
        else:
            assert m.uid in held, f"{m.label}: claimed by knowledge, not in the store"
            assert FMT.same(card_bytes(held[m.uid]), source.load(m.gid))


def card_bytes(fields: dict[str, str]) -> bytes:
    return "".join(f"{k}:{v}\n" for k, v in sorted(fields.items())).encode()


# -- the engine end to end ---------------------------------------------------------------------


def test_two_simple_replicas_sync_creates_merges_and_deletes(bench: Bench) -> None:
    a, b = bench.open("A"), bench.open("B")
    store_of(a).add("x.card", card("x", "Ada Lovelace", tel="1"))
    store_of(a).add("y.card", card("y", "Grace Hopper"))
    store_of(b).add("z.card", card("z", "Alan Turing"))

    first = bench.net.sync(a, b)
    assert (first.status, first.to_b.created, first.to_a.created) == (Status.OK, 2, 1)

    store_of(a).edit("x.card", card("x", "Ada Lovelace", tel="2"))
    store_of(b).edit("x.card", card("x", "Ada Lovelace", tel="1", email="ada@example.org"))
    store_of(b).drop("y.card")
    second = bench.net.sync(a, b)

    assert (second.status, second.merged, second.to_a.deleted) == (Status.OK, 1, 1)
    assert contacts(a) == contacts(b)
    assert sorted(contacts(a)) == ["x", "z"]
    assert contacts(a)["x"]["TEL"] == "2"
    assert contacts(a)["x"]["EMAIL"] == "ada@example.org"
    assert quiet(bench.net.sync(a, b))


# -- change detection --------------------------------------------------------------------------


def test_an_edit_by_another_program_gets_a_new_version(bench: Bench) -> None:
    a, b = synced(bench, "x", "y")
    gid = gid_for_uid("x")
    before = a.lookup([gid])[gid].version

    store_of(a).edit("x.card", card("x", "Person x", tel="2"))
    report = a.detect()

    after = a.lookup([gid])[gid].version
    assert report.changes == 1
    assert after.replica == a.replica_id
    assert after.tick > before.tick
    assert a.knowledge().contains(gid, after)
    result = bench.net.sync(a, b)
    assert result.to_b.updated == 1
    assert contacts(b)["x"]["TEL"] == "2"


def test_touching_an_item_without_changing_its_bytes_is_not_a_change(bench: Bench) -> None:
    a, b = synced(bench, "x", "y")
    gid = gid_for_uid("x")
    version, knowledge = a.lookup([gid])[gid].version, a.knowledge()
    store = store_of(a)

    store.touch("x.card")
    store.reads = 0
    report = a.detect()

    assert report.changes == 0
    assert store.reads == 1  # the new stamp made it look
    assert a.lookup([gid])[gid].version == version
    assert a.knowledge() == knowledge
    store.reads = 0
    assert quiet(bench.net.sync(a, b))
    assert store.reads == 0  # the new stamp was remembered


def test_a_no_op_sync_reads_nothing(bench: Bench) -> None:
    a, b = synced(bench, *(f"p{i}" for i in range(5)))
    store_of(a).reads = store_of(b).reads = 0

    assert a.detect().changes == 0
    result = bench.net.sync(a, b)

    assert quiet(result)
    assert store_of(a).reads == store_of(b).reads == 0


def snapshot_of(replica: SimpleReplica) -> bytes | None:
    """The stamp snapshot in the replica's database, read by a connection of its own."""
    path = replica.meta._db.execute("PRAGMA database_list").fetchone()[2]
    with closing(sqlite3.connect(path)) as db:
        row = db.execute("SELECT map FROM stamp_snapshot").fetchone()
    return None if row is None else bytes(row[0])


def test_a_no_op_keeps_the_stamps_in_one_piece_which_any_change_drops(bench: Bench) -> None:
    a, b = synced(bench, "x", "y", "z")
    assert a.detect().changes == 0
    kept = snapshot_of(a)
    assert kept is not None and b"x.card" in kept

    store_of(a).edit("x.card", card("x", "Person x", tel="2"))
    assert a.detect().changes == 1  # seen through the snapshot: x's stamp differs
    assert snapshot_of(a) is None  # the new stamp's row dropped it
    store_of(a).drop("y.card")
    assert a.detect().changes == 1
    assert a.detect().changes == 0  # a no-op again: kept again, with x's new stamp

    reopened = bench.reopen(a)
    store_of(reopened).touch("z.card")
    store_of(reopened).reads = 0
    assert reopened.detect().changes == 0
    assert store_of(reopened).reads == 1  # z's new stamp made it look, as without a snapshot
    result = bench.net.sync(reopened, b)
    assert (result.status, result.to_b.updated, result.to_b.deleted) == (Status.OK, 1, 1)
    assert sorted(contacts(b)) == ["x", "z"]
    assert contacts(b)["x"]["TEL"] == "2"


class StampedDictStore(DictStore):
    """A DictStore that lists as a folder does: one ``key -> stamp`` map."""

    def list(self, token: str | None) -> Listing:
        listing = super().list(token)
        pairs = [f"{e.key}\0{e.stamp}" for e in listing.entries or ()]
        entries = StampedEntries("\0".join(pairs).encode(), lambda _stamp: None)
        return Listing(entries, None, listing.problems, listing.unreadable, listing.complete)


def stamped_pair(bench: Bench) -> tuple[SimpleReplica, SimpleReplica]:
    """Two replicas of folder-like stores, x, y and z synced from A to B."""
    a = bench.open("A", StampedDictStore("A", FMT))
    b = bench.open("B", StampedDictStore("B", FMT))
    for uid in ("x", "y", "z"):
        store_of(a).add(f"{uid}.card", card(uid, f"Person {uid}"))
    assert bench.net.sync(a, b).to_b.created == 3
    return a, b


def test_a_store_listing_key_to_stamp_is_compared_whole_and_misses_nothing(
    bench: Bench,
) -> None:
    a, b = stamped_pair(bench)
    store_of(a).reads = store_of(b).reads = 0
    assert quiet(bench.net.sync(a, b))
    assert store_of(a).reads == store_of(b).reads == 0

    store_of(a).edit("x.card", card("x", "Person x", tel="5"))
    store_of(b).drop("y.card")
    store_of(b).add("w.card", card("w", "Person w"))
    result = bench.net.sync(a, b)
    assert (result.to_b.updated, result.to_a.deleted, result.to_a.created) == (1, 1, 1)
    assert contacts(a) == contacts(b)
    assert sorted(contacts(a)) == ["w", "x", "z"]
    store_of(a).touch("z.card")  # a new stamp, the same bytes: looked at, not a change
    assert a.detect().changes == 0
    assert quiet(bench.net.sync(a, b))


def test_a_folder_no_op_is_its_listing_byte_for_byte_and_never_misses_a_change(
    bench: Bench,
) -> None:
    a, b = stamped_pair(bench)
    assert a.detect().changes == 0
    stamps = store_of(a).list(None).entries
    assert isinstance(stamps, StampedEntries)
    in_listing_order = "\0".join(x for kv in stamps.stamps.items() for x in kv).encode()
    assert snapshot_of(a) == in_listing_order  # kept in the order the store lists

    # the same map in another order (as an older syncgui kept it): still a no-op, and kept
    # again in the listing's order
    reordered = "\0".join(x for kv in reversed(stamps.stamps.items()) for x in kv).encode()
    path = a.meta._db.execute("PRAGMA database_list").fetchone()[2]
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("UPDATE stamp_snapshot SET map=?", (reordered,))
    store_of(a).reads = 0
    assert a.detect().changes == 0 and store_of(a).reads == 0
    assert snapshot_of(a) == in_listing_order

    store_of(a).touch("y.card")  # a new stamp alone: the bytes differ, y is looked at
    assert a.detect().changes == 0 and store_of(a).reads == 1
    store_of(a).edit("z.card", card("z", "Person z", tel="7"))
    result = bench.net.sync(a, b)
    assert (result.status, result.to_b.updated) == (Status.OK, 1)
    assert contacts(b)["z"]["TEL"] == "7"


def test_rows_changed_by_another_process_are_never_hidden_by_a_snapshot(bench: Bench) -> None:
    a, _b = synced(bench, "x", "y")
    meta = a.meta
    assert a.detect().changes == 0  # snapshot kept
    path = meta._db.execute("PRAGMA database_list").fetchone()[2]
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("UPDATE item SET stamp='elsewhere' WHERE key='x.card'")
    # the other process's change dropped the snapshot: the rows are read, x looks changed
    assert meta.live_stamp_map()["x.card"] == "elsewhere"

    seen = meta.live_stamp_map()  # read from the rows
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("UPDATE item SET stamp='later' WHERE key='y.card'")
    meta.keep_stamp_map(seen)  # another commit came between: not kept
    assert snapshot_of(a) is None
    assert meta.live_stamp_map()["y.card"] == "later"


def test_a_no_op_never_waits_for_another_process_to_keep_its_snapshot(bench: Bench) -> None:
    a, _b = synced(bench, "x")
    path = a.meta._db.execute("PRAGMA database_list").fetchone()[2]
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process writes for a second
    release = threading.Timer(1.0, lambda: other.execute("COMMIT"))
    release.start()
    try:
        assert a.detect().changes == 0  # the sync itself goes on
    finally:
        release.join()
        other.close()
    assert snapshot_of(a) is None  # it did not wait a second for the lock to keep it
    assert a.meta._db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000  # as it was
    assert a.detect().changes == 0
    assert snapshot_of(a) is not None  # kept by the next no-op


def test_a_damaged_snapshot_is_ignored_and_the_rows_are_read(bench: Bench) -> None:
    a, _b = synced(bench, "x", "y")
    assert a.detect().changes == 0
    path = a.meta._db.execute("PRAGMA database_list").fetchone()[2]
    rows = dict(a.meta._db.execute("SELECT key, stamp FROM item WHERE deleted=0"))
    for damage in (b"x.card\0s1\0y.card", b"\xff\xfe", b"x.card"):
        with closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("UPDATE stamp_snapshot SET map=?", (damage,))
        assert a.meta.live_stamp_map() == rows
    store_of(a).edit("y.card", card("y", "Person y", tel="9"))
    assert a.detect().changes == 1


# -- stores that cannot tell everything --------------------------------------------------------


def test_an_item_listed_as_unreadable_keeps_its_state_and_is_not_deleted_elsewhere(
    bench: Bench,
) -> None:
    a, b = synced(bench, "x", "y")
    store_of(a).unlistable = {"x.card"}

    result = bench.net.sync(a, b)

    assert [e.item for e in result.errors] == ["x.card"]
    assert sorted(contacts(b)) == ["x", "y"]
    assert not a.lookup([gid_for_uid("x")])[gid_for_uid("x")].deleted

    store_of(a).unlistable = set()
    assert bench.net.sync(a, b).status is Status.OK
    assert sorted(contacts(b)) == ["x", "y"]


def test_an_item_that_cannot_be_read_is_neither_deleted_nor_overwritten(bench: Bench) -> None:
    a, b = synced(bench, "x", "y")
    store_of(a).edit("x.card", card("x", "Person x", tel="2"))  # new stamp, unreadable bytes
    store_of(a).unreadable = {"x.card"}

    blocked = bench.net.sync(a, b)

    assert [e.item for e in blocked.errors] == ["x.card"]
    assert contacts(b)["x"]["TEL"] == "1"  # B keeps its copy

    store_of(b).drop("x.card")  # B's user deletes it meanwhile
    refused = bench.net.sync(a, b)

    assert "x.card" in store_of(a).items  # never deleted because it could not be read
    assert any(e.item == "x.card" for e in refused.errors)

    store_of(a).unreadable = set()
    healed = bench.net.sync(a, b)
    assert healed.status is Status.OK
    assert contacts(a) == contacts(b)
    assert contacts(a)["x"]["TEL"] == "2"  # the edit nobody could read wins over the delete


def test_an_incomplete_listing_infers_no_deletes(bench: Bench) -> None:
    a, b = synced(bench, "x", "y")
    store_of(a).omitted = {"x.card"}

    result = bench.net.sync(a, b)

    assert result.status is Status.OK
    assert sorted(contacts(b)) == ["x", "y"]
    assert result.to_b.deleted == 0

    store_of(a).omitted = set()
    store_of(a).drop("x.card")  # a real delete, in a complete listing
    assert bench.net.sync(a, b).to_b.deleted == 1
    assert sorted(contacts(b)) == ["y"]


# -- identity and persistence ------------------------------------------------------------------


def test_a_card_without_uid_keeps_one_identity_across_runs(bench: Bench) -> None:
    a, b = bench.open("A"), bench.open("B")
    store_of(a).add("nouid.card", b"FN:No Uid\nTEL:1\n")

    bench.net.sync(a, b)
    [uid] = contacts(b)
    a = bench.reopen(a)
    b = bench.reopen(b)

    assert quiet(bench.net.sync(a, b))
    store_of(a).edit("nouid.card", b"FN:No Uid\nTEL:2\n")
    a = bench.reopen(a)
    result = bench.net.sync(a, b)

    assert result.to_b.updated == 1
    assert list(contacts(b)) == [uid]
    assert contacts(b)[uid]["TEL"] == "2"
    assert len(store_of(a).items) == 1


def test_two_processes_opening_new_metadata_at_once_get_one_replica(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app and the CLI may both open a replica's metadata for the first time at once:
    the second one to write takes the replica the first one made, never fails."""
    from syncgui.engine import metadata

    path = tmp_path / "new.sqlite"
    made = metadata.new_replica_id
    others: list[MetadataStore] = []
    calls: list[int] = []

    def other_process_first() -> bytes:
        calls.append(1)
        if len(calls) == 1:  # between this store's look and its write, another one is made
            others.append(MetadataStore(path, "dict:A"))
        return made()

    monkeypatch.setattr(metadata, "new_replica_id", other_process_first)
    meta = MetadataStore(path, "dict:A")
    try:
        assert meta.replica_id == others[0].replica_id
        assert meta.tick == 0 and meta.knowledge == others[0].knowledge
    finally:
        meta.close()
        others[0].close()


def test_reopened_metadata_has_the_same_replica_knowledge_items_and_conflicts(
    bench: Bench,
) -> None:
    a, b = synced(bench, "x", "y", "z")
    store_of(a).edit("x.card", card("x", "Person x", tel="2"))
    store_of(b).edit("x.card", card("x", "Person x", tel="3"))
    store_of(b).drop("z.card")
    assert bench.net.sync(a, b).status is Status.CONFLICTS
    saved = (b.replica_id, b.knowledge(), b.forgotten(), b.all_items(), b.conflicts())

    b = bench.reopen(b)

    assert (b.replica_id, b.knowledge(), b.forgotten(), b.all_items(), b.conflicts()) == saved
    [conflict] = b.conflicts("A-B")
    resolve_stored(conflict, b, "b", bench.net.base(a, b), None)
    after = bench.net.sync(a, b)
    assert after.status is Status.OK
    assert contacts(a) == contacts(b)
    assert contacts(a)["x"]["TEL"] == "3"


# -- crashes between the store and the metadata ------------------------------------------------


@pytest.mark.parametrize("writes_survive", [False, True], ids=["writes-lost", "writes-kept"])
def test_a_crash_before_the_metadata_commit_resumes_without_duplicates(
    bench: Bench, writes_survive: bool
) -> None:
    a, b = bench.open("A"), bench.open("B")
    for i in range(6):
        store_of(a).add(f"p{i}.card", card(f"p{i}", f"Person {i}"))
    store_of(b).fail_commit_at = 2  # the second batch never reaches the metadata
    store_of(b).keep_writes_on_failure = writes_survive

    failed = bench.net.sync(a, b, batch_size=2)
    assert failed.status is Status.FAILED
    assert any("went away" in e.message for e in failed.errors)

    b = bench.reopen(b)
    assert_knowledge_backed(a, b)
    assert len(contacts(b)) == (6 if writes_survive else 4)

    result = bench.net.sync(a, b, batch_size=2)

    assert result.status is Status.OK
    assert sorted(contacts(b)) == [f"p{i}" for i in range(6)]
    assert len(store_of(b).items) == 6
    assert contacts(a) == contacts(b)
    assert_knowledge_backed(a, b)
    assert quiet(bench.net.sync(a, b))


def _uid_below(bound: bytes) -> str:
    return next(u for u in (f"y{i}" for i in range(10_000)) if gid_for_uid(u) < bound)


def test_a_recovery_sync_cut_short_still_deletes_what_the_source_forgot(bench: Bench) -> None:
    net = bench.net
    a, b = net.replica("A"), net.replica("B")
    people = [f"p{i}" for i in range(6)]
    for uid in people:
        a.put(card(uid, f"Person {uid}"))
    y = _uid_below(sorted(gid_for_uid(u) for u in people)[1])  # inside the first batch
    a.put(card(y, "Forgotten Person"))
    c = bench.open("C")
    net.sync(a, b)
    net.sync(b, c)
    a.remove(gid_for_uid(y))
    net.sync(a, b)
    store_of(c).refuse_delete = {f"{y}.card"}
    assert net.sync(b, c).errors  # C could not delete it: its knowledge excludes it
    store_of(c).refuse_delete = set()
    assert a.cleanup_tombstones(time.time() + 1) == 1
    token = CancelToken()

    def cancel_after_first_batch(event: Event) -> None:
        if isinstance(event, Progress) and event.stage == "applying":
            token.cancel()

    cut = net.sync(a, c, emit=cancel_after_first_batch, cancel=token, batch_size=2)
    assert cut.recovered
    assert cut.status is Status.CANCELLED
    tomb = b.lookup([gid_for_uid(y)])[gid_for_uid(y)]
    assert tomb.deleted
    assert not (c.knowledge().contains(tomb.gid, tomb.version) and y in contacts(c))

    for one, two in ((a, c), (b, c), (a, c)):
        net.sync(one, two, batch_size=2)
    assert y not in contacts(c)


# -- counts never claim what did not happen ---------------------------------------------------


def test_counts_leave_out_the_writes_a_store_refused(bench: Bench) -> None:
    a, b = synced(bench, "x", "y")
    store_of(b).refuse_write = {"x", "new"}
    store_of(a).edit("x.card", card("x", "Person x", tel="2"))
    store_of(a).edit("y.card", card("y", "Person y", tel="2"))
    store_of(a).add("new.card", card("new", "Person new", tel="3"))

    result = bench.net.sync(a, b)

    assert (result.to_b.created, result.to_b.updated) == (0, 1)
    assert sorted(e.item for e in result.errors) == ["Person new", "Person x"]
    assert contacts(b)["x"]["TEL"] == "1" and "new" not in contacts(b)

    store_of(b).refuse_write = set()  # the store takes them now: the next sync sends them
    again = bench.net.sync(a, b)
    assert (again.to_b.created, again.to_b.updated) == (1, 1)
    assert again.status is Status.OK
    assert contacts(a) == contacts(b)


class _BuggyFormat(LineFormat):
    """A format with a bug: describing one card raises something that is not BadItem."""

    def describe(self, data: bytes) -> ItemInfo:
        if b"boom" in data:
            raise ValueError("embedded null character")
        return super().describe(data)


def test_a_card_that_trips_a_format_bug_is_reported_and_the_rest_syncs(bench: Bench) -> None:
    a = bench.open("A", DictStore("A", _BuggyFormat()))
    b = bench.open("B", DictStore("B", _BuggyFormat()))
    store_of(a).add("x.card", card("x", "Person x", tel="1"))
    store_of(a).add("bad.card", card("bad", "boom", tel="1"))

    result = bench.net.sync(a, b)

    assert [e.item for e in result.errors] == ["bad.card"]
    assert "could not be understood" in result.errors[0].message
    assert sorted(contacts(b)) == ["x"]
    assert "bad.card" in store_of(a).items


class TokenStore(DictStore):
    """A store with listing tokens (as a CardDAV book or a .vcf file has)."""

    def list(self, token: str | None) -> Listing:
        listing = super().list(token)
        return Listing(
            listing.entries,
            f"t{self._stamp}",
            listing.problems,
            listing.unreadable,
            listing.complete,
        )

    def commit(self) -> str | None:
        super().commit()
        return f"t{self._stamp}"


def test_a_token_from_writes_never_hides_a_card_that_could_not_be_read(bench: Bench) -> None:
    """Change detection drops the token when a card could not be read, so the next sync
    reads the store again and reports it; the store's token after our writes must not
    bring it back."""
    a = bench.open("A", TokenStore("A", FMT))
    b = bench.open("B")
    store_of(a).add("bad.card", b"no colon here\n")
    store_of(a).add("x.card", card("x", "Ada", tel="1"))
    store_of(b).add("y.card", card("y", "Grace", tel="2"))  # a write to A: a new token
    first = bench.net.sync(a, b)
    assert any("bad.card" in p.item for p in first.errors)
    assert a.meta.token is None
    second = bench.net.sync(a, b)
    assert any("bad.card" in p.item for p in second.errors)
