"""A first sync into an empty folder has each batch's new cards written by a child process
while the batch before is recorded (engine/creates_ahead.py). The folder must end as an
in-place sync leaves it; a card the folder refuses is reported by name; a child that stops
midway, and a cancelled sync, cost a retry at the next sync, never a card and never a
contact twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine import (
    BaseStore,
    CancelToken,
    MetadataStore,
    SessionSettings,
    SimpleReplica,
    SyncSession,
    creates_ahead,
    detection,
)
from syncgui.engine.errors import ItemRejected
from syncgui.engine.events import Event, PassCounts, Progress, SessionResult, Stage, Status
from syncgui.providers.vcard.folder import VCardFolderProvider

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")

N = 900
BATCH = 300  # three batches, each with more new cards than creates_ahead.MIN_CREATES


def card(n: int) -> bytes:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:Person {n}", f"TEL:+1 555 {n:04d}"]
    if n % 10:  # one card in ten has no UID: the folder's copy gets one
        lines.insert(2, f"UID:person-{n}")
    return ("\r\n".join([*lines, "END:VCARD"]) + "\r\n").encode()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "phone-export"
    folder.mkdir()
    for n in range(N):
        (folder / f"{n:04d}.vcf").write_bytes(card(n))
    return folder


def sync(
    a: Path, b: Path, state: Path, emit: Callable[[Event], None] | None = None, **kw: Any
) -> SessionResult:
    state.mkdir(exist_ok=True)
    replicas = [
        SimpleReplica(VCardFolderProvider(str(p)), MetadataStore(state / f"{i}.sqlite", str(p)))
        for i, p in enumerate((a, b))
    ]
    bases = BaseStore(state / "bases.sqlite")
    settings = SessionSettings("test", batch_size=BATCH)
    try:
        session = SyncSession(*replicas, settings, bases, **kw)
        if emit is not None:
            session.emit = emit
        return session.run()
    finally:
        for r in replicas:
            r.close()
        bases.close()


def forking(monkeypatch: pytest.MonkeyPatch, allowed: bool) -> None:
    monkeypatch.setattr(creates_ahead, "can_fork", lambda: allowed)
    monkeypatch.setattr(detection, "can_fork", lambda: False)  # (not what is tested here)


def creates_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The UIDs this process (not a child) creates cards for."""
    made: list[str] = []
    real = VCardFolderProvider.create

    def create(self: VCardFolderProvider, uid: str, data: bytes) -> Any:
        made.append(uid)
        return real(self, uid, data)

    monkeypatch.setattr(VCardFolderProvider, "create", create)
    return made


def contents(folder: Path) -> tuple[dict[str, bytes], list[bytes]]:
    """The cards by file name; those that got a UID made up for them (from the sync
    state's replica id, so it differs between two syncs) without it, and sorted."""
    named, made_up = {}, []
    for p in folder.iterdir():
        data = p.read_bytes()
        if p.name.startswith("person-"):
            named[p.name] = data
        else:
            uid = f"UID:{p.stem}\r\n".encode()
            assert uid in data
            made_up.append(data.replace(uid, b""))
    return named, sorted(made_up)


def people(folder: Path) -> list[bytes]:
    """The FN of every card in ``folder``, sorted: each contact must be there once."""
    return sorted(p.read_bytes().split(b"FN:")[1].split(b"\r\n")[0] for p in folder.iterdir())


def kept_bases(state: Path) -> list[tuple[int, bytes, bool]]:
    """The merge bases kept: (tick, data, kept with knowledge), sorted (replica ids, and the
    global ids of cards without a UID, differ between two states)."""
    with closing(sqlite3.connect(state / "bases.sqlite")) as db:
        rows = db.execute("SELECT tick, data, made_with IS NOT NULL FROM base").fetchall()
    return sorted((t, bytes(d), bool(m)) for t, d, m in rows)


EVERYONE = sorted(f"Person {n}".encode() for n in range(N))


def test_the_folder_ends_as_an_in_place_sync_leaves_it(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    forking(monkeypatch, False)
    (tmp_path / "in-place").mkdir()
    expected = sync(source, tmp_path / "in-place", tmp_path / "state-1")
    forking(monkeypatch, True)
    made = creates_here(monkeypatch)
    (tmp_path / "ahead").mkdir()

    result = sync(source, tmp_path / "ahead", tmp_path / "state-2")

    assert (result.status, result.to_b.created, result.errors) == (Status.OK, N, [])
    assert result.to_b == expected.to_b
    assert contents(tmp_path / "ahead") == contents(tmp_path / "in-place")
    assert made == []  # every card was written by the child
    # and their merge bases kept, the same as in place, version for version
    assert kept_bases(tmp_path / "state-2") == kept_bases(tmp_path / "state-1")
    assert len(kept_bases(tmp_path / "state-2")) == N
    again = sync(source, tmp_path / "ahead", tmp_path / "state-2")  # every card recorded
    assert (again.status, again.to_a, again.to_b) == (Status.OK, PassCounts(), PassCounts())


def test_a_card_the_folder_refuses_in_the_child_is_named(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    forking(monkeypatch, True)
    real = VCardFolderProvider.create
    refused = "person-451"  # (the child writes every batch)

    def create(self: VCardFolderProvider, uid: str, data: bytes) -> Any:
        if uid == refused:
            raise ItemRejected(f"{uid}.vcf cannot be written: No space left on device")
        return real(self, uid, data)

    monkeypatch.setattr(VCardFolderProvider, "create", create)
    b = tmp_path / "b"
    b.mkdir()

    result = sync(source, b, tmp_path / "state")

    assert result.to_b.created == N - 1
    assert [(p.item, p.message) for p in result.errors] == [
        ("Person 451", f"{refused}.vcf cannot be written: No space left on device")
    ]
    monkeypatch.setattr(VCardFolderProvider, "create", real)  # space again
    again = sync(source, b, tmp_path / "state")
    assert (again.status, again.to_b.created) == (Status.OK, 1)
    assert people(b) == EVERYONE


@pytest.mark.parametrize("written_before_stopping", [0, 10])
def test_a_child_stopped_midway_costs_a_retry_never_a_duplicate(
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_children: None,
    written_before_stopping: int,
) -> None:
    forking(monkeypatch, True)
    real: Callable[..., Any] = creates_ahead._create_all
    jobs = [0]

    def stops_in_the_second_batch(store: Any, fmt: Any, job: Any, parent: int) -> Any:
        jobs[0] += 1  # (counted in the child: its own copy)
        if jobs[0] < 2:
            return real(store, fmt, job, parent)
        real(store, fmt, job[:written_before_stopping], parent)  # written, never told
        os.kill(os.getpid(), signal.SIGKILL)
        return None

    monkeypatch.setattr(creates_ahead, "_create_all", stops_in_the_second_batch)
    b = tmp_path / "b"
    b.mkdir()

    result = sync(source, b, tmp_path / "state")

    # the first batch is in; of the second (and the third, if it was handed before the
    # child stopped) nothing is recorded, and the sync says so
    assert BATCH <= result.to_b.created < N
    assert result.errors
    assert all("could not be written in this sync" in p.message for p in result.errors)
    assert len(list(b.iterdir())) == result.to_b.created + written_before_stopping

    monkeypatch.setattr(creates_ahead, "_create_all", real)
    again = sync(source, b, tmp_path / "state")
    assert (again.status, again.errors) == (Status.OK, [])
    assert again.to_b.created == N - result.to_b.created - written_before_stopping
    # each contact once: the files the stopped child wrote were taken for the contacts
    assert people(b) == EVERYONE
    assert sync(source, b, tmp_path / "state").to_b == PassCounts()  # and settled


def test_a_sync_cancelled_midway_is_finished_by_the_next(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    forking(monkeypatch, True)
    token = CancelToken()

    def cancel_after_the_first_batch(event: Event) -> None:
        if isinstance(event, Progress) and event.stage is Stage.APPLYING and event.done:
            token.cancel()

    b = tmp_path / "b"
    b.mkdir()

    result = sync(source, b, tmp_path / "state", cancel_after_the_first_batch, cancel=token)

    # the batch being written when the cancel came is finished and recorded
    assert result.status is Status.CANCELLED
    assert result.to_b.created == 2 * BATCH
    assert len(list(b.iterdir())) == 2 * BATCH
    again = sync(source, b, tmp_path / "state")
    assert (again.status, again.to_b.created) == (Status.OK, N - 2 * BATCH)
    assert people(b) == EVERYONE


def test_a_dry_run_writes_nothing_and_starts_no_child(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    forking(monkeypatch, True)
    started = []
    real = creates_ahead.ForkedServer.__init__

    def counted(self: Any, serve: Any) -> None:
        started.append(1)
        real(self, serve)

    monkeypatch.setattr(creates_ahead.ForkedServer, "__init__", counted)
    b = tmp_path / "b"
    b.mkdir()
    state = tmp_path / "state"
    state.mkdir()
    replicas = [
        SimpleReplica(VCardFolderProvider(str(p)), MetadataStore(state / f"{i}.sqlite", str(p)))
        for i, p in enumerate((source, b))
    ]
    bases = BaseStore(state / "bases.sqlite")
    try:
        settings = SessionSettings("test", batch_size=BATCH, dry_run=True)
        result = SyncSession(*replicas, settings, bases).run()
    finally:
        for r in replicas:
            r.close()
        bases.close()

    assert result.to_b.created == N
    assert list(b.iterdir()) == []
    assert started == []
