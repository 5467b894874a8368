"""Online address books in the app, against FakeDesktop: the wizard's CardDAV choice (sign
in, errors said on the page, the books with their counts), the schedule an online
partnership gets, and a password the server refuses later: asked for once, automatic syncs
held until a new one is accepted, the Accounts tab showing it all."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.gui.password_dialog import PasswordDialog
from syncgui.gui.wizard import ONLINE_INTERVAL
from syncgui.gui.wizard_online import NEW, account_name_for, server_url
from syncgui.gui.wizard_store import StorePage
from syncgui.service import Account, OnlineBook, Partnership
from tests.gui.fake_service import FakeDesktop
from tests.gui.support import open_wizard, settle

URL = "https://cloud.example.com"


def click(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def sign_in_new(qtbot: QtBot, page: StorePage, server: str, user: str, password: str) -> None:
    page.online_radio.setChecked(True)
    online = page.online
    assert online.chosen_account() == NEW
    for edit, text in ((online.server, server), (online.user, user), (online.password, password)):
        edit.clear()
        qtbot.keyClicks(edit, text)
    click(qtbot, online.sign_in_button)


def test_server_addresses_and_account_names() -> None:
    assert server_url("cloud.example.com") == "https://cloud.example.com"
    assert server_url("  cloud.example.com/remote.php/dav ") == (
        "https://cloud.example.com/remote.php/dav"
    )
    assert server_url("localhost:5232") == "http://localhost:5232"
    assert server_url("127.0.0.1:5232/alice/") == "http://127.0.0.1:5232/alice/"
    assert server_url("http://nas.local:5000") == "http://nas.local:5000"  # as typed
    theirs = Account("cloud.example.com", "https://other.example", "bo")
    mine = Account("nc", URL, "ann")
    assert account_name_for(URL, "ann", [mine]) == "nc"  # signed in again, same name
    assert account_name_for(URL, "bo", [mine, theirs]) == "cloud.example.com-2"
    assert account_name_for("http://127.0.0.1:5232/", "", []) == "127.0.0.1-5232"


def test_the_wizard_signs_in_says_what_went_wrong_and_lists_the_books(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_server(URL, [("Contacts", 1234), ("Work", 7)], user="ann", password="right")
    wizard = open_wizard(qtbot, controller)
    page = wizard.page_a
    online = page.online

    sign_in_new(qtbot, page, "unknown.example", "ann", "right")
    qtbot.waitUntil(lambda: "⚠" in online.status.text(), timeout=5000)
    assert "unknown.example is unknown" in online.status.text()
    assert "Check the server address" in online.status.text()
    assert not page.isComplete() and fake.accounts() == []

    sign_in_new(qtbot, page, "cloud.example.com", "ann", "wrong")
    qtbot.waitUntil(lambda: "⚠" in online.status.text(), timeout=5000)
    assert "did not accept the user name or password" in online.status.text()
    assert online.password.isVisible()
    assert fake.accounts() == []  # nothing kept after a refused sign-in

    sign_in_new(qtbot, page, "cloud.example.com", "ann", "right")
    qtbot.waitUntil(lambda: online.books.topLevelItemCount() == 2, timeout=5000)
    assert "Signed in to the account cloud.example.com" in online.status.text()
    first = online.books.topLevelItem(0)
    assert first is not None and (first.text(0), first.text(1)) == (
        "Contacts",
        QLocale().toString(1234),
    )
    assert page.spec() == "carddav:cloud.example.com/contacts"
    assert page.isComplete()
    assert fake.kept == {"cloud.example.com": "right"}  # "the keyring"
    assert online.password.text() == ""  # not kept in the widget either
    online.books.setCurrentItem(online.books.topLevelItem(1))
    assert page.spec() == "carddav:cloud.example.com/work"
    settle(qtbot, controller)
    # the account is now in the list, chosen
    assert online.chosen_account() == "cloud.example.com"
    assert not online.server.isVisible()


def test_an_account_without_address_books_says_to_create_one(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_server(URL, [], user="ann", password="pw")
    wizard = open_wizard(qtbot, controller)
    page = wizard.page_a
    sign_in_new(qtbot, page, URL, "ann", "pw")
    qtbot.waitUntil(lambda: "⚠" in page.online.status.text(), timeout=5000)
    assert "has no address book" in page.online.status.text()
    assert "Create one on the server" in page.online.status.text()
    assert not page.isComplete()


def test_an_online_partnership_syncs_every_15_minutes_and_on_local_changes(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_server(URL, [("Contacts", 3)], user="ann", password="pw")
    wizard = open_wizard(qtbot, controller)
    qtbot.keyClicks(wizard.page_a.folder_edit, "/tmp/book")
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    page = wizard.page_b
    sign_in_new(qtbot, page, URL, "ann", "pw")
    qtbot.waitUntil(page.isComplete, timeout=5000)
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    settings = wizard.settings
    assert settings.name.text() == "book - Contacts on cloud.example.com"
    schedule = settings.schedule.schedule()
    assert schedule.interval_minutes == ONLINE_INTERVAL == 15 and schedule.on_change
    # back to a local file: no timed sync forced on it
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    page.file_radio.setChecked(True)
    qtbot.keyClicks(page.file_edit, "/tmp/x.vcf")
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert settings.schedule.schedule().interval_minutes == 0


@pytest.fixture
def online(fake: FakeDesktop, controller: AppController, qtbot: QtBot) -> FakeDesktop:
    """A partnership "nc" between a folder and an account's book; the server's password
    has changed since the account was added."""
    fake.add_server(URL, [("Contacts", 3)], user="ann", password="new")
    books = (OnlineBook("Contacts", f"{URL}/contacts/"),)
    fake.account_book["nc"] = Account("nc", URL, "ann", books=books)
    fake.kept["nc"] = "old"
    fake.book = {"nc": Partnership("nc", "vdir:/tmp/book", "carddav:nc/contacts")}
    fake.synced_before("nc")
    controller.refresh()
    settle(qtbot, controller)
    return fake


def test_a_refused_password_is_asked_for_once_and_automatic_syncs_wait_for_it(
    qtbot: QtBot, online: FakeDesktop, controller: AppController
) -> None:
    window = MainWindow(controller, has_tray=False)
    qtbot.addWidget(window)
    asked: list[tuple[str, str]] = []
    controller.sign_in_needed.connect(lambda a, m: asked.append((a, m)))
    online.script("nc", refused_sign_in="nc", errors=[])
    controller.sync(["nc"], trigger="schedule")
    settle(qtbot, controller)
    assert [a for a, _m in asked] == ["nc"]
    dialog = window.findChild(PasswordDialog)
    assert isinstance(dialog, PasswordDialog) and dialog.isVisible()
    assert "ann" in dialog.what.text() and "system keyring" in dialog.what.text()

    # the next timed and change-triggered syncs do not run (nor fail) meanwhile
    sessions = len(online.triggers)
    assert controller.sync(["nc"], trigger="schedule") == []
    assert controller.sync(["nc"], trigger="change") == []
    settle(qtbot, controller)
    assert len(online.triggers) == sessions and len(asked) == 1
    # the Accounts tab says so
    accounts = window.accounts
    top = accounts.tree.topLevelItem(0)
    assert top is not None and top.text(0) == "nc"
    assert "refused the password" in top.text(2)
    book = top.child(0)
    assert book is not None and book.text(2) == "used by nc"

    # a wrong password: said in the dialog, nothing kept
    qtbot.keyClicks(dialog.password, "typo")
    click(qtbot, dialog.sign_in)
    qtbot.waitUntil(lambda: "⚠" in dialog.error.text(), timeout=5000)
    assert "did not accept this password either" in dialog.error.text()
    assert online.kept["nc"] == "old"
    # the right one: kept, and the partnership syncs again at once
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "new")
    click(qtbot, dialog.sign_in)
    qtbot.waitUntil(lambda: len(online.triggers) == sessions + 1, timeout=5000)
    assert online.triggers[-1] == ("nc", "manual")
    assert online.kept["nc"] == "new"
    assert controller.password_wanted("nc") is None
    settle(qtbot, controller)
    top = accounts.tree.topLevelItem(0)
    assert top is not None and top.text(2) == "Password in the system keyring"
    assert controller.sync(["nc"], trigger="schedule") == ["nc"]  # timed syncs run again
    settle(qtbot, controller)


def test_not_now_keeps_waiting_and_a_sync_the_user_asks_for_asks_again(
    qtbot: QtBot, online: FakeDesktop, controller: AppController
) -> None:
    window = MainWindow(controller, has_tray=False)
    qtbot.addWidget(window)
    online.script("nc", refused_sign_in="nc")
    controller.sync(["nc"], trigger="change")
    settle(qtbot, controller)
    dialog = window.findChild(PasswordDialog)
    assert isinstance(dialog, PasswordDialog)
    click(qtbot, dialog.findChild(type(dialog.sign_in), "notNow"))
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert controller.password_wanted("nc") is not None
    online.script("nc", refused_sign_in="nc")
    assert controller.sync(["nc"]) == ["nc"]  # the user's own request runs
    settle(qtbot, controller)
    again = [d for d in window.findChildren(PasswordDialog) if d.isVisible()]
    assert len(again) == 1  # and asks again (one dialog)


def test_without_a_keyring_the_page_says_how_to_add_an_account_instead(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.keyring_error = "no usable keyring to keep the password in was found"
    wizard = open_wizard(qtbot, controller)
    page = wizard.page_a
    page.online_radio.setChecked(True)
    qtbot.waitUntil(lambda: "⚠" in page.online.status.text(), timeout=5000)
    text = page.online.status.text()
    assert "no system keyring" in text and "--password-command" in text
