"""AutoSync: timed syncs, syncs on device connect and debounced syncs on local changes,
none while paused; edits made during a sync or while paused are synced once afterwards;
a partnership's first sync is the user's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from syncgui.gui.autosync import AutoSync
from syncgui.gui.controller import AppController
from syncgui.service import Partnership, Schedule
from tests.gui.fake_service import FakeDesktop, make_device
from tests.gui.support import settle


@pytest.fixture
def setup(qapp: Any, tmp_path: Path) -> Iterator[tuple[FakeDesktop, AppController, AutoSync, Path]]:
    book = tmp_path / "book"
    book.mkdir()
    fake = FakeDesktop(
        [
            Partnership("phone", f"vdir:{book}", "virtual:/p"),
            Partnership("other", "vdir:/x", "virtual:/y"),
        ]
    )
    fake.schedules["phone"] = Schedule(interval_minutes=0, on_connect=True, on_change=True)
    fake.schedules["other"] = Schedule(interval_minutes=0, on_connect=False, on_change=False)
    fake.watched["phone"] = [book]
    fake.synced_before("phone", "other")  # automatic syncs never start a first sync
    ctl = AppController(fake)
    auto = AutoSync(ctl, minute_ms=100, debounce_ms=300, quiet_ms=200)
    yield fake, ctl, auto, book
    auto.stop()
    ctl.shutdown()


def started(qtbot: QtBot, auto: AutoSync) -> None:
    auto.start()
    settle(qtbot, auto.controller)


def test_interval_timer_syncs_and_plans_the_next_run(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    fake, ctl, auto, _ = setup
    fake.schedules["phone"] = Schedule(interval_minutes=2, on_connect=False, on_change=False)
    ctl.refresh()
    started(qtbot, auto)
    row = ctl.row("phone")
    assert row is not None and row.next_run is not None
    other = ctl.row("other")
    assert other is not None and other.next_run is None
    qtbot.waitUntil(lambda: ("phone", "schedule") in fake.triggers, timeout=3000)
    assert ("other", "schedule") not in fake.triggers


def test_a_connected_device_syncs_the_partnerships_using_it(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    fake, ctl, auto, _ = setup
    started(qtbot, auto)
    phone = make_device()
    fake.using[phone.key] = ["phone", "other"]  # "other" does not sync on connect
    with qtbot.waitSignal(ctl.devices_changed, timeout=3000):
        fake.device_event("added", phone)  # from the monitor's thread
    assert [d.key for d in ctl.devices()] == [phone.key]
    settle(qtbot, ctl)
    qtbot.waitUntil(lambda: fake.triggers == [("phone", "device")], timeout=3000)
    with qtbot.waitSignal(ctl.devices_changed, timeout=3000):
        fake.device_event("removed", phone)
    assert ctl.devices() == []


def test_local_changes_are_debounced_into_one_sync(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    fake, ctl, auto, book = setup
    started(qtbot, auto)
    assert list(auto.watched()) == [str(book)]
    for i in range(5):
        with qtbot.waitSignal(auto.change_detected, timeout=3000):
            (book / f"card{i}.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    assert fake.triggers == []  # still settling
    qtbot.waitUntil(lambda: fake.triggers == [("phone", "change")], timeout=3000)
    settle(qtbot, ctl)
    qtbot.wait(600)  # no second sync later
    assert fake.triggers == [("phone", "change")]


def test_an_edit_during_a_sync_leads_to_exactly_one_follow_up_sync(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    """The user edits a card while the partnership syncs: the edit is not lost, one
    "change" sync runs after the quiet moment, and that is all."""
    fake, ctl, auto, book = setup
    started(qtbot, auto)
    fake.gate = threading.Event()
    ctl.sync(["phone"])
    qtbot.waitUntil(lambda: ctl.is_busy("phone"), timeout=3000)
    for i in range(3):
        (book / f"edited-{i}.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    qtbot.wait(200)
    fake.gate.set()
    qtbot.waitUntil(lambda: len(fake.triggers) == 2, timeout=3000)
    assert fake.triggers == [("phone", "manual"), ("phone", "change")]
    settle(qtbot, ctl)
    qtbot.wait(800)  # longer than the debounce and the quiet moment: no more syncs
    assert fake.triggers == [("phone", "manual"), ("phone", "change")]


def test_a_sync_writing_its_own_cards_costs_one_no_op_sync_and_no_loop(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    """A session that writes into the watched folder (the changes it brings) sees its own
    writes: one more sync finds nothing to do, writes nothing, and it ends there."""
    fake, ctl, auto, book = setup
    started(qtbot, auto)
    fake.script("phone", effect=lambda: (book / "from-phone.vcf").write_text("BEGIN:VCARD\r\n"))
    ctl.sync(["phone"], trigger="schedule")
    qtbot.waitUntil(lambda: len(fake.triggers) == 2, timeout=3000)
    settle(qtbot, ctl)
    qtbot.wait(1000)
    assert fake.triggers == [("phone", "schedule"), ("phone", "change")]


def test_an_edit_while_paused_syncs_once_on_resume(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    fake, ctl, auto, book = setup
    started(qtbot, auto)
    ctl.pause(None)
    (book / "a.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    (book / "b.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    qtbot.wait(600)
    assert fake.triggers == []
    ctl.resume()
    qtbot.waitUntil(lambda: fake.triggers == [("phone", "change")], timeout=3000)
    settle(qtbot, ctl)
    qtbot.wait(600)
    assert fake.triggers == [("phone", "change")]


def test_automatic_triggers_never_start_the_first_sync(qtbot: QtBot, tmp_path: Path) -> None:
    """A new partnership syncing on change: editing its folder does not sync it until the
    user has synced it once; after that, a change syncs."""
    book = tmp_path / "book"
    book.mkdir()
    fake = FakeDesktop([Partnership("new", f"vdir:{book}", "virtual:/p")])
    fake.schedules["new"] = Schedule(interval_minutes=1, on_connect=True, on_change=True)
    fake.watched["new"] = [book]
    ctl = AppController(fake)
    auto = AutoSync(ctl, minute_ms=100, debounce_ms=200, quiet_ms=200)
    try:
        started(qtbot, auto)
        with qtbot.waitSignal(auto.change_detected, timeout=3000):
            (book / "a.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
        qtbot.wait(500)  # the debounce and several timed runs
        settle(qtbot, ctl)
        assert fake.triggers == []
        assert not ctl.has_synced("new")
        fake.schedules["new"] = Schedule(interval_minutes=0, on_connect=True, on_change=True)
        ctl.refresh()
        ctl.sync(["new"])  # the user's first sync
        qtbot.waitUntil(lambda: fake.triggers == [("new", "manual")], timeout=3000)
        settle(qtbot, ctl)
        assert ctl.has_synced("new")
        qtbot.wait(300)  # the quiet moment after it
        with qtbot.waitSignal(auto.change_detected, timeout=3000):
            (book / "b.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
        qtbot.waitUntil(lambda: fake.triggers == [("new", "manual"), ("new", "change")])
    finally:
        auto.stop()
        ctl.shutdown()


def test_paused_starts_nothing(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    fake, ctl, auto, book = setup
    fake.schedules["phone"] = Schedule(interval_minutes=1, on_connect=True, on_change=True)
    ctl.refresh()
    ctl.pause(3600)
    started(qtbot, auto)
    phone = make_device()
    fake.using[phone.key] = ["phone"]
    fake.device_event("added", phone)
    (book / "new.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    qtbot.wait(800)  # several intervals, the debounce and the device
    settle(qtbot, ctl)
    assert fake.triggers == []
    assert [d.key for d in ctl.devices()] == [phone.key]  # the device still shows


def test_devices_present_at_start_do_not_count_as_connected(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    fake, ctl, auto, _ = setup
    auto.startup_ms = 60_000
    started(qtbot, auto)
    phone = make_device()
    fake.using[phone.key] = ["phone"]
    with qtbot.waitSignal(ctl.devices_changed, timeout=3000):
        fake.device_event("added", phone)
    qtbot.wait(200)
    settle(qtbot, ctl)
    assert fake.triggers == []
    assert [d.key for d in ctl.devices()] == [phone.key]


def test_a_card_edited_in_place_is_a_change(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    fake, _ctl, auto, book = setup
    card = book / "ada.vcf"
    card.write_text("BEGIN:VCARD\r\nFN:Ada\r\nEND:VCARD\r\n")
    started(qtbot, auto)
    assert str(card) in auto.watched()
    with qtbot.waitSignal(auto.change_detected, timeout=3000), card.open("a") as f:
        f.write("NOTE:edited\r\n")
    qtbot.waitUntil(lambda: fake.triggers == [("phone", "change")], timeout=3000)
