"""The wizard, the controller and the real SyncService together (offscreen): a folder of
cards and a .vcf file that both hold contacts become a partnership; the preview is the real
dry run of the engine; "Sync now" then really syncs, and nothing was written before it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from syncgui.gui.controller import AppController
from syncgui.gui.wizard import PartnershipWizard
from syncgui.service import SyncService, resolve_paths


def _card(uid: str, name: str, extra: str = "") -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\n{extra}END:VCARD\r\n"


def test_wizard_previews_the_real_first_sync_and_then_runs_it(qtbot: QtBot, tmp_path: Path) -> None:
    book = tmp_path / "Address book"
    book.mkdir()
    (book / "ada.vcf").write_text(_card("ada", "Ada Lovelace"), newline="")
    (book / "alan.vcf").write_text(_card("alan", "Alan Turing"), newline="")
    export = tmp_path / "phone-export.vcf"
    export.write_text(
        _card("ada", "Ada Lovelace") + _card("grace", "Grace Hopper", "TEL:+1 555 0100\r\n"),
        newline="",
    )
    exported = export.read_bytes()
    service = SyncService(resolve_paths(tmp_path / "config", tmp_path / "data"), real_backend=None)
    controller = AppController(service)
    wizard = PartnershipWizard(controller)
    qtbot.addWidget(wizard)
    wizard.show()
    try:
        qtbot.keyClicks(wizard.page_a.folder_edit, str(book))
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
        page_b = wizard.page_b
        page_b.file_radio.setChecked(True)
        qtbot.keyClicks(page_b.file_edit, str(export))
        assert page_b.spec() == f"vcf:{export}"
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
        assert wizard.currentPage() is wizard.settings
        wizard.settings.name.clear()
        qtbot.keyClicks(wizard.settings.name, "Export")
        commit = wizard.button(QWizard.WizardButton.CommitButton)
        qtbot.mouseClick(commit, Qt.MouseButton.LeftButton)
        ready = wizard.ready
        qtbot.waitUntil(lambda: "would do this" in ready.preview.text(), timeout=10_000)
        assert ready.previewed
        preview = ready.preview.text()
        assert "1 contact added to Address book" in preview  # Grace
        assert "1 contact added to phone-export.vcf" in preview  # Alan
        # the preview wrote nothing
        assert sorted(p.name for p in book.iterdir()) == ["ada.vcf", "alan.vcf"]
        assert export.read_bytes() == exported
        assert service.partnerships()[0].name == "Export"

        assert ready.sync_now.isChecked()
        finish = wizard.button(QWizard.WizardButton.FinishButton)
        qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.row("Export") is not None, timeout=5000)
        qtbot.waitUntil(
            lambda: not controller.is_busy("Export") and controller.row("Export").last is not None,
            timeout=10_000,
        )
        row = controller.row("Export")
        assert row is not None and row.last is not None and row.last.status == "ok"
        assert row.last.trigger == "manual"
        cards = [p.read_text() for p in book.glob("*.vcf")]
        assert len(cards) == 3 and any("FN:Grace Hopper" in c for c in cards)
        text = export.read_text()
        assert text.count("BEGIN:VCARD") == 3 and "FN:Alan Turing" in text
        assert export.read_bytes().startswith(exported)  # untouched cards stay byte for byte
    finally:
        controller.shutdown()
