"""Help, offline: Help → Guide shows docs/guide.md (found in a checkout and where an
installed package puts it), Help → Keyboard shortcuts lists the keys the window's actions
really have, and Partnership → Edit… opens the edit dialog for the selected partnership."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from syncgui.gui import resources
from syncgui.gui.controller import AppController
from syncgui.gui.help import GuideWindow, ShortcutsWindow, shortcuts
from syncgui.gui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def make_window(qtbot: QtBot, ctl: AppController) -> MainWindow:
    window = MainWindow(ctl, has_tray=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: ctl.pending_work() == 0, timeout=5000)
    return window


def menu(window: MainWindow, title: str) -> QMenu:
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == title and isinstance(top.menu(), QMenu):
            found = top.menu()
            assert isinstance(found, QMenu)
            return found
    raise AssertionError(f"no menu {title}")


def texts(m: QMenu) -> list[str]:
    return [a.text().replace("&", "") for a in m.actions() if not a.isSeparator()]


def test_help_guide_shows_the_guide_from_docs(qtbot: QtBot, controller: AppController) -> None:
    window = make_window(qtbot, controller)
    assert texts(menu(window, "Help"))[:3] == ["Guide", "Keyboard shortcuts", "Try the demo"]
    assert window.guide_action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    window.guide_action.trigger()
    guide = window.findChild(GuideWindow)
    assert guide is not None and guide.isVisible()
    shown = guide.browser.toPlainText()
    assert shown.startswith("syncgui guide")  # rendered: no "#" left
    source = (ROOT / "docs" / "guide.md").read_text("utf-8")
    for heading in re.findall(r"^## (.+)$", source, re.MULTILINE):
        assert heading in shown
    window.guide_action.trigger()  # again: the same window, raised
    assert window.findChildren(GuideWindow) == [guide]


def test_the_guide_covers_what_a_new_user_needs() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text("utf-8")
    for topic in (
        "## First run",
        "## The demo",
        "Leave the demo",
        "A phone",
        "A folder of vCards",
        "A .vcf file",
        "An online address book (CardDAV)",
        "Accounts",
        "asks for it again",
        "## Conflicts",
        "## The tray",
        "## Schedules",
        "## The guard against mass deletion",
        "syncgui-cli history",
        "syncgui-cli restore",
        "## Where files are kept",
        "Help → Keyboard shortcuts",
    ):
        assert topic in guide, topic


def test_every_key_the_guide_names_is_a_real_shortcut(
    qtbot: QtBot, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    real = {k for s in shortcuts(window) for k in s.keys}
    guide = (ROOT / "docs" / "guide.md").read_text("utf-8")
    named = re.findall(r"\*\*((?:Ctrl\+|Alt\+|Shift\+)*(?:F\d+|Esc|[A-Z/?]))\*\*", guide)
    assert {"F1", "F5", "Ctrl+N", "Ctrl+K", "Esc"} <= set(named)
    native = QKeySequence.SequenceFormat.NativeText
    for key in named:
        assert QKeySequence(key).toString(native) in real, key


def test_the_installed_guide_is_found_and_a_missing_one_said(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    data = project["tool"]["setuptools"]["data-files"]
    assert data["share/doc/syncgui"] == ["docs/guide.md"]  # installed with the package
    installed = tmp_path / "prefix" / "share" / "doc" / "syncgui" / "guide.md"
    installed.parent.mkdir(parents=True)
    installed.write_text("# Installed guide\n", "utf-8")
    monkeypatch.setattr(resources, "_ROOT", tmp_path / "no-checkout")
    monkeypatch.setattr(resources, "_prefixes", lambda: [tmp_path / "prefix"])
    assert resources.guide_path() == installed
    installed.unlink()
    with pytest.raises(FileNotFoundError):
        resources.guide_path()
    window = GuideWindow()
    qtbot.addWidget(window)
    assert "The guide is missing" in window.browser.toPlainText()


def test_keyboard_shortcuts_are_read_from_the_actions(
    qtbot: QtBot, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    found = {s.action: s for s in shortcuts(window)}
    native = QKeySequence.SequenceFormat.NativeText
    assert found["Sync all"].keys == ("F5", "Ctrl+R")
    assert found["Sync all"].menu == "Sync"
    assert found["Cancel all"].keys == ("Esc",)
    assert found["New partnership"].keys == (QKeySequence("Ctrl+N").toString(native),)
    assert found["Edit"].menu == "Partnership"
    assert found["Remove"].where == "in the partnerships list"
    assert found["Guide"].keys == (QKeySequence("F1").toString(native),)
    assert "Show activity" in found
    window.sync_all_action.setShortcuts([QKeySequence("Ctrl+Shift+Y")])  # not a kept list
    assert {s.action: s for s in shortcuts(window)}["Sync all"].keys == ("Ctrl+Shift+Y",)

    window.shortcuts_action.trigger()
    dialog = window.findChild(ShortcutsWindow)
    assert dialog is not None and dialog.isVisible()
    rows = [
        (dialog.tree.topLevelItem(i).text(0), dialog.tree.topLevelItem(i).text(1))
        for i in range(dialog.tree.topLevelItemCount())
    ]
    assert ("Sync all", "Ctrl+Shift+Y") in rows
    assert ("Remove (in the partnerships list)", QKeySequence("Del").toString(native)) in rows
    assert rows[0][0] == "File"  # by menu, in the menus' order


def test_edit_opens_the_edit_dialog_for_the_selected_partnership(
    qtbot: QtBot, controller: AppController, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[Any, str, Any]] = []

    class Dialog(QWidget):  # stands in for syncgui.gui.edit_dialog's
        saved = Signal(str)

        def __init__(self, ctl: AppController, name: str, parent: QWidget) -> None:
            super().__init__(parent)
            opened.append((ctl, name, parent))

        def open(self) -> None:
            self.show()

    fake_module = types.ModuleType("syncgui.gui.edit_dialog")
    fake_module.EditPartnershipDialog = Dialog  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "syncgui.gui.edit_dialog", fake_module)
    window = make_window(qtbot, controller)
    assert "Edit…" in texts(menu(window, "Partnership"))
    window.partnerships.tree.clearSelection()
    assert not window.edit_action.isEnabled()
    window.partnerships.select("phone")
    assert window.edit_action.isEnabled()
    window.edit_action.trigger()
    assert opened == [(controller, "phone", window)]
    dialog = window.findChild(Dialog)
    assert dialog is not None and dialog.isVisible()


def test_edit_opens_the_real_edit_dialog(qtbot: QtBot, controller: AppController) -> None:
    from syncgui.gui.edit_dialog import EditPartnershipDialog

    window = make_window(qtbot, controller)
    window.partnerships.select("phone")
    window.edit_action.trigger()
    dialog = window.findChild(EditPartnershipDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.name == "phone"
