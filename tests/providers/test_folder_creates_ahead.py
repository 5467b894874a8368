"""A first sync into an empty folder writes part of each batch of new cards in a child
process. The folder must end as an in-place sync leaves it; a card the folder refuses is
reported by name; and a child that stops midway costs a retry at the next sync, never a
card and never a contact twice."""

from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine import (
    BaseStore,
    MetadataStore,
    SessionSettings,
    SimpleReplica,
    SyncSession,
    creates_ahead,
    detection,
)
from syncgui.engine.errors import ItemRejected
from syncgui.engine.events import PassCounts, SessionResult, Status
from syncgui.providers.vcard.folder import VCardFolderProvider

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")

N = 300  # one batch, with more new cards than creates_ahead.MIN_CREATES


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


def sync(a: Path, b: Path, state: Path) -> SessionResult:
    state.mkdir(exist_ok=True)
    replicas = [
        SimpleReplica(VCardFolderProvider(str(p)), MetadataStore(state / f"{i}.sqlite", str(p)))
        for i, p in enumerate((a, b))
    ]
    bases = BaseStore(state / "bases.sqlite")
    try:
        return SyncSession(*replicas, SessionSettings("test"), bases).run()
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
    assert 0 < len(made) <= N - int(N * creates_ahead.CHILD_SHARE)  # the child wrote the rest
    again = sync(source, tmp_path / "ahead", tmp_path / "state-2")  # every card recorded
    assert (again.status, again.to_a, again.to_b) == (Status.OK, PassCounts(), PassCounts())


def test_a_card_the_folder_refuses_in_the_child_is_named(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    forking(monkeypatch, True)
    real = VCardFolderProvider.create
    refused = f"person-{N - 1}"  # the last card: the child's part

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
        (f"Person {N - 1}", f"{refused}.vcf cannot be written: No space left on device")
    ]
    monkeypatch.setattr(VCardFolderProvider, "create", real)  # space again
    again = sync(source, b, tmp_path / "state")
    assert (again.status, again.to_b.created) == (Status.OK, 1)
    assert len(list(b.iterdir())) == N


@pytest.mark.parametrize("written_before_stopping", [0, 10])
def test_a_child_stopped_midway_costs_a_retry_never_a_duplicate(
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_children: None,
    written_before_stopping: int,
) -> None:
    forking(monkeypatch, True)
    real: Callable[..., None] = creates_ahead._create_part

    def stops_midway(store: Any, fmt: Any, part: Any, out: Any) -> None:  # in the child
        real(store, fmt, part[:written_before_stopping], io.BytesIO())  # written, not told
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(creates_ahead, "_create_part", stops_midway)
    b = tmp_path / "b"
    b.mkdir()

    result = sync(source, b, tmp_path / "state")

    child_part = int(N * creates_ahead.CHILD_SHARE)
    assert result.to_b.created == N - child_part
    assert len(result.errors) == 1
    assert "could not be written in this sync" in result.errors[0].message
    assert len(list(b.iterdir())) == N - child_part + written_before_stopping

    monkeypatch.setattr(creates_ahead, "_create_part", real)
    again = sync(source, b, tmp_path / "state")
    assert again.status == Status.OK
    assert again.to_b.created == child_part - written_before_stopping
    # each contact once: the files the stopped child wrote were taken for the contacts
    names = sorted(p.read_bytes().split(b"FN:")[1].split(b"\r\n")[0] for p in b.iterdir())
    assert names == sorted(f"Person {n}".encode() for n in range(N))
    assert sync(source, b, tmp_path / "state").to_b == PassCounts()  # and settled
