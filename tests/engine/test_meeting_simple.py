"""Stores meeting, over simple providers with real SQLite metadata: the mapping of each
store's own card to the combined contact is durable, survives restarts, renames by other
programs and crashes, and old metadata files are upgraded to hold it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from syncgui.engine.events import Status
from syncgui.engine.metadata import MetadataStore
from tests.engine.lineformat import parse
from tests.engine.support import card, quiet
from tests.engine.test_simple_replica import Bench, bench, store_of

__all__ = ["bench"]


def cards(replica: object) -> dict[str, dict[str, str]]:
    """Each card in the store by file name."""
    return {k: parse(v) for k, v in store_of(replica).data().items()}  # type: ignore[arg-type]


def met(bench: Bench, n: int = 3) -> tuple[object, object]:
    """Stores A and B holding the same ``n`` people under their own UIDs; B's cards carry
    a NOTE A's lack."""
    a, b = bench.open("A"), bench.open("B")
    for i in range(n):
        store_of(a).add(f"a{i}.card", card(f"a-{i}", f"Person {i}", email=f"p{i}@x.org"))
        store_of(b).add(
            f"b{i}.card", card(f"b-{i}", f"Person {i}", email=f"p{i}@x.org", note=f"n{i}")
        )
    return a, b


def test_each_store_keeps_its_own_uid_and_file_and_gets_the_union(bench: Bench) -> None:
    a, b = met(bench)
    result = bench.net.sync(a, b)
    assert (result.status, len(result.matched), result.merged) == (Status.OK, 3, 3)
    assert sorted(cards(a)) == ["a0.card", "a1.card", "a2.card"]
    assert sorted(cards(b)) == ["b0.card", "b1.card", "b2.card"]
    assert {c["UID"] for c in cards(a).values()} == {"a-0", "a-1", "a-2"}
    assert {c["UID"] for c in cards(b).values()} == {"b-0", "b-1", "b-2"}
    assert cards(a)["a1.card"]["NOTE"] == "n1"
    a, b = bench.reopen(a), bench.reopen(b)  # type: ignore[arg-type]
    assert quiet(bench.net.sync(a, b))


def test_an_edit_after_matching_reaches_the_other_store_under_its_own_uid(bench: Bench) -> None:
    a, b = met(bench)
    bench.net.sync(a, b)
    store_of(b).edit("b1.card", card("b-1", "Person 1", email="p1@x.org", note="new"))
    result = bench.net.sync(a, b)
    assert result.to_a.updated == 1 and result.to_a.created == 0
    assert cards(a)["a1.card"] == {
        "UID": "a-1",
        "FN": "Person 1",
        "EMAIL": "p1@x.org",
        "NOTE": "new",
    }


def test_a_matched_card_renamed_by_another_program_stays_one_contact(bench: Bench) -> None:
    a, b = met(bench)
    bench.net.sync(a, b)
    store = store_of(b)
    store.add("renamed.card", store.items["b2.card"][0])
    store.drop("b2.card")
    result = bench.net.sync(a, b)
    assert (result.to_a.deleted, result.to_a.created, result.to_b.created) == (0, 0, 0)
    assert len(cards(a)) == len(cards(b)) == 3


def test_a_crash_in_a_matched_first_sync_resumes_without_duplicates(bench: Bench) -> None:
    a, b = met(bench, 6)
    store_of(a).fail_commit_at = 2  # the second batch of the pass to A never lands
    failed = bench.net.sync(a, b, batch_size=2)
    assert failed.status is Status.FAILED
    a, b = bench.reopen(a), bench.reopen(b)  # type: ignore[arg-type]
    result = bench.net.sync(a, b, batch_size=2)
    assert result.status is Status.OK
    for replica, prefix in ((a, "a"), (b, "b")):
        held = cards(replica)
        assert len(held) == 6
        assert {c["UID"] for c in held.values()} == {f"{prefix}-{i}" for i in range(6)}
        assert {c["NOTE"] for c in held.values()} == {f"n{i}" for i in range(6)}
    assert quiet(bench.net.sync(a, b))


def test_metadata_from_before_matching_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """CREATE TABLE item(
        gid BLOB PRIMARY KEY, key TEXT, uid TEXT NOT NULL, label TEXT NOTE NULL,
        cre_rep BLOB NOT NULL, cre_tick INTEGER NOT NULL,
        chg_rep BLOB NOT NULL, chg_tick INTEGER NOT NULL,
        deleted INTEGER NOT NULL, changed_at REAL NOT NULL,
        stamp TEXT, hash TEXT) WITHOUT ROWID;
        INSERT INTO item VALUES (x'01', 'k', 'u', 'Ann', x'02', 1, x'02', 1, 0, 1.0, 's', 'h');"""
    )
    db.commit()
    db.close()
    meta = MetadataStore(path, "dict:old")
    try:
        (row,) = meta.all_rows()
        assert (row.key, row.meta.uid, row.own_uid, row.store_uid) == ("k", "u", None, "u")
    finally:
        meta.close()


@pytest.mark.parametrize("side", ["a", "b"])
def test_an_item_matched_is_written_with_the_store_uid(bench: Bench, side: str) -> None:
    a, b = met(bench, 1)
    bench.net.sync(a, b)
    target = a if side == "a" else b
    other = b if side == "a" else a
    key = next(iter(cards(other)))
    fields = cards(other)[key]
    store_of(other).edit(key, card(fields["UID"], "Person 0", email="p0@x.org", note="again"))
    bench.net.sync(a, b)
    (held,) = cards(target).values()
    assert held["UID"] == ("a-0" if side == "a" else "b-0")
    assert held["NOTE"] == "again"


def test_a_store_whose_sync_state_was_lost_meets_its_partner_again_without_duplicates(
    bench: Bench, tmp_path: Path
) -> None:
    a, b = bench.open("A"), bench.open("B")
    store_of(b).add("nouid.card", b"FN:No Uid\nEMAIL:n@x.org\n")  # a phone export: no UID
    store_of(a).add("x.card", card("x", "Has Uid", email="h@x.org"))
    bench.net.sync(a, b)
    assert len(cards(a)) == len(cards(b)) == 2
    b.close()
    bench.open_replicas.remove(b)
    (tmp_path / "B.sqlite").unlink()  # the sync state is gone; the cards are not
    b = bench.open("B", store_of(b))
    result = bench.net.sync(a, b)
    assert len(result.matched) == 1  # the card with a UID needs no matching: same UID
    assert (result.to_a.created, result.to_b.created) == (0, 0)
    assert len(cards(a)) == len(cards(b)) == 2
    assert quiet(bench.net.sync(a, b))
