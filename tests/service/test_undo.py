"""Undoing a whole session (``SyncService.undo``) with the real service over real folders
and a .vcf file: every change it carried is taken back in both stores, byte for byte;
contacts changed since are left alone unless included; a dry run writes nothing; the undo
is a session of its own and can itself be undone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from syncgui.engine import PassCounts, Status
from syncgui.service import ConfigError, SyncService
from syncgui.service.undoing import UndoAction
from tests.service.support import card, database_dumps, desktop, write_cards


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".vcf"}


@pytest.fixture
def pair(tmp_path: Path) -> tuple[SyncService, Path, Path]:
    a = write_cards(
        tmp_path / "a",
        {
            "ann.vcf": card("ann", "Ann Lee", "TEL:111"),
            "outlook21 copy.vcf": card("bob", "Bob Hill"),
            "cid.vcf": card("cid", "Cid Moss", "NOTE:first"),
        },
    )
    b = write_cards(tmp_path / "b", {})
    service = desktop(tmp_path)
    service.add_partnership("p", f"vdir:{a}", f"vdir:{b}")
    (first,) = service.sync(["p"])
    assert first.status is Status.OK and first.to_b.created == 3
    return service, a, b


def last_session(service: SyncService) -> int:
    return service.sessions("p")[0].id


def test_undoing_a_session_puts_both_stores_back_byte_for_byte(
    pair: tuple[SyncService, Path, Path],
) -> None:
    service, a, b = pair
    before_a, before_b = snapshot(a), snapshot(b)
    (a / "ann.vcf").write_text(card("ann", "Ann Lee", "TEL:222"), newline="")  # an edit
    (b / next(n for n in before_b if "cid" in before_b[n].decode())).unlink()  # a delete
    write_cards(a, {"dee.vcf": card("dee", "Dee Park")})  # a new contact
    (second,) = service.sync(["p"])
    assert (second.to_a.deleted, second.to_b.updated, second.to_b.created) == (1, 1, 1)

    outcome = service.undo(last_session(service))

    assert outcome.sync is not None and outcome.sync.status is Status.OK
    assert snapshot(a) == before_a  # cid back under its own name, dee gone, ann's old phone
    assert snapshot(b) == before_b
    actions = sorted((s.label, s.action.value) for s in outcome.done)
    assert actions == [("Ann Lee", "put back"), ("Cid Moss", "put back"), ("Dee Park", "remove")]
    record = service.sessions("p")[0]
    assert (record.trigger, record.undid) == ("undo", outcome.plan.session.id)
    # the undo's own writes and the sync's are in its record: both sides changed
    assert record.to_a.total and record.to_b.total
    (again,) = service.sync(["p"])
    assert again.status is Status.OK
    assert (again.to_a, again.to_b) == (PassCounts(), PassCounts())


def test_a_contact_changed_since_is_left_alone_unless_included(
    pair: tuple[SyncService, Path, Path],
) -> None:
    service, a, b = pair
    (a / "ann.vcf").write_text(card("ann", "Ann Lee", "TEL:222"), newline="")
    (a / "cid.vcf").write_text(card("cid", "Cid Moss", "NOTE:second"), newline="")
    service.sync(["p"])
    undone = last_session(service)
    (a / "ann.vcf").write_text(card("ann", "Ann Lee", "TEL:333"), newline="")  # since

    dry = service.undo(undone, dry_run=True)
    assert [s.label for s in dry.plan.changed_since] == ["Ann Lee"]
    assert [s.label for s in dry.done] == ["Cid Moss"]

    outcome = service.undo(undone)
    assert [s.label for s in outcome.done] == ["Cid Moss"]
    assert b"TEL:333" in (a / "ann.vcf").read_bytes()  # the later edit stays
    assert all(b"NOTE:first" in v for k, v in snapshot(b).items() if b"Cid" in v)
    assert b"NOTE:first" in (a / "cid.vcf").read_bytes()

    # the user says otherwise: the undo wins over the later edit, in both stores
    ann = {s.gid for s in dry.plan.changed_since}
    forced = service.undo(undone, include=ann)
    assert [s.label for s in forced.done] == ["Ann Lee"]
    assert b"TEL:111" in (a / "ann.vcf").read_bytes()
    assert next(v for v in snapshot(b).values() if b"Ann" in v).count(b"TEL:111") == 1
    versions = [e for e in service.history("p") if e.record.label == "Ann Lee"]
    assert any(b"TEL:333" in e.record.data for e in versions)  # the later edit is kept


def test_a_dry_run_of_an_undo_writes_nothing(
    pair: tuple[SyncService, Path, Path], tmp_path: Path
) -> None:
    service, a, b = pair
    (a / "ann.vcf").write_text(card("ann", "Ann Lee", "TEL:222"), newline="")
    service.sync(["p"])
    databases = database_dumps(tmp_path / "data")
    stores = (snapshot(a), snapshot(b))

    outcome = service.undo(last_session(service), dry_run=True)

    assert outcome.dry_run and outcome.sync is None
    assert [(s.label, s.action) for s in outcome.done] == [("Ann Lee", UndoAction.PUT_BACK)]
    assert (snapshot(a), snapshot(b)) == stores
    assert database_dumps(tmp_path / "data") == databases  # the same files, row for row


def test_an_undo_can_be_undone(pair: tuple[SyncService, Path, Path]) -> None:
    service, a, b = pair
    (a / "ann.vcf").write_text(card("ann", "Ann Lee", "TEL:222"), newline="")
    write_cards(a, {"dee.vcf": card("dee", "Dee Park")})
    service.sync(["p"])
    after_a, after_b = snapshot(a), snapshot(b)
    service.undo(last_session(service))
    assert snapshot(a) != after_a

    service.undo(last_session(service))  # the undo's own session

    assert snapshot(a) == after_a
    assert {v for v in snapshot(b).values()} == set(after_b.values())


def test_undoing_a_first_sync_removes_what_it_copied_from_both_stores_kept_in_history(
    pair: tuple[SyncService, Path, Path],
) -> None:
    service, a, b = pair
    first = service.sessions("p")[-1].id
    plan = service.undo(first, dry_run=True).plan
    assert {(s.label, s.store_name, s.action) for s in plan.steps} == {
        ("Ann Lee", "b", UndoAction.REMOVE),
        ("Bob Hill", "b", UndoAction.REMOVE),
        ("Cid Moss", "b", UndoAction.REMOVE),
    }
    assert len(snapshot(a)) == 3

    outcome = service.undo(first)

    assert outcome.sync is not None and outcome.sync.to_a.deleted == 3
    assert snapshot(a) == snapshot(b) == {}
    kept = {e.record.label for e in service.history("p") if e.record.store_name == "a"}
    assert kept == {"Ann Lee", "Bob Hill", "Cid Moss"}  # each can be restored


def test_what_cannot_be_undone_is_said(
    pair: tuple[SyncService, Path, Path], tmp_path: Path
) -> None:
    service, _a, _b = pair
    with pytest.raises(ConfigError, match="there is no session 99"):
        service.undo(99)
    db = sqlite3.connect(tmp_path / "data" / "sessions.sqlite")
    db.execute("UPDATE session SET token=NULL")
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match="recorded before sessions could be undone"):
        service.undo(last_session(service))


def test_a_version_the_history_no_longer_keeps_blocks_only_its_step(
    pair: tuple[SyncService, Path, Path], tmp_path: Path
) -> None:
    service, a, _b = pair
    (a / "ann.vcf").write_text(card("ann", "Ann Lee", "TEL:222"), newline="")
    write_cards(a, {"dee.vcf": card("dee", "Dee Park")})
    service.sync(["p"])
    db = sqlite3.connect(tmp_path / "data" / "history.sqlite")
    db.execute("DELETE FROM history")
    db.commit()
    db.close()

    outcome = service.undo(last_session(service))

    assert [(s.label, s.blocked) for s in outcome.plan.blocked] == [
        ("Ann Lee", "the version it replaced is no longer kept in the history")
    ]
    assert [s.label for s in outcome.done] == ["Dee Park"]
    assert "dee.vcf" not in snapshot(a)
