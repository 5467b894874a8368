"""Issue 13, edit a partnership: name, direction, policy and schedule saved on the job
thread; reset and remove say that no contact is deleted; the partnerships list opens the
dialog from its context menu and on double-click."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from syncgui.engine import Direction, Policy
from syncgui.gui.controller import AppController
from syncgui.gui.edit_dialog import EditPartnershipDialog, ResetQuestion
from syncgui.gui.partnerships_view import NAME, PartnershipsView
from syncgui.gui.questions import RemoveQuestion
from syncgui.service import Partnership, Schedule
from tests.gui.fake_service import FakeDesktop
from tests.gui.support import settle


def open_dialog(qtbot: QtBot, ctl: AppController, name: str = "phone") -> EditPartnershipDialog:
    settle(qtbot, ctl)
    dialog = EditPartnershipDialog(ctl, name)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def click(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]


def test_it_shows_the_partnership_as_it_is(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.book["phone"] = Partnership(
        "phone", "vdir:/tmp/book", "virtual:/tmp/phone", Direction.A_TO_B, Policy.NEWEST
    )
    fake.schedules["phone"] = Schedule(30, True, False)
    controller.refresh()
    dialog = open_dialog(qtbot, controller)
    assert dialog.name_edit.text() == "phone"
    assert dialog.a_to_b.isChecked()
    assert dialog.policy.currentData() is Policy.NEWEST
    assert dialog.schedule.schedule() == Schedule(30, True, False)
    assert not dialog.save_button.isEnabled()  # nothing changed yet


def test_save_changes_name_direction_policy_and_schedule_on_the_job_thread(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    threads: list[threading.Thread] = []
    original = fake.set_partnership

    def recording(name: str, **kwargs: object) -> Partnership:
        threads.append(threading.current_thread())
        return original(name, **kwargs)  # type: ignore[arg-type]

    fake.set_partnership = recording  # type: ignore[method-assign]
    dialog = open_dialog(qtbot, controller)
    saved: list[str] = []
    dialog.saved.connect(saved.append)
    dialog.name_edit.setText("Pixel")
    dialog.b_to_a.setChecked(True)
    dialog.policy.setCurrentIndex(dialog.policy.findData(Policy.ASK))
    dialog.schedule.interval.setValue(60)
    assert dialog.save_button.isEnabled()
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: saved == ["Pixel"], timeout=5000)
    settle(qtbot, controller)
    assert threads and threads[0] is not threading.main_thread()
    assert fake.called("set_partnership") == [("phone", "Pixel", Direction.B_TO_A, Policy.ASK)]
    assert fake.called("set_schedule")[-1] == ("Pixel", Schedule(60, True, True))
    assert not dialog.isVisible()
    row = controller.row("Pixel")
    assert row is not None and row.partnership.policy is Policy.ASK


def test_only_what_changed_is_sent(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    dialog = open_dialog(qtbot, controller)
    dialog.policy.setCurrentIndex(dialog.policy.findData(Policy.KEEP_BOTH))
    click(qtbot, dialog.save_button)
    settle(qtbot, controller)
    assert fake.called("set_partnership") == [("phone", None, None, Policy.KEEP_BOTH)]
    assert fake.called("set_schedule") == []


def test_a_name_in_use_or_empty_cannot_be_saved(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.book["other"] = Partnership("other", "vdir:/tmp/a", "vcf:/tmp/b.vcf")
    controller.refresh()
    dialog = open_dialog(qtbot, controller)
    dialog.name_edit.setText("other")
    assert not dialog.save_button.isEnabled()
    assert dialog.status.text() == "Another partnership is called “other”."
    dialog.name_edit.setText("  ")
    assert not dialog.save_button.isEnabled()
    dialog.name_edit.setText("new name")
    assert dialog.save_button.isEnabled()
    assert dialog.status.isHidden()


def test_a_refused_save_keeps_the_dialog_open_with_the_reason(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    def refuse(name: str, **_kwargs: object) -> Partnership:
        raise PermissionError("the settings folder is read-only")

    fake.set_partnership = refuse  # type: ignore[method-assign]
    dialog = open_dialog(qtbot, controller)
    dialog.a_to_b.setChecked(True)
    click(qtbot, dialog.save_button)
    settle(qtbot, controller)
    qtbot.waitUntil(lambda: "read-only" in dialog.status.text(), timeout=5000)
    assert dialog.isVisible()
    assert dialog.save_button.isEnabled()  # try again


def test_reset_says_no_contact_is_deleted_and_runs_on_confirm(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    dialog = open_dialog(qtbot, controller)
    box = dialog.ask_reset()
    assert isinstance(box, ResetQuestion)
    assert "No contact is deleted anywhere" in box.informativeText()
    assert "matches their contacts again" in box.informativeText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    click(qtbot, box.button(QMessageBox.StandardButton.Cancel))
    settle(qtbot, controller)
    assert fake.called("reset_partnership") == []
    box = dialog.ask_reset()
    click(qtbot, box._yes)
    settle(qtbot, controller)
    assert fake.called("reset_partnership") == ["phone"]
    qtbot.waitUntil(lambda: "No contact was deleted" in dialog.status.text(), timeout=5000)
    assert dialog.isVisible()


def test_remove_says_no_contact_is_deleted_and_closes_when_done(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    dialog = open_dialog(qtbot, controller)
    box = dialog.ask_remove()
    assert isinstance(box, RemoveQuestion)
    assert "No contact is deleted" in box.informativeText()
    removed: list[str] = []
    dialog.removed.connect(removed.append)
    yes = next(b for b in box.buttons() if b.text() == "&Remove")
    click(qtbot, yes)
    qtbot.waitUntil(lambda: removed == ["phone"], timeout=5000)
    assert fake.called("remove_partnership") == ["phone"]
    assert not dialog.isVisible()
    settle(qtbot, controller)
    assert controller.row("phone") is None


def test_the_phone_option_shows_only_for_a_phone(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.book["files"] = Partnership("files", "vdir:/tmp/a", "vcf:/tmp/b.vcf")
    controller.refresh()
    phone = open_dialog(qtbot, controller, "phone")
    files = open_dialog(qtbot, controller, "files")
    assert phone.schedule.on_connect.isVisibleTo(phone)
    assert not files.schedule.on_connect.isVisibleTo(files)
    assert files.schedule.on_change.isVisibleTo(files)


def test_the_list_opens_the_dialog_from_its_menu_and_on_double_click(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    view = PartnershipsView(controller)
    qtbot.addWidget(view)
    view.show()
    settle(qtbot, controller)
    menu = view.context_menu("phone")
    edit = next(a for a in menu.actions() if a.objectName() == "edit")
    assert edit.text() == "&Edit…"
    assert menu.defaultAction() is edit
    edit.trigger()
    dialog = view.findChild(EditPartnershipDialog) or view.window().findChild(EditPartnershipDialog)
    assert isinstance(dialog, EditPartnershipDialog) and dialog.name == "phone"
    dialog.reject()
    item = view.tree.topLevelItem(0)
    assert item is not None and item.data(NAME, Qt.ItemDataRole.UserRole) == "phone"
    where = view.tree.visualRect(view.tree.indexFromItem(item, NAME)).center()
    viewport = view.tree.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=where)  # type: ignore[no-untyped-call]
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=where)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: view._editing is not None and view._editing.isVisible(), timeout=5000)
    assert view._editing is not None and view._editing.name == "phone"
