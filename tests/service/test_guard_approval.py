"""Approving a list the mass-deletion guard showed deletes that many contacts and no more:
if more were deleted since the user looked, the sync stops again with the new list."""

from __future__ import annotations

from pathlib import Path

from syncgui.engine.events import Approval, Direction, Policy, SessionResult, Status
from syncgui.service import SyncService
from syncgui.service.records import Schedule
from tests.service.support import card, desktop, write_cards


def _pair(tmp_path: Path) -> tuple[SyncService, Path, Path]:
    """Ten contacts in vdir ``a``, synced once into vdir ``b``."""
    a = write_cards(tmp_path / "a", {f"{i}.vcf": card(f"u{i}", f"Person {i}") for i in range(10)})
    b = tmp_path / "b"
    service = desktop(tmp_path)
    service.add_partnership(
        "p", f"vdir:{a}", f"vdir:{b}", Direction.TWO_WAY, Policy.MERGE, Schedule()
    )
    [first] = service.sync(["p"])
    assert first.status is Status.OK and len(list(b.iterdir())) == 10
    return service, a, b


def _delete(folder: Path, numbers: range) -> None:
    for i in numbers:
        (folder / f"{i}.vcf").unlink()


def _approval(result: SessionResult) -> Approval:
    """What the guard dialog sends: the store and the length of the list it showed."""
    assert result.blocked_store is not None
    return Approval(result.blocked_store, len(result.blocked_items))


def test_an_approval_covers_the_list_shown_and_not_what_was_deleted_after(
    tmp_path: Path,
) -> None:
    service, a, b = _pair(tmp_path)
    _delete(a, range(8))
    [shown] = service.sync(["p"])
    assert shown.status is Status.BLOCKED
    assert shown.blocked_items == [f"Person {i}" for i in range(8)]

    _delete(a, range(8, 10))  # while the user reads the list
    [again] = service.sync(["p"], approved_deletes=_approval(shown))

    assert again.status is Status.BLOCKED
    assert again.blocked_store == shown.blocked_store
    assert again.blocked_items == [f"Person {i}" for i in range(10)]
    assert len(list(b.iterdir())) == 10  # nothing deleted
    assert service.sessions("p")[0].status == "blocked"

    [done] = service.sync(["p"], approved_deletes=_approval(again))

    assert done.status is Status.OK
    assert done.to_b.deleted == 10
    assert list(b.iterdir()) == [] and list(a.iterdir()) == []
