"""The wizard with the real SyncService (offscreen): two folders holding the same three people
under different UIDs; the preview (the engine's real dry run) lists the three matches; the
user unticks one; after "Sync now" the two ticked are one contact each and the unticked one
is two contacts on both sides."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from syncgui.gui.controller import AppController
from syncgui.gui.wizard import PartnershipWizard
from syncgui.service import SyncService, resolve_paths


def _card(uid: str, name: str, *extra: str) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", *extra, "END:VCARD"]
    return "\r\n".join(lines) + "\r\n"


def _stores(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "Laptop", tmp_path / "Phone"
    a.mkdir()
    b.mkdir()
    people = [
        ("Ann Example", "EMAIL:ann@example.org"),
        ("Bob Example", "TEL:+1 555 0100"),
        ("Cy Example", "EMAIL:cy@example.org"),
    ]
    for i, (name, handle) in enumerate(people):
        first = name.split()[0].lower()
        (a / f"{first}.vcf").write_text(_card(f"l-{i}", name, handle), newline="")
        (b / f"{first}-p.vcf").write_text(_card(f"p-{i}", name, handle, "NOTE:p"), newline="")
    return a, b


def test_an_unticked_match_in_the_real_preview_is_kept_as_two_contacts(
    qtbot: QtBot, tmp_path: Path
) -> None:
    a, b = _stores(tmp_path)
    service = SyncService(resolve_paths(tmp_path / "config", tmp_path / "data"), real_backend=None)
    controller = AppController(service)
    wizard = PartnershipWizard(controller)
    qtbot.addWidget(wizard)
    wizard.show()
    try:
        wizard.page_a.folder_edit.setText(str(a))
        wizard.next()
        wizard.page_b.folder_radio.setChecked(True)
        wizard.page_b.folder_edit.setText(str(b))
        wizard.next()
        wizard.settings.name.setText("Meet")
        commit = wizard.button(QWizard.WizardButton.CommitButton)
        qtbot.mouseClick(commit, Qt.MouseButton.LeftButton)
        ready = wizard.ready
        qtbot.waitUntil(lambda: "would do this" in ready.preview.text(), timeout=10_000)
        model = ready.matches.model
        assert model.rowCount() == 3
        names = [model.data(model.index(r, 0)) for r in range(3)]
        assert names == ["Ann Example", "Bob Example", "Cy Example"]
        assert [model.data(model.index(r, 1)) for r in range(3)] == [
            "ann.vcf",
            "bob.vcf",
            "cy.vcf",
        ]
        assert ready.matches.heading.text().startswith("3 contacts matched as the same person")
        model.set_ticked(1, False)  # Bob: not the same person
        assert sorted(p.name for p in a.iterdir()) == ["ann.vcf", "bob.vcf", "cy.vcf"]

        qtbot.mouseClick(
            wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton
        )
        qtbot.waitUntil(
            lambda: (row := controller.row("Meet")) is not None and row.last is not None,
            timeout=10_000,
        )
        row = controller.row("Meet")
        assert row is not None and row.last is not None and row.last.status == "ok"
        assert row.last.matched == 2
        assert len(service.partnerships()[0].refused_matches) == 1
        for folder in (a, b):
            texts = [p.read_text() for p in folder.glob("*.vcf")]
            assert len(texts) == 4, folder
            assert sum("FN:Bob Example" in t for t in texts) == 2
            assert sum("FN:Ann Example" in t for t in texts) == 1
    finally:
        controller.shutdown()
