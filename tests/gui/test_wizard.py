"""The partnership wizard against FakeDesktop and the real AppController: store specs,
adding, errors inline, and the preview for two non-empty stores only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from syncgui.engine import Direction, Policy
from syncgui.gui.controller import AppController
from syncgui.gui.wizard import PartnershipWizard
from syncgui.service import Schedule
from tests.gui.fake_service import FakeDesktop, make_device, make_place
from tests.gui.support import open_wizard, settle

PHONE_FILE = "mtp:SER123/Internal/Contacts/contacts.vcf"


@pytest.fixture
def phone(fake: FakeDesktop, controller: AppController, qtbot: QtBot) -> FakeDesktop:
    fake.devices = [make_device()]
    fake.place_map = {"serial:SER123": [make_place()]}
    controller.refresh()
    settle(qtbot, controller)
    return fake


def click_next(qtbot: QtBot, wizard: QWizard) -> None:
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def choose_folder_then_phone_file(
    qtbot: QtBot, ctl: AppController, wizard: PartnershipWizard
) -> None:
    assert wizard.currentPage() is wizard.page_a
    assert wizard.page_a.folder_radio.isChecked()
    qtbot.keyClicks(wizard.page_a.folder_edit, "/tmp/book2")
    assert wizard.page_a.spec() == "vdir:/tmp/book2"
    click_next(qtbot, wizard)
    assert wizard.currentPage() is wizard.page_b
    page = wizard.page_b
    assert page.phone_radio.isChecked()
    qtbot.waitUntil(lambda: page.places.topLevelItemCount() == 1, timeout=5000)
    folder = page.places.topLevelItem(0)
    assert folder is not None and folder.text(0) == "Contacts" and folder.text(1) == "3"
    file_item = folder.child(0)
    assert file_item is not None and file_item.text(0) == "contacts.vcf"
    page.places.setCurrentItem(file_item)
    assert page.spec() == PHONE_FILE
    click_next(qtbot, wizard)
    assert wizard.currentPage() is wizard.settings


def test_folder_and_phone_file_add_a_partnership_and_sync_now(
    qtbot: QtBot, phone: FakeDesktop, controller: AppController
) -> None:
    wizard = open_wizard(qtbot, controller)
    choose_folder_then_phone_file(qtbot, controller, wizard)
    settings = wizard.settings
    assert settings.name.text() == "book2 - Google Pixel 7 contacts.vcf"
    assert settings.a_to_b.text() == "Only &from book2 to Google Pixel 7 · contacts.vcf"
    settings.name.clear()
    qtbot.keyClicks(settings.name, "Pixel")
    settings.a_to_b.setChecked(True)
    settings.policy.setCurrentIndex(settings.policy.findData(Policy.ASK))
    assert "Never decide for me" in settings.policy_help.text()
    settings.schedule.interval.setValue(60)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert commit.text() == "&Add partnership"
    qtbot.mouseClick(commit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)
    assert phone.called("add_partnership") == [
        (
            "Pixel",
            "vdir:/tmp/book2",
            PHONE_FILE,
            Direction.A_TO_B,
            Policy.ASK,
            Schedule(60, True, True),
        )
    ]
    assert not wizard.ready.previewed  # the stores are not both non-empty
    assert not any(call[2] for call in phone.called("sync"))  # no dry run
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert phone.called("sync") == [(["Pixel"], "manual", False, False)]
    assert controller.row("Pixel") is not None


def test_two_non_empty_stores_get_a_preview_and_not_now_syncs_nothing(
    qtbot: QtBot, phone: FakeDesktop, controller: AppController
) -> None:
    phone.counts = {"vdir:/tmp/book2": 12, PHONE_FILE: 3}
    wizard = open_wizard(qtbot, controller)
    choose_folder_then_phone_file(qtbot, controller, wizard)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)
    ready = wizard.ready
    assert ready.previewed
    assert "12 on book2 and 3 on Google Pixel 7 · contacts.vcf" in ready.summary.text()
    qtbot.waitUntil(lambda: "would do this" in ready.preview.text(), timeout=5000)
    assert "1 contact added to Google Pixel 7 · contacts.vcf" in ready.preview.text()
    name = wizard.settings.added
    assert phone.called("sync") == [([name], "preview", True, False)]
    ready.not_now.click()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert phone.called("sync") == [([name], "preview", True, False)]  # no real sync


def test_an_error_is_shown_on_the_page_and_nothing_moves_on(
    qtbot: QtBot, phone: FakeDesktop, controller: AppController
) -> None:
    wizard = open_wizard(qtbot, controller)
    choose_folder_then_phone_file(qtbot, controller, wizard)
    settings = wizard.settings
    settings.name.setText("phone")  # exists already
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "exists already" in settings.error.text(), timeout=5000)
    assert settings.error.isVisible()
    assert wizard.currentPage() is settings
    settings.name.setText("phone 2")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)


def test_a_local_vcf_file_and_a_locked_phone(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.devices = [make_device(state="locked", hint="Unlock the phone, then look again.")]
    controller.refresh()
    settle(qtbot, controller)
    wizard = open_wizard(qtbot, controller)
    page = wizard.page_a
    page.phone_radio.setChecked(True)
    assert page.hint.text() == "Unlock the phone, then look again."
    assert page.spec() == ""
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.file_radio.setChecked(True)
    qtbot.keyClicks(page.file_edit, "/tmp/new.vcf")
    assert page.spec() == "vcf:/tmp/new.vcf"
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    click_next(qtbot, wizard)
    wizard.page_b.file_radio.setChecked(True)
    qtbot.keyClicks(wizard.page_b.file_edit, "/tmp/new.vcf")
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # same store twice


def test_cancel_on_the_ready_page_removes_the_partnership_again(
    qtbot: QtBot, phone: FakeDesktop, controller: AppController
) -> None:
    wizard = open_wizard(qtbot, controller)
    choose_folder_then_phone_file(qtbot, controller, wizard)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)
    name = wizard.settings.added
    assert name is not None
    settle(qtbot, controller)
    assert controller.row(name) is not None
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()  # it just closes: no question, no message box
    settle(qtbot, controller)
    assert phone.called("remove_partnership") == [name]
    qtbot.waitUntil(lambda: controller.row(name) is None, timeout=5000)
    assert not any(call[0] == [name] and not call[2] for call in phone.called("sync"))


def test_cancel_while_adding_removes_it_once_added(
    qtbot: QtBot, phone: FakeDesktop, controller: AppController
) -> None:
    import threading

    wizard = open_wizard(qtbot, controller)
    choose_folder_then_phone_file(qtbot, controller, wizard)
    gate = threading.Event()
    # holds the lane of undeclared calls: adding the partnership waits behind it
    controller.call(lambda _s: gate.wait(5), lambda _r: None, lambda _m: None)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    wizard.reject()
    gate.set()
    settle(qtbot, controller)
    name = phone.called("add_partnership")[0][0]
    assert phone.called("remove_partnership") == [name]
    assert name not in phone.book


def test_finish_with_sync_now_keeps_it_and_not_now_says_who_syncs(
    qtbot: QtBot, phone: FakeDesktop, controller: AppController
) -> None:
    wizard = open_wizard(qtbot, controller)
    choose_folder_then_phone_file(qtbot, controller, wizard)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)
    assert wizard.ready.not_now.text() == "&Not now: I will press Sync when I am ready"
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert phone.called("remove_partnership") == []
    assert controller.row(wizard.settings.added or "") is not None
