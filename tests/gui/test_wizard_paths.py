"""Issue 13, the wizard: Browse… starts at home (or at the folder typed), a typed path shows
its contact count (counted once on the job thread after the typing pauses), the phone
option shows only for a phone, and the schedule says what will happen."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton, QWizard
from pytestqt.qtbot import QtBot

from syncgui.gui import wizard_store, wording
from syncgui.gui.controller import AppController
from syncgui.gui.schedule_dialog import ScheduleFields
from syncgui.gui.wizard import PartnershipWizard
from syncgui.gui.wizard_store import browse_start
from syncgui.service import Schedule
from tests.gui.fake_service import FakeDesktop
from tests.gui.support import open_wizard, settle

# -- Browse… ----------------------------------------------------------------------------


def test_browse_starts_at_home_or_at_what_was_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Contacts").mkdir()
    assert browse_start("", folder=True) == str(tmp_path)
    assert browse_start("", folder=False) == str(tmp_path)
    assert browse_start(str(tmp_path / "Contacts"), folder=True) == str(tmp_path / "Contacts")
    assert browse_start("~/Contacts", folder=True) == str(tmp_path / "Contacts")
    # a folder not made yet: the nearest one above it that exists
    assert browse_start(str(tmp_path / "Contacts/new/deeper"), folder=True) == str(
        tmp_path / "Contacts"
    )
    # a file (new or not) in a folder that exists: the file itself, so it is selected
    assert browse_start(str(tmp_path / "Contacts/all.vcf"), folder=False) == str(
        tmp_path / "Contacts/all.vcf"
    )
    assert browse_start("/nonexistent-root/x.vcf", folder=False) == "/"


def test_the_browse_button_opens_the_dialog_at_home(
    qtbot: QtBot,
    controller: AppController,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    asked: list[str] = []

    def folder_dialog(_parent: object, _title: str, start: str) -> str:
        asked.append(start)
        return ""

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", folder_dialog)
    wizard = open_wizard(qtbot, controller)
    page = wizard.page_a
    browse = page.findChild(QPushButton, "browseFolder")
    assert browse is not None
    browse.click()
    assert asked == [str(tmp_path)]


# -- counting a typed path --------------------------------------------------------------


def test_a_typed_folder_shows_its_contact_count_counted_once_on_the_job_thread(
    qtbot: QtBot,
    fake: FakeDesktop,
    controller: AppController,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wizard_store, "COUNT_DELAY", 50)
    fake.counts = {"vdir:/tmp/book2": 12}
    threads: list[threading.Thread] = []
    original = fake.count_cards

    def counting(spec: str) -> int | None:
        threads.append(threading.current_thread())
        return original(spec)

    fake.count_cards = counting  # type: ignore[method-assign]
    wizard = open_wizard(qtbot, controller)
    page = wizard.page_a
    qtbot.keyClicks(page.folder_edit, "/tmp/book2")
    qtbot.waitUntil(lambda: page.folder_count.text() == "12 contacts here now", timeout=5000)
    settle(qtbot, controller)
    assert fake.called("count_cards") == ["vdir:/tmp/book2"]  # once, not per key
    assert threads and all(t is not threading.main_thread() for t in threads)


def test_a_typed_file_that_does_not_exist_yet_says_so(
    qtbot: QtBot,
    fake: FakeDesktop,
    controller: AppController,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wizard_store, "COUNT_DELAY", 50)
    wizard = open_wizard(qtbot, controller)
    page = wizard.page_a
    page.file_radio.setChecked(True)
    page.file_edit.setText(str(tmp_path / "new.vcf"))
    qtbot.waitUntil(lambda: "No such file yet" in page.file_count.text(), timeout=5000)
    fake.counts = {f"vcf:{tmp_path / 'one.vcf'}": 1}
    page.file_edit.setText(str(tmp_path / "one.vcf"))
    qtbot.waitUntil(lambda: page.file_count.text() == "1 contact here now", timeout=5000)
    page.file_edit.clear()
    assert page.file_count.text() == ""


# -- the phone option and the schedule's words ------------------------------------------


def to_settings(qtbot: QtBot, wizard: PartnershipWizard, a: str, b: str) -> None:
    wizard.page_a.folder_radio.setChecked(True)
    wizard.page_a.folder_edit.setText(a)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    wizard.page_b.file_radio.setChecked(True)
    wizard.page_b.file_edit.setText(b)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert wizard.currentPage() is wizard.settings


def test_the_phone_option_shows_only_when_a_store_is_a_phone(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    wizard = open_wizard(qtbot, controller)
    to_settings(qtbot, wizard, "/tmp/book2", "/tmp/all.vcf")
    fields = wizard.settings.schedule
    assert not fields.on_connect.isVisibleTo(wizard)
    assert fields.on_change.isVisibleTo(wizard)
    fields.interval.setValue(0)
    fields.on_change.setChecked(True)
    assert fields.summary.text() == "Syncs only when you ask or when a file changes."
    assert "phone" not in fields.summary.text()


def test_the_schedule_reads_as_what_will_happen(qtbot: QtBot) -> None:
    fields = ScheduleFields(Schedule(0, False, False))
    qtbot.addWidget(fields)
    assert fields.interval.text() == "off"
    assert fields.summary.text() == "Syncs only when you ask (Sync now)."
    fields.on_change.setChecked(True)
    assert fields.summary.text() == "Syncs only when you ask or when a file changes."
    fields.on_connect.setChecked(True)
    assert fields.summary.text() == (
        "Syncs only when you ask or when the phone is connected or when a file changes."
    )
    fields.interval.setValue(15)
    assert fields.summary.text() == (
        "Syncs every 15 minutes, when the phone is connected, when a file changes, "
        "and when you ask."
    )
    assert wording.schedule_sentence(Schedule(60, False, False)) == (
        "Syncs every 60 minutes, and when you ask."
    )
