"""How much history is kept: ``history_days`` and ``history_versions`` in settings.json,
pruned after every real session and restore (never in a dry run), and the space it takes
(:meth:`SyncService.history_usage`), with a real service over real folders."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from pathlib import Path

import pytest

from syncgui.engine import Policy
from syncgui.service import ConfigError, HistoryUsage, SyncService
from syncgui.service.settings import Settings, load_settings
from tests.service.support import card, desktop, write_cards

DAY = 24 * 3600


# -- the settings -------------------------------------------------------------------------


def _load(tmp_path: Path, **values: object) -> Settings:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(values))
    return load_settings(path)


def test_history_limits_default_to_a_year_and_twenty_versions(tmp_path: Path) -> None:
    assert (Settings().history_days, Settings().history_versions) == (365.0, 20)
    s = _load(tmp_path, tombstone_days=30)
    assert (s.history_days, s.history_versions) == (365.0, 20)


def test_history_limits_are_read(tmp_path: Path) -> None:
    s = _load(tmp_path, history_days=1.5, history_versions=3)
    assert s.history_days == 1.5
    assert s.history_versions == 3
    assert isinstance(s.history_versions, int)
    assert s.history_seconds == 1.5 * DAY
    assert _load(tmp_path, history_versions=4.0).history_versions == 4


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"history_days": 0}, r"history_days must be a number of days, at least 1"),
        ({"history_days": 0.5}, r"at least 1.*cannot be switched off"),
        ({"history_versions": 0}, r"history_versions must be a number of versions per contact"),
        ({"history_versions": -3}, r"at least 1"),
        ({"history_versions": 2.5}, r"history_versions must be a whole number"),
        ({"history_days": "forever"}, r"history_days must be a number, not 'forever'"),
        ({"history_versions": True}, r"history_versions must be a number"),
        ({"history_days": None}, r"history_days must be a number"),
    ],
)
def test_nonsense_limits_are_refused_saying_what_they_take(
    tmp_path: Path, values: dict[str, object], said: str
) -> None:
    with pytest.raises(ConfigError, match=said) as caught:
        _load(tmp_path, **values)
    assert "settings.json" in caught.value.message


# -- pruning ------------------------------------------------------------------------------


def _service(tmp_path: Path, **settings: object) -> tuple[SyncService, Path, Path]:
    """Partnership ``p``: folder A with Xena and Yann, folder B empty, synced once."""
    service = desktop(tmp_path)
    service.paths.config_dir.mkdir(parents=True, exist_ok=True)
    _settings(service, **settings)
    a = write_cards(
        tmp_path / "a",
        {"x.vcf": card("x", "Xena Example"), "y.vcf": card("y", "Yann Example")},
    )
    b = tmp_path / "b"
    b.mkdir()
    service.add_partnership("p", f"vdir:{a}", f"vdir:{b}")
    _sync(service)
    return service, a, b


def _settings(service: SyncService, **settings: object) -> None:
    service.paths.settings_file.write_text(json.dumps(settings))


def _sync(service: SyncService, *, dry_run: bool = False) -> None:
    [result] = service.sync(["p"], dry_run=dry_run)
    assert result.status.value == "ok", result


def _edit(folder: Path, uid: str, name: str, n: int) -> None:
    """Edit #n of a card: its note (and so the file's size) differs every time, and a
    large photo-sized field makes each kept version take room."""
    note = f"edit {n} " + "z" * (n % 7)
    text = card(uid, name, f"NOTE:{note}", "X-PAD:" + "p" * 20000)
    (folder / f"{uid}.vcf").write_text(text, encoding="utf-8", newline="")


def _notes(service: SyncService, store: Path, uid: str) -> list[str]:
    """The notes of the versions kept of ``uid`` in ``store``, oldest first."""
    notes = []
    for e in service.history():
        if e.record.uid == uid and e.record.store == f"vdir:{store}":
            note = [ln for ln in e.record.data.decode().splitlines() if ln.startswith("NOTE:")]
            notes.append(note[0][5:] if note else "")
    return notes


def test_only_the_newest_versions_of_an_edited_contact_are_kept(tmp_path: Path) -> None:
    service, a, b = _service(tmp_path, history_versions=3)
    _edit(b, "y", "Yann Example", 1)  # one version of Yann kept, in A
    _sync(service)
    for n in range(1, 9):  # eight edits of Xena in A, each overwriting B's copy
        _edit(a, "x", "Xena Example", n)
        _sync(service)
    # B's Xena was overwritten 8 times (the first sync's version, then edits 1 to 7):
    # the newest 3 are kept, in order
    assert _notes(service, b, "x") == ["edit 5 zzzzz", "edit 6 zzzzzz", "edit 7 "]
    assert _notes(service, a, "y") == [""]  # another contact, another store: untouched
    assert service.history_usage().versions == 4


def test_versions_older_than_the_days_set_are_dropped(tmp_path: Path) -> None:
    service, a, _b = _service(tmp_path, history_days=30)
    _edit(a, "x", "Xena Example", 1)
    _edit(a, "y", "Yann Example", 1)
    _sync(service)
    _edit(a, "x", "Xena Example", 2)
    _sync(service)
    assert len(service.history()) == 3
    first_x = min(e.id for e in service.history() if e.record.uid == "x")
    _age(service, first_x, 31 * DAY)  # kept 31 days ago
    young = next(e.id for e in service.history() if e.record.uid == "y")
    _age(service, young, 29 * DAY)
    _sync(service)  # nothing to do, but it prunes
    left = {e.id for e in service.history()}
    assert first_x not in left
    assert young in left
    assert len(left) == 2


def _age(service: SyncService, entry_id: int, seconds: float) -> None:
    """Make history entry ``entry_id`` as old as ``seconds``."""
    db = sqlite3.connect(service.paths.history_db)
    try:
        with db:
            db.execute("UPDATE history SET at=? WHERE id=?", (time.time() - seconds, entry_id))
    finally:
        db.close()


def test_a_dry_run_drops_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "syncgui.service.history")
    service, a, _b = _service(tmp_path)
    for n in range(1, 6):
        _edit(a, "x", "Xena Example", n)
        _sync(service)
    assert len(service.history()) == 5
    _settings(service, history_versions=2, history_days=1)
    _age(service, min(e.id for e in service.history()), 3 * DAY)
    _edit(a, "x", "Xena Example", 6)
    _sync(service, dry_run=True)
    assert len(service.history()) == 5
    assert "dropped" not in caplog.text
    _sync(service)  # the real one keeps one more version, then drops down to 2
    assert len(service.history()) == 2
    assert "history: 4 version(s) dropped (history_days=1, history_versions=2)" in caplog.text


def test_a_restore_prunes_too(tmp_path: Path) -> None:
    service, a, b = _service(tmp_path, history_versions=2)
    for n in range(1, 3):
        _edit(a, "x", "Xena Example", n)
        _sync(service)
    assert _notes(service, b, "x") == ["", "edit 1 z"]
    oldest = min(e.id for e in service.history())
    service.restore(oldest)  # B's Xena as it was is kept as a third version: one goes
    assert "NOTE" not in (b / "x.vcf").read_text()
    assert _notes(service, b, "x") == ["edit 1 z", "edit 2 zz"]


# -- the space it takes -------------------------------------------------------------------


def test_usage_with_no_history_yet_creates_nothing(tmp_path: Path) -> None:
    service = desktop(tmp_path)
    assert service.history_usage() == HistoryUsage(0, 0, None, 365.0, 20)
    assert not service.paths.history_db.exists()


def test_usage_counts_versions_bytes_and_the_oldest(tmp_path: Path) -> None:
    service, a, _b = _service(tmp_path, history_days=90, history_versions=30)
    for n in range(1, 11):
        _edit(a, "x", "Xena Example", n)
        _sync(service)
    entries = service.history()
    usage = service.history_usage()
    db = service.paths.history_db
    on_disk = sum(
        os.stat(f"{db}{s}").st_size
        for s in ("", "-wal", "-shm", "-journal")
        if os.path.exists(f"{db}{s}")
    )
    assert usage == HistoryUsage(10, on_disk, min(e.record.at for e in entries), 90.0, 30)
    assert usage.size > 10 * 20000  # every version holds its 20 kB field

    _settings(service, history_versions=1)
    _sync(service)  # nine versions dropped: their space goes back to the file system
    smaller = service.history_usage()
    assert smaller.versions == 1
    assert smaller.size < usage.size - 8 * 20000
    assert smaller.per_contact == 1


def test_a_resolve_prunes_too(tmp_path: Path) -> None:
    service, a, b = _service(tmp_path, history_versions=1)
    service.set_partnership("p", policy=Policy.ASK)
    _edit(a, "x", "Xena Example", 1)
    _sync(service)  # B's Xena as first synced is kept
    _edit(a, "x", "Xena Example", 2)
    _edit(b, "x", "Xena Example", 3)
    [result] = service.sync(["p"])
    assert result.conflicts == 1
    [conflict] = service.conflicts("p")
    service.resolve(conflict.id, "a", partnership="p")  # B's edit 3 is kept: one goes
    assert "edit 2" in (b / "x.vcf").read_text()
    assert _notes(service, b, "x") == ["edit 3 zzz"]
