"""The edit dialog, the controller and the real SyncService together (offscreen): a
partnership is renamed and changed, reset and removed, and no contact is touched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from syncgui.engine import Direction, Policy
from syncgui.gui.controller import AppController
from syncgui.gui.edit_dialog import EditPartnershipDialog
from syncgui.service import SyncService, resolve_paths


def _card(uid: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nEND:VCARD\r\n"


def _contents(*roots: Path) -> dict[str, bytes]:
    found = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        found |= {str(p): p.read_bytes() for p in paths if not p.name.startswith(".")}
    return found


@pytest.fixture
def synced(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[SyncService, AppController, Path, Path]]:
    book = tmp_path / "Address book"
    book.mkdir()
    (book / "ada.vcf").write_text(_card("ada", "Ada Lovelace"), newline="")
    export = tmp_path / "export.vcf"
    export.write_text(_card("alan", "Alan Turing"), newline="")
    service = SyncService(resolve_paths(tmp_path / "config", tmp_path / "data"), real_backend=None)
    service.add_partnership("Export", f"vdir:{book}", f"vcf:{export}")
    service.sync(["Export"])
    controller = AppController(service)
    qtbot.waitUntil(lambda: controller.row("Export") is not None, timeout=5000)
    try:
        yield service, controller, book, export
    finally:
        controller.shutdown()


def settle(qtbot: QtBot, ctl: AppController) -> None:
    qtbot.waitUntil(lambda: ctl.pending_work() == 0, timeout=10_000)


def test_edit_reset_and_remove_with_the_real_service_never_touch_a_contact(
    qtbot: QtBot, synced: tuple[SyncService, AppController, Path, Path]
) -> None:
    service, controller, book, export = synced
    before = _contents(book, export)
    assert len(before) == 3  # both contacts on both sides (2 files + 1 .vcf)
    dialog = EditPartnershipDialog(controller, "Export")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name_edit.setText("Phone export")
    dialog.a_to_b.setChecked(True)
    dialog.policy.setCurrentIndex(dialog.policy.findData(Policy.NEWEST))
    dialog.schedule.interval.setValue(30)
    saved: list[str] = []
    dialog.saved.connect(saved.append)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(lambda: saved == ["Phone export"], timeout=10_000)
    [p] = service.partnerships()
    assert (p.name, p.direction, p.policy) == ("Phone export", Direction.A_TO_B, Policy.NEWEST)
    assert service.schedule("Phone export").interval_minutes == 30
    settle(qtbot, controller)
    assert controller.row("Phone export") is not None

    again = EditPartnershipDialog(controller, "Phone export")
    qtbot.addWidget(again)
    again.show()
    again.reset()
    qtbot.waitUntil(lambda: "No contact was deleted" in again.status.text(), timeout=10_000)
    assert _contents(book, export) == before
    service.sync(["Phone export"])  # matched again: nothing doubled, nothing lost
    assert _contents(book, export).keys() == before.keys()

    removed: list[str] = []
    again.removed.connect(removed.append)
    again.remove()
    qtbot.waitUntil(lambda: removed == ["Phone export"], timeout=10_000)
    assert service.partnerships() == []
    assert _contents(book, export).keys() == before.keys()
