"""Undo a sync from the Activity tab against the real SyncService and two real folders
(offscreen): sync, edit and add, sync; select the second sync, Undo this sync…; the dialog
lists what it will do before anything is written, a contact changed since is left alone
until ticked; Undo puts both folders back to the first sync's state, byte for byte, and
the Activity list shows the undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.gui.undo_dialog import UndoDialog
from syncgui.service import SyncService, resolve_paths
from tests.gui.support import synced

ADA = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada-1\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
    b"NOTE:Analytical engine\r\nEND:VCARD\r\n"
)
ADA_EDITED = ADA.replace(b"NOTE:Analytical engine", b"NOTE:Moved to London")
ALAN = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:alan-1\r\nFN:Alan Turing\r\nEND:VCARD\r\n"
GRACE = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:grace-1\r\nFN:Grace Hopper\r\nEND:VCARD\r\n"


def _cards(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.vcf"))}


def _rows(dialog: UndoDialog) -> list[tuple[str, str, str, bool]]:
    """(contact, store, what happens, checkable) of every row that is a contact."""
    rows = []
    for i in range(dialog.tree.topLevelItemCount()):
        item = dialog.tree.topLevelItem(i)
        assert item is not None
        if item.data(0, Qt.ItemDataRole.UserRole) is None:
            continue  # a group's heading
        checkable = item.data(0, Qt.ItemDataRole.CheckStateRole) is not None
        rows.append((item.text(0), item.text(1), item.text(2), checkable))
    return sorted(rows)


@pytest.mark.parametrize("tick", [False, True], ids=["left-alone", "ticked"])
def test_undo_from_the_activity_tab_puts_both_folders_back(
    qtbot: QtBot, tmp_path: Path, tick: bool
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "ada.vcf").write_bytes(ADA)
    (a / "grace.vcf").write_bytes(GRACE)
    paths = resolve_paths(tmp_path / "config", tmp_path / "data")
    service = SyncService(paths, real_backend=None)
    service.add_partnership("Books", f"vdir:{a}", f"vdir:{b}")
    controller = AppController(service)
    try:
        controller.sync(["Books"])
        synced(qtbot, controller, service, "Books", 1)
        first_a, first_b = _cards(a), _cards(b)
        (a / "ada.vcf").write_bytes(ADA_EDITED)
        (a / "alan.vcf").write_bytes(ALAN)
        (a / "grace.vcf").write_bytes(GRACE.replace(b"END:", b"NOTE:later\r\nEND:"))
        controller.sync(["Books"])
        synced(qtbot, controller, service, "Books", 2)
        # Grace changes again after the second sync: it is left alone unless ticked
        (a / "grace.vcf").write_bytes(GRACE.replace(b"END:", b"NOTE:even later\r\nEND:"))

        window = MainWindow(controller, has_tray=False)
        qtbot.addWidget(window)
        window.show()
        window.tabs.setCurrentWidget(window.activity)
        view = window.activity
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 2, timeout=10_000)
        assert not view.undo_button.isEnabled()  # nothing selected
        second = view.tree.topLevelItem(0)
        assert second is not None
        view.tree.setCurrentItem(second)
        assert view.undo_button.isEnabled()
        qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
        dialog = view.undo_dialog
        assert dialog is not None
        qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=10_000)
        assert _rows(dialog) == [
            ("Ada Lovelace", "b", "Put back as it was (this sync changed it)", False),
            ("Alan Turing", "b", "Removed (this sync added it)", False),
            ("Grace Hopper", "b", "Put back as it was (this sync changed it)", True),
        ]
        assert dialog.undo_button.isEnabled()
        assert _cards(b) != first_b  # nothing written yet
        if tick:
            grace = dialog.tree.findItems("Grace Hopper", Qt.MatchFlag.MatchExactly)[0]
            grace.setCheckState(0, Qt.CheckState.Checked)
            assert dialog.ticked() == {grace.data(0, Qt.ItemDataRole.UserRole)}

        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
        synced(qtbot, controller, service, "Books", 3)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
        if tick:  # the undo wins over the later edit, which the history keeps
            assert (_cards(a), _cards(b)) == (first_a, first_b)
            kept = [e.record.data for e in service.history("Books")]
            assert any(b"even later" in data for data in kept)
        else:
            assert _cards(a) == {**first_a, "grace.vcf": (a / "grace.vcf").read_bytes()}
            assert b"even later" in (a / "grace.vcf").read_bytes()  # left alone
            assert {k: v for k, v in _cards(b).items() if b"Grace" not in v} == {
                k: v for k, v in first_b.items() if b"Grace" not in v
            }
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 3, timeout=10_000)
        newest = view.tree.topLevelItem(0)
        assert newest is not None
        assert newest.text(2) == "undo"
        assert newest.text(3).startswith("Undid an earlier sync: ")
        window.close()
    finally:
        controller.shutdown()
