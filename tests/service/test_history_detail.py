"""SyncService.history_detail: a kept version field by field beside the contact as it is now
in its store, or said to be gone; an unknown entry is a ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncgui.service import ConfigError, SyncService, resolve_paths

OLD = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada-1\r\nFN:Ada Lovelace\r\n"
    b"NOTE:Analytical engine\r\nEND:VCARD\r\n"
)
NEW = OLD.replace(b"NOTE:Analytical engine", b"NOTE:Moved to London")


@pytest.fixture
def synced(tmp_path: Path) -> tuple[SyncService, Path, Path]:
    """A -> B synced, then A edited and synced again: B's old card is in the history."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "ada.vcf").write_bytes(OLD)
    service = SyncService(resolve_paths(tmp_path / "config", tmp_path / "data"), real_backend=None)
    service.add_partnership("Books", f"vdir:{a}", f"vdir:{b}")
    service.sync(["Books"])
    (a / "ada.vcf").write_bytes(NEW)
    service.sync(["Books"])
    return service, a, b


def test_the_kept_version_beside_the_contact_now(synced: tuple[SyncService, Path, Path]) -> None:
    service, _a, b = synced
    [entry] = service.history("Books")
    assert entry.record.store == f"vdir:{b}"
    detail = service.history_detail(entry.id)
    assert detail.view.a == OLD and detail.view.b == NEW
    assert detail.view.unreachable is None and not detail.can_merge
    rows = {r.field: (r.a, r.b, r.state) for r in detail.rows}
    assert rows["NOTE"] == ("Analytical engine", "Moved to London", "differ")
    assert rows["FN"][2] == "same"
    assert detail.b_changed is not None
    assert service.history("Books") == [entry]  # reading it wrote nothing to the history


def test_a_contact_no_longer_in_its_store_is_said_to_be_gone(
    synced: tuple[SyncService, Path, Path],
) -> None:
    service, _a, b = synced
    [entry] = service.history("Books")
    for card in b.glob("*.vcf"):  # deleted there, not synced yet
        card.unlink()
    detail = service.history_detail(entry.id)
    assert detail.view.a == OLD and detail.view.b is None
    assert detail.view.unreachable is None
    assert {r.state for r in detail.rows} == {"a-only"}


def test_an_unknown_entry_is_a_config_error(synced: tuple[SyncService, Path, Path]) -> None:
    service, _a, _b = synced
    with pytest.raises(ConfigError, match="no history entry 99"):
        service.history_detail(99)
