"""AutoSync: timed syncs, syncs on device connect and debounced syncs on local changes,
none while paused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from syncgui.gui.autosync import AutoSync
from syncgui.gui.controller import AppController
from syncgui.service.config import Partnership
from syncgui.service.records import Schedule
from tests.gui.fake_service import FakeDesktop, make_device


def settle(qtbot: QtBot, ctl: AppController) -> None:
    qtbot.waitUntil(lambda: ctl.job_runner().pending() == 0, timeout=5000)


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


def test_changes_made_by_our_own_sync_are_ignored(
    qtbot: QtBot, setup: tuple[FakeDesktop, AppController, AutoSync, Path]
) -> None:
    import threading

    fake, ctl, auto, book = setup
    started(qtbot, auto)
    fake.gate = threading.Event()
    ctl.sync(["phone"])
    qtbot.waitUntil(lambda: ctl.is_busy("phone"), timeout=3000)
    (book / "written-by-sync.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    qtbot.wait(200)
    fake.gate.set()
    settle(qtbot, ctl)
    qtbot.wait(600)
    assert fake.triggers == [("phone", "manual")]


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
