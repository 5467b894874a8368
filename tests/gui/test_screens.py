"""Screenshots of the main window (its partnerships, devices, accounts and history), the
wizard (a phone, an online address book, the settings), the conflict, guard, edit and
password dialogs, in a light and a dark palette, saved to $SYNCGUI_ARTIFACTS/offscreen
(default: the test's temporary folder), which holds this run's screenshots only."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget, QWizard
from pytestqt.qtbot import QtBot

from syncgui.engine import ItemProblem, WriteKind
from syncgui.gui.conflict_dialog import ConflictDialog
from syncgui.gui.controller import AppController
from syncgui.gui.edit_dialog import EditPartnershipDialog
from syncgui.gui.guard_dialog import GuardDialog
from syncgui.gui.main_window import MainWindow
from syncgui.gui.password_dialog import PasswordDialog
from syncgui.gui.undo_dialog import UndoDialog
from syncgui.gui.wizard import PartnershipWizard
from syncgui.service import Account, OnlineBook, Partnership, UndoAction, UndoPlan, UndoStep
from tests.gui.fake_service import (
    FakeDesktop,
    make_conflict,
    make_device,
    make_kept,
    make_place,
)

# every screenshot the test saves: these, once per palette, and the first-run window
THEMED = (
    "main-window",
    "main-window-devices",
    "main-window-history",
    "main-window-activity",
    "undo-dialog",
    "main-window-accounts",
    "main-window-syncing",
    "conflict-dialog",
    "guard-dialog",
    "edit-dialog",
    "password-dialog",
    "wizard-phone",
    "wizard-online",
    "wizard-settings",
)
SCREENSHOTS = {f"{name}-{theme}.png" for name in THEMED for theme in ("light", "dark")} | {
    "main-window-first-run.png"
}


def dark_palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, c in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#2a2a2a"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.Highlight, "#3d7fd6"),
        (role.HighlightedText, "#ffffff"),
        (role.ToolTipBase, "#353535"),
        (role.ToolTipText, "#e6e6e6"),
        (role.PlaceholderText, "#9a9a9a"),
    ):
        p.setColor(r, QColor(c))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor("#7f7f7f"))
    return p


@pytest.fixture
def out(tmp_path: Path) -> Path:
    artifacts = os.environ.get("SYNCGUI_ARTIFACTS")  # scripts/test: artifacts/screenshots
    folder = Path(artifacts) / "offscreen" if artifacts else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):  # an earlier run's: only what this run saves counts
        old.unlink()
    return folder


@pytest.fixture
def palettes(qapp: QApplication) -> Iterator[list[tuple[str, QPalette]]]:
    original = qapp.palette()
    yield [("light", original), ("dark", dark_palette())]
    qapp.setPalette(original)


def save(qtbot: QtBot, widget: QWidget, path: Path) -> float:
    """Save a screenshot; returns its mean lightness (0 black .. 1 white)."""
    widget.show()
    qtbot.wait(50)
    image = widget.grab().toImage()
    assert image.save(str(path))
    small = image.scaled(64, 64)
    values = [small.pixelColor(x, y).lightnessF() for x in range(64) for y in range(64)]
    return sum(values) / len(values)


def test_screenshots(
    qtbot: QtBot,
    qapp: QApplication,
    out: Path,
    palettes: list[tuple[str, QPalette]],
    tmp_path: Path,
) -> None:
    fake = FakeDesktop(
        [
            Partnership("Pixel", "vdir:/home/me/Contacts", "mtp:SER123/Internal/Contacts"),
            Partnership("Backup", "vdir:/home/me/Contacts", "vcf:/home/me/backup.vcf"),
            Partnership("Cloud", "vdir:/home/me/Contacts", "carddav:nextcloud/contacts"),
        ],
        root=tmp_path / "profile",
    )
    cloud = "https://cloud.example.org/remote.php/dav"
    fake.add_server(cloud, [("Contacts", 212), ("Family", 9)], user="ann", password="pw")
    books = tuple(OnlineBook(n, f"{cloud}/{n.lower()}/") for n in ("Contacts", "Family"))
    account = Account("nextcloud", cloud, "ann", books=books)
    fake.account_book["nextcloud"] = account
    fake.kept["nextcloud"] = "pw"
    refused = (
        "The CardDAV server cloud.example.org did not accept the user name or password. "
        "Enter the password again (for iCloud, an app-specific password)."
    )
    fake.devices = [
        make_device(),
        make_device(
            "Galaxy S9",
            "S9",
            vendor="Samsung",
            state="locked",
            hint="Unlock the phone and allow access to its data, then look again.",
        ),
    ]
    fake.place_map = {"serial:SER123": [make_place()]}
    fake.script("Pixel", created=2, errors=[ItemProblem("Ada Lovelace", "card is too large")])
    fake.script(
        "Backup",
        conflicts=[
            make_conflict("c1", "Backup"),
            make_conflict("c2", "Backup", item="Alan Turing"),
        ],
    )
    fake.sync(["Pixel"])
    fake.sync(["Backup"])
    phone = "mtp:SER123/Internal/Contacts"
    for n, (label, reason, current) in enumerate(
        [
            ("Ada Lovelace", "overwritten", "Moved to London"),
            ("Alan Turing", "deleted", None),
            ("Grace Hopper", "overwritten", "Navy"),
        ],
        start=1,
    ):
        entry, detail = make_kept(
            n,
            label,
            "Pixel",
            store=phone,
            reason=reason,
            at=1_765_000_000.0 - n * 3600,
            current=current,
        )
        fake.kept_versions.append(entry)
        fake.kept_details[n] = detail
    fake.history_size = 2_400_000  # bytes on disk, as a real history of a few months
    pixel_session = fake.sessions("Pixel")[0]
    fake.undo_plans[pixel_session.id] = UndoPlan(
        pixel_session,
        (
            UndoStep(
                phone, "Contacts", b"1", "Ada Lovelace", WriteKind.UPDATED, UndoAction.PUT_BACK
            ),
            UndoStep(phone, "Contacts", b"2", "Alan Turing", WriteKind.CREATED, UndoAction.REMOVE),
            UndoStep(
                phone, "Contacts", b"3", "Grace Hopper", WriteKind.DELETED, UndoAction.PUT_BACK
            ),
            UndoStep(
                phone,
                "Contacts",
                b"4",
                "Katherine Johnson",
                WriteKind.UPDATED,
                UndoAction.PUT_BACK,
                changed_since=True,
            ),
            UndoStep(
                phone,
                "Contacts",
                b"5",
                "Edsger Dijkstra",
                WriteKind.UPDATED,
                UndoAction.PUT_BACK,
                blocked="the version it replaced is no longer kept in the history",
            ),
        ),
    )
    ctl = AppController(fake)
    lightness: dict[str, float] = {}
    try:
        qtbot.waitUntil(lambda: ctl.pending_work() == 0, timeout=5000)
        for theme, palette in palettes:
            qapp.setPalette(palette)
            window = MainWindow(ctl, True)
            qtbot.addWidget(window)
            window.resize(1280, 720)
            lightness[theme] = save(qtbot, window, out / f"main-window-{theme}.png")
            window.tabs.setCurrentIndex(2)
            save(qtbot, window, out / f"main-window-devices-{theme}.png")
            window.show_history(None)
            history = window.history
            qtbot.waitUntil(lambda h=history: h.tree.topLevelItemCount() == 3, timeout=5000)
            history.tree.setCurrentItem(history.tree.topLevelItem(0))
            qtbot.waitUntil(lambda h=history: h.pages.currentIndex() == 1, timeout=5000)
            save(qtbot, window, out / f"main-window-history-{theme}.png")
            window.tabs.setCurrentWidget(window.accounts)
            save(qtbot, window, out / f"main-window-accounts-{theme}.png")
            window.tabs.setCurrentWidget(window.activity)
            activity = window.activity
            rows = [activity.tree.topLevelItem(i) for i in range(activity.tree.topLevelItemCount())]
            pixel_row = next(r for r in rows if r is not None and r.text(1) == "Pixel")
            activity.tree.setCurrentItem(pixel_row)
            assert activity.undo_button.isEnabled()
            save(qtbot, window, out / f"main-window-activity-{theme}.png")
            undo = UndoDialog(ctl, pixel_session, window)
            qtbot.addWidget(undo)
            undo.show()
            qtbot.waitUntil(lambda u=undo: u.outcome is not None, timeout=5000)
            save(qtbot, undo, out / f"undo-dialog-{theme}.png")
            undo.close()
            window.tabs.setCurrentIndex(2)
            fake.gate = threading.Event()
            ctl.sync(["Pixel"])
            bar = window.partnerships._actions["Pixel"].progress
            qtbot.waitUntil(bar.isVisible, timeout=5000)
            save(qtbot, window, out / f"main-window-syncing-{theme}.png")
            fake.gate.set()
            qtbot.waitUntil(lambda: ctl.pending_work() == 0, timeout=5000)
            fake.gate = None

            dialog = ConflictDialog(ctl, None, window)
            qtbot.addWidget(dialog)
            dialog.show()
            qtbot.waitUntil(lambda d=dialog: d.pages.currentIndex() == 1, timeout=5000)
            dialog.merge.click()
            lightness[f"dialog-{theme}"] = save(qtbot, dialog, out / f"conflict-dialog-{theme}.png")

            guard = GuardDialog(
                ctl,
                "Pixel",
                "mtp:SER123/Internal/Contacts",
                [f"Contact {n}" for n in range(12)],
                window,
            )
            qtbot.addWidget(guard)
            save(qtbot, guard, out / f"guard-dialog-{theme}.png")

            edit = EditPartnershipDialog(ctl, "Pixel", window)
            qtbot.addWidget(edit)
            save(qtbot, edit, out / f"edit-dialog-{theme}.png")
            edit.close()
            password = PasswordDialog(ctl, account, refused, window)
            qtbot.addWidget(password)
            save(qtbot, password, out / f"password-dialog-{theme}.png")
            password.close()

            wizard = PartnershipWizard(ctl, window)
            qtbot.addWidget(wizard)
            wizard.show()
            wizard.page_a.folder_edit.setText("/home/me/Contacts")
            wizard.next()
            qtbot.waitUntil(lambda w=wizard: w.page_b.places.topLevelItemCount() == 1, timeout=5000)
            save(qtbot, wizard, out / f"wizard-phone-{theme}.png")
            online = wizard.page_b.online
            wizard.page_b.online_radio.setChecked(True)
            online.sign_in()  # the account "nextcloud", chosen first
            qtbot.waitUntil(lambda o=online: o.books.topLevelItemCount() == 2, timeout=5000)
            assert online.chosen_account() == "nextcloud", online.status.text()
            save(qtbot, wizard, out / f"wizard-online-{theme}.png")
            wizard.page_b.phone_radio.setChecked(True)
            wizard.next()
            save(qtbot, wizard, out / f"wizard-settings-{theme}.png")
            assert wizard.currentId() == 2
            wizard.button(QWizard.WizardButton.CancelButton).click()
            dialog.close()
            window.close()
        empty_ctl = AppController(FakeDesktop([], root=tmp_path / "first-run"))
        try:
            qapp.setPalette(palettes[0][1])
            empty = MainWindow(empty_ctl, True)
            qtbot.addWidget(empty)
            empty.resize(1100, 650)
            save(qtbot, empty, out / "main-window-first-run.png")
        finally:
            empty_ctl.shutdown()
    finally:
        ctl.shutdown()
    assert {p.name for p in out.glob("*.png")} == SCREENSHOTS
    assert all((out / name).stat().st_size > 0 for name in SCREENSHOTS)
    # the windows follow the palette: nothing paints a light background into a dark theme
    assert lightness["light"] > 0.7 and lightness["dialog-light"] > 0.7, lightness
    assert lightness["dark"] < 0.3 and lightness["dialog-dark"] < 0.3, lightness
