"""BaseStore.get: the merge base is chosen by ancestry (the knowledge each kept version was
made with), not by when it was recorded; a criss-cross is merged into a virtual base."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncgui.engine import merge_bases
from syncgui.engine.clock import ClockVector
from syncgui.engine.ids import Version
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.merge_bases import BaseStore
from tests.engine.lineformat import LineFormat

GID = b"\x01" * 16
A, B, C = b"a" * 16, b"b" * 16, b"c" * 16

ORIGINAL = b"NOTE:old\nTEL:0000\nUID:ann\n"
NEW_NOTE = b"NOTE:new\nTEL:0000\nUID:ann\n"  # A's edit of the original
TEL_0001 = b"NOTE:old\nTEL:0001\nUID:ann\n"  # C's edit of the original


def know(**ticks: int) -> Knowledge:
    """Knowledge of every item: ``a=2`` means A's ticks up to 2."""
    return Knowledge(ClockVector({r.encode() * 16: t for r, t in ticks.items()}))


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[BaseStore]:
    clock = itertools.count(1_000_000.0)
    monkeypatch.setattr(merge_bases.time, "time", lambda: next(clock))  # distinct `at`s
    s = BaseStore()
    yield s
    s.close()


def test_an_ancestor_recorded_later_does_not_hide_its_descendant(store: BaseStore) -> None:
    store.put_many([(GID, Version(A, 1), ORIGINAL, know(a=1))])
    store.put_many([(GID, Version(C, 1), TEL_0001, know(a=1, c=1))])
    # A's NOTE edit, recorded last, though C's TEL edit (made with it) descends from it
    newer = b"NOTE:new\nTEL:0001\nUID:ann\n"
    store.put_many([(GID, Version(C, 2), newer, know(a=2, c=2))])
    store.put_many([(GID, Version(A, 2), NEW_NOTE, know(a=2))])
    both = know(a=2, c=2)
    assert store.get(GID, both, both) == newer
    assert store.get(GID, both, both, format=LineFormat()) == newer
    assert store.get(GID, know(a=2), both) == NEW_NOTE  # C's edits unknown to one side
    assert store.get(GID, know(a=1, c=1), know(a=1, c=5)) == TEL_0001
    assert store.get(GID, know(b=3)) is None


def test_a_criss_cross_is_merged_into_a_virtual_base(store: BaseStore) -> None:
    store.put_many([(GID, Version(A, 1), ORIGINAL, know(a=1))])
    store.put_many([(GID, Version(C, 1), TEL_0001, know(a=1, c=1))])
    store.put_many([(GID, Version(A, 2), NEW_NOTE, know(a=2))])  # neither knows the other
    sides = (know(a=2, b=1, c=2), know(a=2, b=1, c=1))
    virtual = store.get(GID, *sides, format=LineFormat())
    assert virtual == b"NOTE:new\nTEL:0001\nUID:ann\n"
    # without a format to merge them: the oldest common version
    assert store.get(GID, *sides) == ORIGINAL


def test_a_criss_cross_that_clashes_falls_back_to_the_oldest_common_version(
    store: BaseStore,
) -> None:
    store.put_many([(GID, Version(A, 1), ORIGINAL, know(a=1))])
    store.put_many([(GID, Version(C, 1), TEL_0001, know(a=1, c=1))])
    store.put_many([(GID, Version(A, 2), b"NOTE:old\nTEL:0009\nUID:ann\n", know(a=2))])
    both = know(a=2, c=1)
    assert store.get(GID, both, both, format=LineFormat()) == ORIGINAL


def test_three_tips_fold_into_one_virtual_base(store: BaseStore) -> None:
    store.put_many([(GID, Version(A, 1), ORIGINAL, know(a=1))])
    store.put_many([(GID, Version(A, 2), NEW_NOTE, know(a=2))])
    store.put_many([(GID, Version(C, 1), TEL_0001, know(a=1, c=1))])
    store.put_many([(GID, Version(B, 1), ORIGINAL + b"X:1\n", know(a=1, b=1))])
    all_ = know(a=2, b=1, c=1)
    assert store.get(GID, all_, format=LineFormat()) == b"NOTE:new\nTEL:0001\nUID:ann\nX:1\n"


def test_a_store_from_before_knowledge_was_kept_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "bases.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE base(gid BLOB NOT NULL, rep BLOB NOT NULL, tick INTEGER NOT NULL,"
        " data BLOB NOT NULL, at REAL NOT NULL, PRIMARY KEY (gid, rep, tick))"
    )
    db.executemany(
        "INSERT INTO base VALUES (?, ?, ?, ?, ?)",
        [(GID, A, 1, ORIGINAL, 1.0), (GID, A, 2, NEW_NOTE, 2.0)],
    )
    db.commit()
    db.close()
    store = BaseStore(path)
    try:
        both = know(a=2, c=1)
        # versions without knowledge: the newest recorded, as before
        assert store.get(GID, both, both, format=LineFormat()) == NEW_NOTE
        # a version made with knowledge of both replaces them as the base
        store.put_many([(GID, Version(C, 1), TEL_0001, know(a=2, c=1))])
        assert store.get(GID, both, both, format=LineFormat()) == TEL_0001
    finally:
        store.close()
    reopened = BaseStore(path)  # the migration runs once
    reopened.close()
