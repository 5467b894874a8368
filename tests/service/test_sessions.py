"""Every finished sync is recorded for the activity view: what it wrote to each side, what
failed and for which contact, how conflicts were settled, what started it, and what the
deletion guard stopped. Dry runs leave no record."""

from __future__ import annotations

from pathlib import Path

from syncgui.engine.events import Direction, Policy, SessionResult, Status
from syncgui.service import SyncService
from syncgui.service.sessions import SessionLog
from tests.service.support import card, profile, write_cards


def _in(folder: Path, uid: str) -> Path:
    """The file of the card with ``uid`` (a sync names the files it creates itself)."""
    return next(f for f in folder.iterdir() if f"UID:{uid}\r\n".encode() in f.read_bytes())


def _pair(tmp_path: Path, policy: Policy = Policy.MERGE) -> tuple[SyncService, Path, Path]:
    a = write_cards(
        tmp_path / "a",
        {f"{i}.vcf": card(f"u{i}", f"Person {i}", f"TEL:+1 555 010{i}") for i in range(10)},
    )
    b = tmp_path / "b"
    service = SyncService(profile(tmp_path))
    service.add_partnership("p", f"vdir:{a}", f"vdir:{b}", Direction.TWO_WAY, policy)
    return service, a, b


def test_a_first_sync_is_recorded_with_what_it_wrote_and_its_trigger(tmp_path: Path) -> None:
    service, _a, _b = _pair(tmp_path)
    service.sync(["p"], trigger="schedule")
    [record] = service.sessions()
    assert (record.partnership, record.trigger, record.status) == ("p", "schedule", "ok")
    assert record.to_b.created == 10 and record.to_a.total == 0
    assert record.started <= record.finished
    assert record.errors == () and record.settled == ()


def test_the_cli_records_its_sessions_as_cli_and_dry_runs_are_not_recorded(
    tmp_path: Path,
) -> None:
    service, _a, _b = _pair(tmp_path)
    service.sync(["p"], dry_run=True)
    assert service.sessions() == []
    service.sync(["p"])
    assert [r.trigger for r in service.sessions()] == ["cli"]


def test_sessions_are_listed_newest_first_per_partnership(tmp_path: Path) -> None:
    service, a, _b = _pair(tmp_path)
    other = write_cards(tmp_path / "c", {"x.vcf": card("x", "Xavier")})
    service.add_partnership("q", f"vdir:{other}", f"vcf:{tmp_path / 'x.vcf'}")
    service.sync(["p"], trigger="manual")
    service.sync(["q"], trigger="change")
    (a / "0.vcf").write_text(card("u0", "Person 0 renamed"), newline="")
    service.sync(["p"], trigger="device")
    assert [(r.partnership, r.trigger) for r in service.sessions()] == [
        ("p", "device"),
        ("q", "change"),
        ("p", "manual"),
    ]
    only_p = service.sessions("p")
    assert [r.trigger for r in only_p] == ["device", "manual"]
    assert only_p[0].to_b.updated == 1
    assert len(service.sessions(limit=1)) == 1


def test_a_broken_card_is_recorded_by_name(tmp_path: Path) -> None:
    service, a, _b = _pair(tmp_path)
    (a / "broken.vcf").write_text("BEGIN:VCARD\r\nthis is not a card\r\n", newline="")
    service.sync(["p"])
    [record] = service.sessions()
    assert [e.item for e in record.errors] == ["broken.vcf"]
    assert record.errors[0].message
    assert record.to_b.created == 10  # the others went through


def test_settled_conflicts_are_recorded_with_how_they_were_settled(tmp_path: Path) -> None:
    service, a, b = _pair(tmp_path, Policy.MERGE)
    service.sync(["p"])
    # Person 1: different fields changed on each side (merged); Person 2: the same
    # change on both sides (converged); Person 3: the same field changed differently
    (a / "1.vcf").write_text(card("u1", "Person 1", "TEL:+1 555 0101", "NOTE:a"), newline="")
    _in(b, "u1").write_text(card("u1", "Person 1", "TEL:+1 555 0199"), newline="")
    for where in (a / "2.vcf", _in(b, "u2")):
        where.write_text(card("u2", "Person 2", "TEL:+1 555 0222"), newline="")
    (a / "3.vcf").write_text(card("u3", "Person 3", "TEL:+1 555 0103", "NOTE:x"), newline="")
    _in(b, "u3").write_text(card("u3", "Person 3", "TEL:+1 555 0103", "NOTE:y"), newline="")
    [result] = service.sync(["p"], trigger="manual")
    record = service.sessions()[0]
    settled = {n.item: n.message for n in record.settled}
    assert settled == {"Person 1": "merged", "Person 2": "converged"}
    assert record.conflicts == result.conflicts == 1  # Person 3 waits for the user
    assert record.status == "conflicts"
    assert record.merged == result.merged


def test_a_policy_win_is_recorded_as_the_winning_side(tmp_path: Path) -> None:
    service, a, b = _pair(tmp_path, Policy.B_WINS)
    service.sync(["p"])
    (a / "4.vcf").write_text(card("u4", "Person 4", "NOTE:from a"), newline="")
    _in(b, "u4").write_text(card("u4", "Person 4", "NOTE:from b"), newline="")
    service.sync(["p"])
    assert [(n.item, n.message) for n in service.sessions()[0].settled] == [("Person 4", "b")]


def test_a_session_the_guard_stopped_names_the_store_and_the_contacts(tmp_path: Path) -> None:
    service, a, b = _pair(tmp_path)
    service.sync(["p"])
    for i in range(6):
        (a / f"{i}.vcf").unlink()
    [result] = service.sync(["p"], trigger="schedule")
    assert result.status is Status.BLOCKED
    record = service.sessions()[0]
    assert record.status == "blocked"
    assert record.blocked_store == result.blocked_store
    assert sorted(record.blocked_items) == [f"Person {i}" for i in range(6)]
    assert record.to_b.total == 0
    assert len(list(b.iterdir())) == 10


def test_a_store_that_is_gone_is_recorded_as_failed(tmp_path: Path) -> None:
    service, a, _b = _pair(tmp_path)
    service.sync(["p"])
    a.rename(tmp_path / "moved")
    service.sync(["p"], trigger="change")
    record = service.sessions()[0]
    assert record.status == "failed"
    assert record.errors and record.errors[0].message


def test_the_log_keeps_only_the_newest_records(tmp_path: Path) -> None:
    log = SessionLog(tmp_path / "sessions.sqlite", keep=3)
    try:
        for n in range(5):
            log.add(SessionResult(f"p{n}"), started=n, finished=n + 1, trigger="manual")
        assert [r.partnership for r in log.records()] == ["p4", "p3", "p2"]
    finally:
        log.close()
