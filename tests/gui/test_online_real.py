"""The wizard's online address book choice with the real service and a real Radicale that
signs users in (htpasswd), the password in a keyring (in memory here; the real Secret
Service is tests/service/test_secret_service.py): a wrong password is said on the page, the
right one lists the address books with their counts, the partnership syncs every 15
minutes and its first sync puts the folder's cards on the server. When the keyring's
password stops working, the window asks for it once, holds the timed syncs, and the
partnership syncs again as soon as the server accepts the new one."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem, QWizard
from pytestqt.qtbot import QtBot

from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.gui.password_dialog import PasswordDialog
from syncgui.gui.wizard import PartnershipWizard
from syncgui.service import SyncService, resolve_paths
from syncgui.service.secrets import SERVICE, store_password
from tests.carddav.servers import Server
from tests.keyrings import MemoryKeyring


def _card(uid: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


def click(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_a_radicale_book_joins_a_folder_from_the_wizard_and_asks_again_for_a_new_password(
    qtbot: QtBot, tmp_path: Path, radicale_auth: Server, memory_keyring: MemoryKeyring
) -> None:
    server = radicale_auth
    title = f"Friends {uuid.uuid4().hex[:6]}"
    url = server.new_book(title)
    folder = tmp_path / "Address book"
    folder.mkdir()
    for uid, name in (("ada", "Ada Lovelace"), ("alan", "Alan Turing")):
        (folder / f"{uid}.vcf").write_text(_card(uid, name), newline="")
    service = SyncService(resolve_paths(tmp_path / "config", tmp_path / "data"), real_backend=None)
    controller = AppController(service)
    try:
        wizard = PartnershipWizard(controller)
        qtbot.addWidget(wizard)
        wizard.show()
        qtbot.keyClicks(wizard.page_a.folder_edit, str(folder))
        click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
        page = wizard.page_b
        page.online_radio.setChecked(True)
        online = page.online
        qtbot.keyClicks(online.server, server.base.removeprefix("http://"))
        qtbot.keyClicks(online.user, "alice")
        qtbot.keyClicks(online.password, "not the password")
        click(qtbot, online.sign_in_button)
        qtbot.waitUntil(lambda: "⚠" in online.status.text(), timeout=10_000)
        assert "did not accept the user name or password" in online.status.text()
        assert service.accounts() == [] and memory_keyring.items == {}

        online.password.clear()
        qtbot.keyClicks(online.password, server.password or "")
        click(qtbot, online.sign_in_button)
        qtbot.waitUntil(lambda: online.books.topLevelItemCount() > 0, timeout=10_000)
        [item] = [
            i
            for i in (online.books.topLevelItem(n) for n in range(online.books.topLevelItemCount()))
            if isinstance(i, QTreeWidgetItem) and i.text(0) == title
        ]
        assert item.text(1) == "0"  # the new book holds no card yet
        online.books.setCurrentItem(item)
        [account] = service.accounts()
        segment = url.rstrip("/").rpartition("/")[2]
        assert page.spec() == f"carddav:{account.name}/{segment}"
        assert memory_keyring.items == {(SERVICE, account.name): server.password}
        click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
        settings = wizard.settings
        assert settings.schedule.schedule().interval_minutes == 15
        settings.name.clear()
        qtbot.keyClicks(settings.name, "Friends")
        click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
        qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=10_000)
        click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
        qtbot.waitUntil(
            lambda: (row := controller.row("Friends")) is not None and row.last is not None,
            timeout=20_000,
        )
        row = controller.row("Friends")
        assert row is not None and row.last is not None and row.last.status == "ok"
        assert service.schedule("Friends").interval_minutes == 15
        assert len(server.card_hrefs(url)) == 2

        # the password kept no longer works (changed on the server, say)
        store_password(account.name, "an old password")
        window = MainWindow(controller, has_tray=False)
        qtbot.addWidget(window)
        controller.sync(["Friends"], trigger="schedule")
        qtbot.waitUntil(lambda: window.findChild(PasswordDialog) is not None, timeout=20_000)
        dialog = window.findChild(PasswordDialog)
        assert isinstance(dialog, PasswordDialog)
        assert "did not accept the user name or password" in dialog.said.text()
        assert controller.sync(["Friends"], trigger="schedule") == []  # held meanwhile
        (folder / "grace.vcf").write_text(_card("grace", "Grace Hopper"), newline="")
        qtbot.keyClicks(dialog.password, server.password or "")
        click(qtbot, dialog.sign_in)
        qtbot.waitUntil(lambda: len(server.card_hrefs(url)) == 3, timeout=20_000)
        assert memory_keyring.items[(SERVICE, account.name)] == server.password
        qtbot.waitUntil(lambda: controller.pending_work() == 0, timeout=20_000)
        row = controller.row("Friends")
        assert row is not None and row.last is not None and row.last.status == "ok"
        for path in [*(tmp_path / "config").rglob("*"), *(tmp_path / "data").rglob("*")]:
            assert not path.is_file() or b"s3cret" not in path.read_bytes(), path
    finally:
        controller.shutdown()
