"""Help, offline: the user guide (``docs/guide.md``, shipped with the app) in a window, and
the keyboard shortcuts, read from the main window's actions themselves (so the list is
never out of step with the keys that work)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui.partnerships_view import PartnershipsView
from syncgui.gui.resources import guide_path

__all__ = ["GuideWindow", "Shortcut", "ShortcutsWindow", "guide_text", "shortcuts"]

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


def guide_text() -> str:
    """The guide's Markdown; where this installation lacks it, a short note saying so."""
    try:
        return guide_path().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        log.warning("the guide cannot be read: %s", err)
        return (
            "# The guide is missing\n\n"
            f"This installation of syncgui has no user guide: {err}.\n\n"
            "The same text is online in the project's `docs/guide.md`."
        )


class GuideWindow(QDialog):
    """The user guide, rendered (links to web pages open in the browser)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideWindow")
        self.setWindowTitle(self.tr("syncgui guide"))
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("guide")
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(guide_text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        fm = self.fontMetrics()
        self.resize(fm.averageCharWidth() * 110, fm.height() * 44)


@dataclass(frozen=True, slots=True)
class Shortcut:
    """One action's keys: its menu, its text (no mnemonic marks) and each key sequence as
    the platform writes it; ``where`` says when a key works only in one part of the window."""

    menu: str
    action: str
    keys: tuple[str, ...]
    where: str = ""


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _keys(action: QAction) -> tuple[str, ...]:
    native = QKeySequence.SequenceFormat.NativeText
    return tuple(k.toString(native) for k in action.shortcuts() if not k.isEmpty())


def _menu_actions(menu: QMenu) -> list[QAction]:
    found: list[QAction] = []
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            found += _menu_actions(sub)
        elif not action.isSeparator():
            found.append(action)
    return found


def shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every action of ``window`` that has keys, in menu order (then the rest), each with
    the keys it really has."""
    seen: set[int] = set()
    found: list[Shortcut] = []

    def add(menu: str, action: QAction) -> None:
        if id(action) in seen or not (keys := _keys(action)):
            return
        seen.add(id(action))
        found.append(Shortcut(menu, _plain(action.text()), keys, _where(action)))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            for action in _menu_actions(menu):
                add(_plain(top.text()), action)
    for action in window.findChildren(QAction):
        if action.parent() is window:  # the window's own, not a dialog's
            add(translate("Shortcuts", "Window"), action)
    return found


def _where(action: QAction) -> str:
    """Where a key that does not work everywhere in the window works (Delete: only in the
    partnerships list, so that it never removes a partnership from another list)."""
    if action.shortcutContext() == Qt.ShortcutContext.WindowShortcut:
        return ""
    for widget in action.associatedObjects():
        if isinstance(widget, PartnershipsView):
            return translate("Shortcuts", "in the partnerships list")
    return translate("Shortcuts", "in the part of the window that has it")


class ShortcutsWindow(QDialog):
    """The keyboard shortcuts of ``window``, by menu."""

    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsWindow")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("shortcuts")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([self.tr("Action"), self.tr("Keys")])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self._fill(shortcuts(window))
        self._fill(
            [
                Shortcut(
                    self.tr("Everywhere"),
                    self.tr("Buttons, menus and tabs"),
                    (self.tr("Alt + the underlined letter"),),
                )
            ]
        )
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        fm = self.fontMetrics()
        self.resize(fm.averageCharWidth() * 70, fm.height() * 34)

    def _fill(self, found: list[Shortcut]) -> None:
        menu = None  # a heading row before each menu's keys
        for shortcut in found:
            if shortcut.menu != menu:
                menu = shortcut.menu
                heading = QTreeWidgetItem(self.tree, [menu])
                heading.setFirstColumnSpanned(True)
                font = heading.font(0)
                font.setBold(True)
                heading.setFont(0, font)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            text = f"{shortcut.action} ({shortcut.where})" if shortcut.where else shortcut.action
            QTreeWidgetItem(self.tree, [text, ", ".join(shortcut.keys)])
