"""SyncService.set_partnership and reset_partnership, as the desktop app's edit dialog uses
them (the signatures are the SyncPort's)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from syncgui.engine import Direction, Policy
from syncgui.service import AlreadySyncing, ConfigError, SyncPort, SyncService
from syncgui.service.locks import locks
from syncgui.service.records import Schedule
from tests.service.support import card, desktop, write_cards


@pytest.fixture
def service(tmp_path: Path) -> SyncService:
    svc = desktop(tmp_path)
    a = write_cards(tmp_path / "a", {"ann.vcf": card("ann", "Ann Example")})
    svc.add_partnership("p", f"vdir:{a}", f"vdir:{tmp_path / 'b'}")
    svc.add_partnership("other", f"vdir:{tmp_path / 'c'}", f"vdir:{tmp_path / 'd'}")
    svc.set_schedule("p", Schedule(45, on_connect=False, on_change=True))
    svc.sync(["p", "other"], trigger="user")
    return svc


def test_signatures_are_the_ports() -> None:
    for name in ("set_partnership", "reset_partnership"):
        assert inspect.signature(getattr(SyncService, name)) == inspect.signature(
            getattr(SyncPort, name)
        )


def test_direction_and_policy_change_alone(service: SyncService) -> None:
    p = service.set_partnership("p", direction=Direction.B_TO_A)
    assert (p.name, p.direction, p.policy) == ("p", Direction.B_TO_A, Policy.MERGE)
    p = service.set_partnership("p", policy=Policy.NEWEST)
    assert (p.direction, p.policy) == (Direction.B_TO_A, Policy.NEWEST)
    assert service.partnerships()[0] == p
    assert service.set_partnership("p") == p  # nothing asked, nothing changed


def test_rename_moves_what_is_kept_under_the_name(service: SyncService) -> None:
    sessions = service.sessions("p")
    p = service.set_partnership("p", new_name="laptop")
    assert p.name == "laptop"
    assert [q.name for q in service.partnerships()] == ["laptop", "other"]
    assert [s.started for s in service.sessions("laptop")] == [s.started for s in sessions]
    assert service.sessions("p") == [] and len(service.sessions("other")) == 1
    assert service.schedule("laptop") == Schedule(45, on_connect=False, on_change=True)
    [result] = service.sync(["laptop"], trigger="user")
    assert not result.errors


@pytest.mark.parametrize(
    ("new_name", "message"), [("other", "exists already"), ("no/slash", "not a usable")]
)
def test_rename_refused(service: SyncService, new_name: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        service.set_partnership("p", new_name=new_name)
    assert [q.name for q in service.partnerships()] == ["p", "other"]


def test_edits_refused_while_it_syncs(service: SyncService) -> None:
    with locks([(service.paths.lock_file("partnership:p"), "partnership 'p'")]):
        with pytest.raises(AlreadySyncing):
            service.set_partnership("p", new_name="q")
        with pytest.raises(AlreadySyncing):
            service.reset_partnership("p")
    assert service.partnerships()[0].name == "p"


def test_reset_keeps_every_card_and_syncs_on(service: SyncService, tmp_path: Path) -> None:
    before = {f: f.read_bytes() for f in sorted(tmp_path.glob("[ab]/*.vcf"))}
    service.reset_partnership("p")
    assert {f: f.read_bytes() for f in sorted(tmp_path.glob("[ab]/*.vcf"))} == before
    [result] = service.sync(["p"], trigger="user")
    assert not result.errors
    assert (result.to_a.created, result.to_b.created) == (0, 0)
    assert (result.to_a.deleted, result.to_b.deleted) == (0, 0)
    assert {f: f.read_bytes() for f in sorted(tmp_path.glob("[ab]/*.vcf"))} == before


def test_reset_of_an_unknown_partnership(service: SyncService) -> None:
    with pytest.raises(ConfigError, match="no partnership named"):
        service.reset_partnership("nope")
