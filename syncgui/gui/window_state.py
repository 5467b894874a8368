"""The main window's menus and toolbar, and its saved state (geometry, splitter, headers)
in QSettings("syncgui", "syncgui")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMenu, QToolBar

if TYPE_CHECKING:
    from syncgui.gui.main_window import MainWindow


def _fill(menu: QMenu | QToolBar, actions: list[QAction | None]) -> None:
    for a in actions:
        if a is None:
            menu.addSeparator()
        else:
            menu.addAction(a)


def build_menus(w: MainWindow) -> None:
    """The menu bar and the toolbar over the window's actions."""
    bar = w.menuBar()
    _fill(
        bar.addMenu(w.tr("&File")),
        [w.new_action, None, w.autostart_action, None, w.close_action, w.quit_action],
    )
    _fill(
        bar.addMenu(w.tr("&Sync")), [w.sync_all_action, w.cancel_all_action, None, w.pause_action]
    )
    _fill(
        bar.addMenu(w.tr("&Partnership")),
        [
            w.sync_action,
            w.cancel_action,
            None,
            w.conflicts_action,
            w.schedule_action,
            None,
            w.remove_action,
        ],
    )
    _fill(bar.addMenu(w.tr("&View")), [*w.tab_actions, None, w.refresh_action])
    _fill(bar.addMenu(w.tr("&Help")), [w.about_action])
    tools = QToolBar(w.tr("Main toolbar"), w)
    tools.setObjectName("mainToolbar")
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    _fill(
        tools,
        [
            w.new_action,
            None,
            w.sync_all_action,
            w.cancel_all_action,
            None,
            w.pause_action,
            w.conflicts_action,
        ],
    )
    w.addToolBar(tools)


def _headers(w: MainWindow) -> dict[str, QHeaderView]:
    return {
        "partnerships": w.partnerships.tree.header(),
        "activity": w.activity.tree.header(),
        "problems": w.problems.tree.header(),
        "devices": w.devices.tree.header(),
    }


def save_window(w: MainWindow) -> None:
    s = QSettings("syncgui", "syncgui")
    s.setValue("window/geometry", w.saveGeometry())
    s.setValue("window/state", w.saveState())
    s.setValue("window/splitter", w.splitter.saveState())
    s.setValue("window/tab", w.tabs.currentIndex())
    for key, header in _headers(w).items():
        s.setValue(f"headers/{key}", header.saveState())
    s.sync()


def _bytes(s: QSettings, key: str) -> QByteArray | None:
    value = s.value(key)
    return value if isinstance(value, QByteArray) else None


def default_size(w: MainWindow) -> None:
    """Wide enough for a sync summary in the partnerships list, within 80 % of the screen
    (restore_window then applies the size the user left it at)."""
    fm = w.fontMetrics()
    width, height = fm.averageCharWidth() * 220, fm.height() * 40
    screen = w.screen()
    if screen is not None:
        area = screen.availableGeometry()
        width = min(width, int(area.width() * 0.8))
        height = min(height, int(area.height() * 0.8))
    w.resize(width, height)


def restore_window(w: MainWindow) -> None:
    s = QSettings("syncgui", "syncgui")
    if (geometry := _bytes(s, "window/geometry")) is not None:
        w.restoreGeometry(geometry)
    if (state := _bytes(s, "window/state")) is not None:
        w.restoreState(state)
    if (splitter := _bytes(s, "window/splitter")) is not None:
        w.splitter.restoreState(splitter)
    tab = s.value("window/tab", 0)
    w.tabs.setCurrentIndex(int(tab) if isinstance(tab, int | str) and str(tab).isdigit() else 0)
    for key, header in _headers(w).items():
        if (h := _bytes(s, f"headers/{key}")) is not None:
            header.restoreState(h)
