"""AutoSync over the real service, two real folders and a real QFileSystemWatcher: a sync
writes cards into the watched folders, and the watcher sees those writes. One user edit
is one recorded session (the follow-up our own writes cause finds nothing to do and is not
listed); an edit made while a sync runs is still synced."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from syncgui.engine import SessionResult
from syncgui.gui.autosync import AutoSync
from syncgui.gui.controller import AppController
from syncgui.service import Schedule, SyncService, resolve_paths


def _card(uid: str, name: str, note: str = "") -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}"]
    lines += [f"NOTE:{note}"] if note else []
    return "\r\n".join([*lines, "END:VCARD"]) + "\r\n"


class _Service(SyncService):
    """The real service; ``during`` runs once at the end of the next sync, while the
    partnership is still busy (an edit made during a sync)."""

    during: Callable[[], None] | None = None

    def sync(self, names: Sequence[str], **kwargs: Any) -> list[SessionResult]:
        results = super().sync(names, **kwargs)
        hook, self.during = self.during, None
        if hook is not None:
            hook()
        return results


@pytest.fixture
def app(
    qapp: Any, tmp_path: Path
) -> Iterator[tuple[_Service, AppController, AutoSync, Path, Path]]:
    a, b = tmp_path / "Laptop", tmp_path / "Phone"
    a.mkdir()
    b.mkdir()
    (a / "ann.vcf").write_text(_card("ann", "Ann Example"), newline="")
    (b / "bob.vcf").write_text(_card("bob", "Bob Example"), newline="")
    service = _Service(resolve_paths(tmp_path / "config", tmp_path / "data"), real_backend=None)
    service.add_partnership("Books", f"vdir:{a}", f"vdir:{b}", schedule=Schedule(on_change=True))
    ctl = AppController(service)
    auto = AutoSync(ctl, minute_ms=60_000, debounce_ms=300, quiet_ms=300)
    yield service, ctl, auto, a, b
    auto.stop()
    ctl.shutdown()


def _settle(qtbot: QtBot, ctl: AppController) -> None:
    qtbot.waitUntil(lambda: ctl.pending_work() == 0 and not ctl.is_busy("Books"), timeout=10_000)
    qtbot.wait(1_500)  # several debounces and quiet moments: any follow-up has run
    qtbot.waitUntil(lambda: ctl.pending_work() == 0 and not ctl.is_busy("Books"), timeout=10_000)


def _first_sync(qtbot: QtBot, service: _Service, ctl: AppController, auto: AutoSync) -> None:
    auto.start()
    qtbot.waitUntil(lambda: len(auto.watched()) >= 4, timeout=5_000)  # two folders, two cards
    ctl.sync(["Books"])  # the user's first sync: each folder gets the other's card
    qtbot.waitUntil(lambda: len(service.sessions("Books")) >= 1, timeout=10_000)
    _settle(qtbot, ctl)


def test_one_user_edit_is_one_recorded_session(
    qtbot: QtBot, app: tuple[_Service, AppController, AutoSync, Path, Path]
) -> None:
    service, ctl, auto, a, b = app
    _first_sync(qtbot, service, ctl, auto)
    assert [r.trigger for r in service.sessions("Books")] == ["manual"]
    assert sorted(p.name for p in b.iterdir()) == ["ann.vcf", "bob.vcf"]

    (a / "ann.vcf").write_text(_card("ann", "Ann Example", "edited"), newline="")
    qtbot.waitUntil(lambda: len(service.sessions("Books")) >= 2, timeout=10_000)
    _settle(qtbot, ctl)

    records = service.sessions("Books")
    assert [r.trigger for r in records] == ["change", "manual"]
    assert records[0].to_b.updated == 1
    assert any("NOTE:edited" in p.read_text() for p in b.iterdir())


def test_an_edit_made_during_a_sync_is_still_synced(
    qtbot: QtBot, app: tuple[_Service, AppController, AutoSync, Path, Path]
) -> None:
    service, ctl, auto, a, b = app
    _first_sync(qtbot, service, ctl, auto)

    def edit() -> None:  # on the job thread, while "Books" is busy
        (a / "cy.vcf").write_text(_card("cy", "Cy Example"), newline="")

    service.during = edit
    ctl.sync(["Books"])  # nothing to do itself, but recorded: the user asked
    qtbot.waitUntil((b / "cy.vcf").exists, timeout=10_000)
    _settle(qtbot, ctl)

    records = service.sessions("Books")
    assert [r.trigger for r in records] == ["change", "manual", "manual"]
    assert records[0].to_b.created == 1
    assert (b / "cy.vcf").read_bytes() == _card("cy", "Cy Example").encode()
