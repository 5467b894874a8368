"""The History tab against the real SyncService and two real folders (offscreen): a sync
overwrites a contact, the History tab shows the version it kept beside the contact now, and
Restore brings the old card back, byte for byte, in both folders after the sync that
follows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from syncgui.gui.conflict_table import SIDE_A, SIDE_B
from syncgui.gui.controller import AppController
from syncgui.gui.history_view import NAME
from syncgui.gui.main_window import MainWindow
from syncgui.service import SyncService, resolve_paths
from tests.gui.support import synced

OLD = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada-1\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
    b"NOTE:Analytical engine\r\nEND:VCARD\r\n"
)
NEW = OLD.replace(b"NOTE:Analytical engine", b"NOTE:Moved to London")


def _cards(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.vcf"))}


def test_restore_from_the_history_tab_brings_the_old_card_back_on_both_sides(
    qtbot: QtBot, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "ada.vcf").write_bytes(OLD)
    paths = resolve_paths(tmp_path / "config", tmp_path / "data")
    service = SyncService(paths, real_backend=None)
    service.add_partnership("Books", f"vdir:{a}", f"vdir:{b}")
    controller = AppController(service)
    try:
        controller.sync(["Books"])
        synced(qtbot, controller, service, "Books", 1)
        [(b_name, b_card)] = _cards(b).items()
        assert b_card == OLD
        (a / "ada.vcf").write_bytes(NEW)  # edited on one side
        controller.sync(["Books"])
        synced(qtbot, controller, service, "Books", 2)
        assert _cards(b) == {b_name: NEW}  # B's old version is kept in the history

        window = MainWindow(controller, has_tray=False)
        qtbot.addWidget(window)
        window.show()
        window.tabs.setCurrentWidget(window.history)
        view = window.history
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 1, timeout=10_000)
        item = view.tree.topLevelItem(0)
        assert item is not None and item.text(NAME) == "Ada Lovelace"
        view.tree.setCurrentItem(item)
        qtbot.waitUntil(lambda: view.pages.currentIndex() == 1, timeout=10_000)
        table = view.table
        rows = {
            table.item(r, 0).text(): (  # type: ignore[union-attr]
                table.item(r, SIDE_A).text(),  # type: ignore[union-attr]
                table.item(r, SIDE_B).text(),  # type: ignore[union-attr]
            )
            for r in range(table.rowCount())
        }
        assert rows["Note"] == ("Analytical engine", "Moved to London")
        assert rows["Name"] == ("Ada Lovelace", "Ada Lovelace")
        assert view.note.isHidden()  # the contact is there now

        qtbot.mouseClick(view.restore_button, Qt.MouseButton.LeftButton)
        synced(qtbot, controller, service, "Books", 3)  # the partnership syncs after the restore
        assert "1 contact restored" in view.status.text()
        assert _cards(b) == {b_name: OLD}  # under its own name, byte for byte
        assert _cards(a) == {"ada.vcf": OLD}
        last = service.sessions("Books")[0]
        assert last.trigger == "manual" and last.status == "ok"
        window.close()
    finally:
        controller.shutdown()
