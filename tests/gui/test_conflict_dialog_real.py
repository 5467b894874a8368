"""The conflicts dialog against the real SyncService on the demo profile (offscreen): a
merge with a per-field choice (the field names the dialog offers are the ones the engine's
merge settles) reaches both stores, and the conflict is gone after the sync that follows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from syncgui.gui.conflict_dialog import ConflictDialog
from syncgui.gui.controller import AppController
from syncgui.service import SyncService, demo_paths, ensure_demo, resolve_paths


def _grace(folder: Path) -> str:
    [text] = [p.read_text() for p in folder.glob("*.vcf") if "Grace Hopper" in p.read_text()]
    return text


def test_merge_choosing_the_phones_note_reaches_both_sides(qtbot: QtBot, tmp_path: Path) -> None:
    paths = demo_paths(resolve_paths(tmp_path / "config", tmp_path / "data"))
    ensure_demo(paths)
    service = SyncService(paths, demo=True, real_backend=None)
    controller = AppController(service)
    try:
        controller.sync(["Demo"])
        qtbot.waitUntil(lambda: controller.conflict_total() == 1, timeout=10_000)
        dialog = ConflictDialog(controller)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=10_000)
        assert dialog.windowTitle() == "Conflicts: Grace Hopper"

        qtbot.mouseClick(dialog.merge, Qt.MouseButton.LeftButton)
        combo = dialog.choice_box("NOTE")  # the one field both sides changed
        assert combo is not None
        phone_side = [i for i in range(combo.count()) if combo.itemData(i) == "b"]
        combo.setCurrentIndex(phone_side[0])
        qtbot.mouseClick(dialog.merge, Qt.MouseButton.LeftButton)  # "Apply merge"

        qtbot.waitUntil(lambda: controller.conflict_total() == 0, timeout=10_000)
        qtbot.waitUntil(lambda: not controller.is_busy("Demo"), timeout=10_000)
        row = controller.row("Demo")
        assert row is not None and row.last is not None and row.last.trigger == "resolve"
        stores = paths.data_dir / "stores"
        for card in (
            _grace(stores / "Address book"),
            _grace(stores / "Virtual phone" / "Contacts"),
        ):
            assert "NOTE:Call about the COBOL talk" in card
            assert "Met at the compiler conference" not in card
        assert service.conflicts() == []
    finally:
        controller.shutdown()
