"""The conflict dialog's data: the demo's contact edited on both sides shows its note as the
one field to decide, other differences as fields the merge combines by itself, each side's
time of change, and counts that never need the phone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine.events import Direction, Policy
from syncgui.service import ConfigError, SyncService
from syncgui.service.config import Partnership
from syncgui.service.demo import DEMO_NAME, ensure_demo
from syncgui.service.errors import AlreadySyncing
from syncgui.service.locks import file_lock
from syncgui.service.records import Schedule
from tests.service.support import profile

GRACE_ON_PHONE = "contact3.vcf"
BOOK_TIME, PHONE_TIME = 1_700_000_000.0, 1_700_086_400.0


def _demo(tmp_path: Path) -> tuple[SyncService, Path, Path]:
    paths = profile(tmp_path)
    ensure_demo(paths)
    service = SyncService(paths, demo=True, real_backend=None)
    [p] = service.partnerships()
    book, phone = Path(p.spec_a.location), Path(p.spec_b.location)
    return service, book, phone


def _synced_with_a_conflict(tmp_path: Path) -> tuple[SyncService, str, Path, Path]:
    service, book, phone = _demo(tmp_path)
    grace = phone / "Contacts" / GRACE_ON_PHONE
    grace.write_bytes(
        grace.read_bytes().replace(b"END:VCARD", b"TEL;TYPE=CELL:+1 202 555 0199\r\nEND:VCARD")
    )
    os.utime(book / "grace.vcf", (BOOK_TIME, BOOK_TIME))
    os.utime(grace, (PHONE_TIME, PHONE_TIME))
    service.sync([DEMO_NAME])
    [view] = service.conflicts()
    return service, view.id, book, phone


def test_the_demo_note_edited_on_both_sides_is_the_one_clash(tmp_path: Path) -> None:
    service, conflict_id, _book, _phone = _synced_with_a_conflict(tmp_path)
    detail = service.conflict_detail(conflict_id)
    rows = {r.label: r for r in detail.rows}
    note = rows["Note"]
    assert (note.a, note.b, note.state) == (
        "Met at the compiler conference",
        "Call about the COBOL talk",
        "clash",
    )
    assert detail.clashes == ("NOTE",)
    phone = rows["Phone (cell)"]  # added on the phone only: the merge just adds it
    assert (phone.a, phone.b, phone.state) == (None, "+1 202 555 0199", "b-only")
    assert rows["Name"].state == "same"
    assert detail.can_merge
    assert not any(r.field in ("UID", "VERSION") for r in detail.rows)


def test_each_side_is_labelled_with_its_own_time_of_change(tmp_path: Path) -> None:
    service, conflict_id, _book, _phone = _synced_with_a_conflict(tmp_path)
    detail = service.conflict_detail(conflict_id)
    assert (detail.a_changed, detail.b_changed) == (BOOK_TIME, PHONE_TIME)


def test_the_clash_names_settle_the_merge_in_resolve(tmp_path: Path) -> None:
    service, conflict_id, book, _phone = _synced_with_a_conflict(tmp_path)
    detail = service.conflict_detail(conflict_id)
    service.resolve(conflict_id, "merged", {field: "b" for field in detail.clashes})
    service.sync([DEMO_NAME], trigger="resolve")
    grace = (book / "grace.vcf").read_text()
    assert "NOTE:Call about the COBOL talk" in grace
    assert "+1 202 555 0199" in grace  # the phone's addition survived the merge
    assert service.conflict_counts() == {DEMO_NAME: 0}


def test_counts_come_from_metadata_without_the_phone(tmp_path: Path) -> None:
    service, _conflict_id, _book, phone = _synced_with_a_conflict(tmp_path)
    shutil.rmtree(phone)  # the (virtual) phone is unplugged
    assert service.conflict_counts() == {DEMO_NAME: 1}
    [view] = service.conflicts()
    assert view.unreachable  # showing it needs the phone: it says so
    detail = service.conflict_detail(view.id)
    assert not detail.can_merge
    assert {r.state for r in detail.rows} <= {"a-only"}


def test_counts_before_any_sync_are_zero_and_create_nothing(tmp_path: Path) -> None:
    service, _book, _phone = _demo(tmp_path)
    assert service.conflict_counts() == {DEMO_NAME: 0}
    assert not (service.paths.data_dir / "replicas").exists() or not any(
        (service.paths.data_dir / "replicas").iterdir()
    )


def test_an_unknown_conflict_is_a_clear_error(tmp_path: Path) -> None:
    service, _book, _phone = _demo(tmp_path)
    with pytest.raises(ConfigError, match="no conflict"):
        service.conflict_detail("nope")


def _other_first(service: SyncService, tmp_path: Path) -> None:
    """A second partnership, listed before the demo's."""
    a, b = tmp_path / "other-a", tmp_path / "other-b"
    a.mkdir()
    b.mkdir()
    service.add_partnership(
        "other", f"vdir:{a}", f"vdir:{b}", Direction.TWO_WAY, Policy.MERGE, Schedule()
    )
    book = service.book
    book.save(sorted(book.load(), key=lambda p: p.name != "other"))


def test_resolving_in_one_partnership_opens_and_locks_only_its_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another partnership syncing (its lock held) does not stop the user resolving a
    conflict of this one, and its stores are not opened."""
    service, conflict_id, _book, _phone = _synced_with_a_conflict(tmp_path)
    _other_first(service, tmp_path)
    opened: list[str] = []
    real_open = service.open_replicas

    def open_replicas(p: Partnership) -> Any:
        opened.append(p.name)
        return real_open(p)

    monkeypatch.setattr(service, "open_replicas", open_replicas)
    detail = service.conflict_detail(conflict_id, partnership=DEMO_NAME)
    assert detail.view.id == conflict_id and opened == [DEMO_NAME]
    paths = service.paths
    with file_lock(paths.lock_file("partnership:other"), "partnership 'other'"):
        with pytest.raises(AlreadySyncing):  # without the name, every partnership is tried
            service.resolve(conflict_id, "a")
        opened.clear()
        view = service.resolve(conflict_id, "a", partnership=DEMO_NAME)
    assert view.id == conflict_id and opened == [DEMO_NAME]
    assert service.conflict_counts() == {"other": 0, DEMO_NAME: 0}
