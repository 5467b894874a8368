"""A folder with many changed cards: change detection reads and describes the last part of
them in a child process. What it finds must be what it finds in place, card for card, the
broken ones included; a child that fails costs time, never a card."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine import detection
from syncgui.engine.detection import _PartAhead
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.replica import DetectReport
from syncgui.engine.simple import SimpleReplica
from syncgui.providers.vcard.folder import VCardFolderProvider
from syncgui.providers.vcard.format import VCardFormat

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")

N = 600  # above _PartAhead.MIN_ITEMS, so a sync of this many new cards forks


def card(n: int, uid: str | None) -> bytes:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:Person {n}", f"N:{n};Person;;;"]
    if uid is not None:
        lines.insert(2, f"UID:{uid}")
    # a size that varies, so no two cards look alike by size
    lines.append("NOTE:" + "x" * (n % 37))
    return ("\r\n".join([*lines, "END:VCARD"]) + "\r\n").encode()


def fill(folder: Path) -> None:
    """N cards of every kind detection tells apart, spread over the whole folder (so both
    the part done in place and the child's part hold each kind)."""
    folder.mkdir()
    for n in range(N):
        kind = n % 10
        name = f"card-{n:04d}.vcf" if n % 7 else f"Zoë-{n:04d}.vcf"
        if kind == 7:  # cut off: the folder refuses to read it
            data = card(n, f"uid-{n}")[:-12]
        elif kind == 8:  # two cards joined: describing it fails
            data = card(n, f"uid-{n}") + card(n + 1, f"other-{n}")
        elif kind == 9:  # the same UID as the card before it: two items all the same
            data = card(n, f"uid-{n - 1}")
        elif kind == 6:  # no UID: one is made up from the replica and the file name
            data = card(n, None)
        else:
            data = card(n, f"uid-{n}")
        (folder / name).write_bytes(data)


Counts = dict[str, int]


def counting(monkeypatch: pytest.MonkeyPatch) -> Counts:
    """How many cards this process (not a child) reads and describes."""
    counts = {"read": 0, "describe": 0}

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            counts[name] += 1
            return real(*args)

        return wrapper

    monkeypatch.setattr(VCardFolderProvider, "read", counted("read", VCardFolderProvider.read))
    monkeypatch.setattr(VCardFormat, "describe", counted("describe", VCardFormat.describe))
    return counts


def detect(folder: Path, db: Path) -> DetectReport:
    replica = SimpleReplica(VCardFolderProvider(str(folder)), MetadataStore(db, str(folder)))
    try:
        return replica.detect()
    finally:
        replica.close()


def rows(db: Path) -> list[tuple[Any, ...]]:
    """Every item row as detection left it, in key order."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT * FROM item ORDER BY key, gid").fetchall()


def found(report: DetectReport) -> tuple[object, ...]:
    return (
        report.changes,
        sorted((p.item, p.message) for p in report.problems),
        sorted(report.damaged.items()),
    )


@pytest.fixture
def twins(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The folder and two copies of one empty replica database (same replica id, so both
    detections made up the same UIDs and versions)."""
    folder = tmp_path / "contacts"
    fill(folder)
    first = tmp_path / "ahead.sqlite"
    MetadataStore(first, str(folder)).close()
    second = tmp_path / "in-place.sqlite"
    shutil.copy(first, second)
    return folder, first, second


def in_place(monkeypatch: pytest.MonkeyPatch, folder: Path, db: Path) -> DetectReport:
    with monkeypatch.context() as m:
        m.setattr(detection, "can_fork", lambda: False)
        return detect(folder, db)


def test_many_new_cards_are_found_as_in_place_broken_ones_included(
    twins: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    folder, ahead_db, place_db = twins
    expected = in_place(monkeypatch, folder, place_db)
    monkeypatch.setattr(detection, "can_fork", lambda: True)
    counts = counting(monkeypatch)

    report = detect(folder, ahead_db)

    assert found(report) == found(expected)
    assert rows(ahead_db) == rows(place_db)
    assert len(rows(ahead_db)) == N - N // 10 * 2  # every card but the broken ones
    assert len(report.problems) == N // 10 * 2  # each broken card named
    # the child did its part: this process read and described its own part, and again only
    # what the child could not do (the broken cards of the child's part)
    # (which broken cards fall in the child's part depends on the listing's order: at most
    # all of them)
    child_part = int(N * _PartAhead.CHILD_SHARE)
    broken = N // 10 * 2
    assert counts["read"] <= N - child_part + broken
    assert counts["describe"] <= N - child_part + broken


def test_cards_only_touched_are_not_taken_for_changes(
    twins: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    folder, ahead_db, place_db = twins
    in_place(monkeypatch, folder, place_db)
    shutil.copy(place_db, ahead_db)
    later = time.time() + 60
    for path in folder.iterdir():  # a backup tool put every file back: new stamps only
        os.utime(path, (later, later))
    expected = in_place(monkeypatch, folder, place_db)
    assert expected.changes == 0
    monkeypatch.setattr(detection, "can_fork", lambda: True)
    counts = counting(monkeypatch)

    report = detect(folder, ahead_db)

    assert found(report) == found(expected)
    assert rows(ahead_db) == rows(place_db)  # the new stamps kept: no card read next time
    assert counts["describe"] == N // 10  # only the joined cards, tried again as always
    assert counts["read"] <= N - int(N * _PartAhead.CHILD_SHARE) + N // 10 * 2


@pytest.mark.parametrize("failure", ["raises", "killed", "midway"])
def test_a_child_that_fails_costs_time_not_cards(
    twins: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    no_children: None,
    failure: str,
) -> None:
    folder, ahead_db, place_db = twins
    expected = in_place(monkeypatch, folder, place_db)
    monkeypatch.setattr(detection, "can_fork", lambda: True)
    real = detection._do_part
    monkeypatch.setattr(_PartAhead, "FRAME", 50)

    def broken_part(store: Any, entries: Any, hash_seen: Any, put: Any) -> None:  # in the child
        if failure == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        if failure == "midway":  # two pieces handed on, then it fails
            real(store, entries[:100], hash_seen, put)
        raise MemoryError

    monkeypatch.setattr(detection, "_do_part", broken_part)
    counts = counting(monkeypatch)

    report = detect(folder, ahead_db)

    assert found(report) == found(expected)
    assert rows(ahead_db) == rows(place_db)
    # every card here (describing the joined cards fails here too), but for the good
    # cards of the pieces the child completed before it failed
    every = N - N // 10 * 2 + N // 10
    if failure == "midway":
        assert every - 100 <= counts["describe"] < every
    else:
        assert counts["describe"] == every


def test_few_changes_are_found_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    folder = tmp_path / "contacts"
    folder.mkdir()
    for n in range(_PartAhead.MIN_ITEMS - 1):
        (folder / f"card-{n}.vcf").write_bytes(card(n, f"uid-{n}"))
    monkeypatch.setattr(detection, "can_fork", lambda: True)
    counts = counting(monkeypatch)

    report = detect(folder, tmp_path / "meta.sqlite")

    assert report.changes == _PartAhead.MIN_ITEMS - 1
    assert counts["describe"] == _PartAhead.MIN_ITEMS - 1  # no child for so few
