"""The undo dialog against the fake service: Undo is enabled only when something would be
undone (a contact changed since counts once ticked), a session that cannot be undone says
why, and the Activity tab's button follows the selected session."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from syncgui.engine import WriteKind
from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.gui.undo_dialog import UndoDialog
from syncgui.service import Partnership, UndoAction, UndoPlan, UndoStep
from tests.gui.fake_service import FakeDesktop

PHONE = "mtp:SER/Internal/Contacts"


def _setup(tmp_path: Path) -> tuple[FakeDesktop, AppController]:
    fake = FakeDesktop([Partnership("Pixel", "vdir:/home/me/c", PHONE)], root=tmp_path / "p")
    fake.script("Pixel", created=1)
    fake.sync(["Pixel"])
    return fake, AppController(fake)


def test_only_a_contact_changed_since_enables_undo_once_ticked(
    qtbot: QtBot, tmp_path: Path
) -> None:
    fake, ctl = _setup(tmp_path)
    try:
        record = fake.sessions("Pixel")[0]
        step = UndoStep(
            PHONE, "c", b"g1", "Ada", WriteKind.UPDATED, UndoAction.PUT_BACK, changed_since=True
        )
        fake.undo_plans[record.id] = UndoPlan(record, (step,))
        dialog = UndoDialog(ctl, record)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=5000)
        assert not dialog.undo_button.isEnabled()
        [ada] = dialog.tree.findItems("Ada", Qt.MatchFlag.MatchExactly)
        ada.setCheckState(0, Qt.CheckState.Checked)
        assert dialog.undo_button.isEnabled()
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: ("undo", (record.id, frozenset({b"g1"}), False)) in fake.calls)
        qtbot.waitUntil(lambda: fake.sessions("Pixel")[0].trigger == "undo", timeout=5000)
    finally:
        ctl.shutdown()


def test_a_session_that_cannot_be_undone_says_why(qtbot: QtBot, tmp_path: Path) -> None:
    fake, ctl = _setup(tmp_path)
    try:
        record = fake.sessions("Pixel")[0]  # no plan: the fake says there is no such session
        dialog = UndoDialog(ctl, record)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: "Cannot undo this sync" in dialog.status.text(), timeout=5000)
        assert f"there is no session {record.id}" in dialog.status.text()
        assert not dialog.undo_button.isEnabled()
    finally:
        ctl.shutdown()


def test_the_activity_tabs_undo_button_follows_the_selected_session(
    qtbot: QtBot, tmp_path: Path
) -> None:
    fake, ctl = _setup(tmp_path)
    fake.script("Pixel", created=0)  # a sync that wrote nothing: nothing to undo
    fake.sync(["Pixel"])
    try:
        window = MainWindow(ctl, has_tray=False)
        qtbot.addWidget(window)
        view = window.activity
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 2, timeout=5000)
        quiet, wrote = view.tree.topLevelItem(0), view.tree.topLevelItem(1)
        assert quiet is not None and wrote is not None
        view.tree.setCurrentItem(quiet)
        assert not view.undo_button.isEnabled()
        view.tree.setCurrentItem(wrote)
        assert view.undo_button.isEnabled()
        view.undo_selected()
        assert view.undo_dialog is not None and view.undo_dialog.record.id == 1
        view.undo_dialog.close()
    finally:
        ctl.shutdown()
