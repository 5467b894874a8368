"""The mass-deletion guard dialog: what it lists, Cancel deletes nothing, continue syncs
with the deletion of the contacts listed approved (and a list that grew since is shown
again instead of deleted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from syncgui.engine import Approval
from syncgui.gui.controller import AppController
from syncgui.gui.guard_dialog import GuardDialog
from syncgui.gui.main_window import MainWindow
from tests.gui.fake_service import FakeDesktop
from tests.gui.support import settle

ITEMS = [f"Contact {n}" for n in range(1, 8)]


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path) -> None:
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))


def blocked_dialog(qtbot: QtBot, fake: FakeDesktop, ctl: AppController) -> GuardDialog:
    """A sync the guard stops, as the main window shows it."""
    fake.script("phone", blocked_store="/tmp/book", blocked_items=ITEMS)
    window = MainWindow(ctl, True)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot, ctl)
    with qtbot.waitSignal(ctl.guard_blocked, timeout=5000):
        window.sync_all_action.trigger()
    settle(qtbot, ctl)
    dialog = window.findChild(GuardDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_the_dialog_names_the_partnership_store_and_every_item(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    dialog = blocked_dialog(qtbot, fake, controller)
    title = dialog.findChild(QLabel, "guardTitle")
    assert title is not None
    assert title.text() == "Syncing “phone” would delete 7 contacts from book"
    assert dialog.windowTitle() == "Delete 7 contacts?"
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == ITEMS  # type: ignore[union-attr]
    assert dialog.cancel_button.isDefault()


def test_cancel_deletes_nothing(qtbot: QtBot, fake: FakeDesktop, controller: AppController) -> None:
    dialog = blocked_dialog(qtbot, fake, controller)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert not dialog.isVisible()
    assert [c.approved_deletes for c in fake.called("sync")] == [None]  # nothing approved


def test_escape_is_cancel(qtbot: QtBot, fake: FakeDesktop, controller: AppController) -> None:
    dialog = blocked_dialog(qtbot, fake, controller)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    settle(qtbot, controller)
    assert [c.approved_deletes for c in fake.called("sync")] == [None]


def test_delete_them_and_sync_approves_the_contacts_listed(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    dialog = blocked_dialog(qtbot, fake, controller)
    with qtbot.waitSignal(controller.sessions_changed, timeout=5000):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    last = fake.called("sync")[-1]
    assert last == (["phone"], "manual", False, False)  # the guard is not lifted...
    # ...the 7 listed, from that store, are approved
    assert last.approved_deletes == Approval("/tmp/book", len(ITEMS))
    assert fake.ran[-1].status == "ok"


def test_a_list_that_grew_since_is_shown_again_instead_of_deleted(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    dialog = blocked_dialog(qtbot, fake, controller)
    window = dialog.parent()
    grown = [*ITEMS, "Contact 8", "Contact 9"]  # deleted while the user read the list
    fake.script("phone", blocked_store="/tmp/book", blocked_items=grown)
    with qtbot.waitSignal(controller.guard_blocked, timeout=5000):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert fake.ran[-1].status == "blocked"
    [again] = [d for d in window.findChildren(GuardDialog) if d.isVisible()]
    assert [again.list.item(i).text() for i in range(again.list.count())] == grown  # type: ignore[union-attr]
    assert again.windowTitle() == "Delete 9 contacts?"
    with qtbot.waitSignal(controller.sessions_changed, timeout=5000):
        qtbot.mouseClick(again.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert [c.approved_deletes for c in fake.called("sync")] == [
        None,
        Approval("/tmp/book", 7),
        Approval("/tmp/book", 9),
    ]
    assert fake.ran[-1].status == "ok"


def test_a_second_block_updates_the_open_dialog_instead_of_piling_up(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    dialog = blocked_dialog(qtbot, fake, controller)
    window = dialog.parent()
    newer = ["Contact 8", "Contact 9", "Contact 10"]
    controller.guard_blocked.emit("phone", "/tmp/book", newer, "", 0)
    controller.guard_blocked.emit("phone", "/tmp/book", newer, "", 0)
    dialogs = [d for d in window.findChildren(GuardDialog) if d.isVisible()]
    assert dialogs == [dialog]
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == newer  # type: ignore[union-attr]
    assert dialog.windowTitle() == "Delete 3 contacts?"
    title = dialog.findChild(QLabel, "guardTitle")
    assert title is not None and "would delete 3 contacts from book" in title.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    controller.guard_blocked.emit("phone", "/tmp/book", ITEMS, "", 0)  # after it closed: a new one
    qtbot.waitUntil(
        lambda: len([d for d in window.findChildren(GuardDialog) if d.isVisible()]) == 1,
        timeout=5000,
    )


def test_an_emptied_store_is_named_as_empty_and_confirmed_the_same_way(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    """Syncing stopped because the other store now lists no contacts: the dialog says so
    (not "a large share"), and confirming approves the list shown, as for a mass deletion."""
    held = ["Ann Example", "Bob Example", "Zoë Ünicode"]
    fake.script(
        "phone",
        blocked_store="/tmp/book",
        blocked_items=held,
        emptied_store="/tmp/export.vcf",
        emptied_held=3,
    )
    window = MainWindow(controller, True)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot, controller)
    with qtbot.waitSignal(controller.guard_blocked, timeout=5000) as blocker:
        window.sync_all_action.trigger()
    assert blocker.args == ["phone", "/tmp/book", held, "/tmp/export.vcf", 3]
    settle(qtbot, controller)
    dialog = window.findChild(GuardDialog)
    assert dialog is not None and dialog.isVisible()
    title = dialog.findChild(QLabel, "guardTitle")
    explanation = dialog.findChild(QLabel, "guardExplanation")
    assert title is not None and explanation is not None
    assert dialog.windowTitle() == "export.vcf is empty"
    assert title.text() == "export.vcf now holds no contacts (it held 3 at the last sync)"
    assert explanation.text().startswith("Syncing “phone” would delete 3 contacts from book too.")
    assert "emptied it on purpose" in explanation.text()
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == held  # type: ignore[union-attr]
    assert dialog.cancel_button.isDefault()
    with qtbot.waitSignal(controller.sessions_changed, timeout=5000):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert [c.approved_deletes for c in fake.called("sync")] == [None, Approval("/tmp/book", 3)]
    assert fake.ran[-1].status == "ok"
