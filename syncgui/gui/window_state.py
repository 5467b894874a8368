"""The main window's actions, menus and toolbar, and its saved state (geometry, splitter,
tab, headers) in ``window.ini`` in the profile's config folder, so each profile (the
demo's, one per ``--config-dir``) keeps its own.

The texts are translated in the context "MainWindow" (the window's own ``tr``), spelled
out for pyside6-lupdate, which would file ``w.tr(...)`` under "w".

:class:`WindowBase` declares what they are built on (the views, and the slots the actions
call), so that this module does not import the main window that uses it; nor the views
or the controller, which the app loads after the window shows (see :mod:`.app`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHeaderView,
    QMainWindow,
    QMenu,
    QSplitter,
    QStyle,
    QTabWidget,
    QToolBar,
)

if TYPE_CHECKING:
    from syncgui.gui.accounts_view import AccountsView
    from syncgui.gui.activity_view import ActivityView, ProblemsView
    from syncgui.gui.controller import AppController
    from syncgui.gui.devices_view import DevicesView
    from syncgui.gui.history_view import HistoryView
    from syncgui.gui.partnerships_view import PartnershipsView

log = logging.getLogger(__name__)

SP = QStyle.StandardPixmap
KEY = QKeySequence
SETTINGS_FILE = "window.ini"
translate = QCoreApplication.translate


class WindowBase(QMainWindow):
    """The main window as its actions, menus, dialogs and saved state see it: the views it
    shows, the actions :func:`build_actions` gives it, and the slots those actions call
    (defined by :class:`~syncgui.gui.main_window.MainWindow`; :mod:`.window_actions` uses
    the rest)."""

    leave_demo_requested: Signal
    quit_requested: Signal
    controller: AppController
    is_demo: bool  # the demo profile's window
    config_dir: Path  # the profile's settings folder (window.ini)
    has_views: bool  # the views are built (the window is attached to its controller)
    has_tray: bool  # a tray icon keeps the app when the window closes
    autostart_command: list[str]  # what "Start at login" writes
    partnerships: PartnershipsView
    activity: ActivityView
    problems: ProblemsView
    devices: DevicesView
    accounts: AccountsView
    history: HistoryView
    tabs: QTabWidget
    splitter: QSplitter
    # built by build_actions
    new_action: QAction
    sync_all_action: QAction
    cancel_all_action: QAction
    sync_action: QAction
    cancel_action: QAction
    conflicts_action: QAction
    schedule_action: QAction
    remove_action: QAction
    pause_action: QAction
    autostart_action: QAction
    close_action: QAction
    quit_action: QAction
    refresh_action: QAction
    about_action: QAction
    edit_action: QAction
    guide_action: QAction
    shortcuts_action: QAction
    try_demo_action: QAction
    history_action: QAction
    tab_actions: list[QAction]

    # the slots the actions call
    def sync_all(self) -> None:
        raise NotImplementedError

    def cancel_all(self) -> None:
        raise NotImplementedError

    def toggle_pause(self) -> None:
        raise NotImplementedError

    def new_partnership(self) -> None:
        raise NotImplementedError

    def sync_selected(self) -> None:
        raise NotImplementedError

    def cancel_selected(self) -> None:
        raise NotImplementedError

    def open_conflicts(self, name: str | None = None) -> None:
        raise NotImplementedError

    def edit_schedule(self) -> None:
        raise NotImplementedError

    def remove_selected(self) -> None:
        raise NotImplementedError

    def set_autostart(self, enabled: bool) -> None:
        raise NotImplementedError

    def close_by_user(self) -> None:
        raise NotImplementedError

    def quit(self) -> None:
        raise NotImplementedError

    def show_about(self) -> None:
        raise NotImplementedError

    def edit_selected(self) -> None:
        raise NotImplementedError

    def show_guide(self) -> None:
        raise NotImplementedError

    def show_shortcuts(self) -> None:
        raise NotImplementedError

    def try_demo(self) -> None:
        raise NotImplementedError

    def show_history(self, name: str | None = None) -> None:
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    # what the dialogs ask of the window
    def busy_names(self) -> list[str]:
        raise NotImplementedError

    def select_when_listed(self, name: str) -> None:
        raise NotImplementedError


def _action(
    w: WindowBase, text: str, slot: Any, keys: list[QKeySequence] | None = None, icon: Any = None
) -> QAction:
    """An action of the window (its shortcuts work wherever the focus is in it)."""
    action = QAction(text, w)
    if keys:
        action.setShortcuts(keys)
    if icon is not None:
        action.setIcon(w.style().standardIcon(icon))
    action.triggered.connect(slot)
    w.addAction(action)
    return action


def build_actions(w: WindowBase) -> None:
    """Every action of the window, each with its shortcut (the menus list them)."""
    _sync_actions(w)
    _partnership_actions(w)
    _app_actions(w)
    _view_actions(w)


def _sync_actions(w: WindowBase) -> None:
    w.sync_all_action = _action(
        w,
        translate("MainWindow", "S&ync all"),
        w.sync_all,
        [KEY("F5"), KEY("Ctrl+R")],
        SP.SP_BrowserReload,
    )
    w.cancel_all_action = _action(
        w, translate("MainWindow", "&Cancel all"), w.cancel_all, [KEY("Esc")], SP.SP_BrowserStop
    )
    w.pause_action = _action(
        w,
        translate("MainWindow", "&Pause for 1 hour"),
        w.toggle_pause,
        [KEY("Ctrl+P")],
        SP.SP_MediaPause,
    )


def _partnership_actions(w: WindowBase) -> None:
    w.new_action = _action(
        w,
        translate("MainWindow", "&New partnership…"),
        w.new_partnership,
        [KEY(KEY.StandardKey.New)],
        SP.SP_FileDialogNewFolder,
    )
    w.sync_action = _action(
        w,
        translate("MainWindow", "&Sync now"),
        w.sync_selected,
        [KEY("Ctrl+Return")],
        SP.SP_MediaPlay,
    )
    w.cancel_action = _action(
        w, translate("MainWindow", "Cancel s&elected"), w.cancel_selected, [KEY("Ctrl+.")]
    )
    w.conflicts_action = _action(
        w,
        translate("MainWindow", "&Conflicts…"),
        lambda: w.open_conflicts(None),
        [KEY("Ctrl+K")],
        SP.SP_MessageBoxWarning,
    )
    w.edit_action = _action(
        w, translate("MainWindow", "&Edit…"), w.edit_selected, [KEY("Alt+Return")]
    )
    w.edit_action.setToolTip(
        translate("MainWindow", "Change the name, direction, conflict policy or schedule")
    )
    w.history_action = _action(
        w,
        translate("MainWindow", "Show &history"),
        lambda: w.show_history(w.partnerships.selected()),
    )
    w.history_action.setToolTip(
        translate("MainWindow", "The versions its syncs overwrote or deleted, to restore")
    )
    w.schedule_action = _action(
        w, translate("MainWindow", "Edit &schedule…"), w.edit_schedule, [KEY("Ctrl+E")]
    )
    w.remove_action = _action(
        w, translate("MainWindow", "&Remove…"), w.remove_selected, None, SP.SP_TrashIcon
    )
    # Delete removes only while the partnerships list has the focus (the window adds the
    # action to the list when it builds it)
    w.remove_action.setShortcut(KEY(KEY.StandardKey.Delete))
    w.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    w.removeAction(w.remove_action)


def _app_actions(w: WindowBase) -> None:
    w.autostart_action = QAction(translate("MainWindow", "Start at &login"), w)
    w.autostart_action.setCheckable(True)
    w.autostart_action.toggled.connect(w.set_autostart)
    w.close_action = _action(
        w, translate("MainWindow", "&Close window"), w.close_by_user, [KEY(KEY.StandardKey.Close)]
    )
    w.quit_action = _action(
        w, translate("MainWindow", "&Quit"), w.quit, [KEY(KEY.StandardKey.Quit)]
    )
    w.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    w.about_action = _action(w, translate("MainWindow", "&About syncgui"), w.show_about)
    w.guide_action = _action(
        w, translate("MainWindow", "&Guide"), w.show_guide, [KEY(KEY.StandardKey.HelpContents)]
    )
    w.shortcuts_action = _action(
        w,
        translate("MainWindow", "&Keyboard shortcuts"),
        w.show_shortcuts,
        [KEY("Ctrl+?"), KEY("Ctrl+/")],
    )
    w.try_demo_action = _action(w, translate("MainWindow", "Try the &demo"), w.try_demo)
    w.try_demo_action.setVisible(not w.is_demo)


def _view_actions(w: WindowBase) -> None:
    w.refresh_action = _action(
        w, translate("MainWindow", "Re&load"), w.reload, [KEY("Ctrl+Shift+R")]
    )
    texts = [
        translate("MainWindow", "Show &activity"),
        translate("MainWindow", "Show &problems"),
        translate("MainWindow", "Show &devices"),
        translate("MainWindow", "Show a&ccounts"),
        translate("MainWindow", "Show &history"),
    ]
    w.tab_actions = [
        _action(w, text, lambda _c=False, i=i: w.tabs.setCurrentIndex(i), [KEY(f"Alt+{i + 1}")])
        for i, text in enumerate(texts)
    ]


def _fill(menu: QMenu | QToolBar, actions: list[QAction | None]) -> None:
    for a in actions:
        if a is None:
            menu.addSeparator()
        else:
            menu.addAction(a)


def build_menus(w: WindowBase) -> None:
    """The menu bar and the toolbar over the window's actions."""
    bar = w.menuBar()
    file_menu = bar.addMenu(translate("MainWindow", "&File"))
    file_menu.setObjectName("fileMenu")
    file_menu.setToolTipsVisible(True)  # why "Start at login" is off in the demo
    _fill(file_menu, [w.new_action, None, w.autostart_action, None, w.close_action, w.quit_action])
    _fill(
        bar.addMenu(translate("MainWindow", "&Sync")),
        [w.sync_all_action, w.cancel_all_action, None, w.pause_action],
    )
    _fill(
        bar.addMenu(translate("MainWindow", "&Partnership")),
        [
            w.sync_action,
            w.cancel_action,
            None,
            w.conflicts_action,
            w.history_action,
            w.edit_action,
            w.schedule_action,
            None,
            w.remove_action,
        ],
    )
    _fill(bar.addMenu(translate("MainWindow", "&View")), [*w.tab_actions, None, w.refresh_action])
    _fill(
        bar.addMenu(translate("MainWindow", "&Help")),
        [w.guide_action, w.shortcuts_action, w.try_demo_action, None, w.about_action],
    )
    tools = QToolBar(translate("MainWindow", "Main toolbar"), w)
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


def _headers(w: WindowBase) -> dict[str, QHeaderView]:
    return {
        "partnerships": w.partnerships.tree.header(),
        "activity": w.activity.tree.header(),
        "problems": w.problems.tree.header(),
        "devices": w.devices.tree.header(),
        "accounts": w.accounts.tree.header(),
    }


def _settings(w: WindowBase) -> QSettings:
    path = w.config_dir / SETTINGS_FILE
    return QSettings(str(path), QSettings.Format.IniFormat)


def save_window(w: WindowBase) -> None:
    """Write the window's state to the profile's ``window.ini``, making the config folder
    if need be; a folder that cannot be written only loses the state (logged)."""
    folder = w.config_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        log.warning("the window's state is not saved: %s", err)
        return
    s = _settings(w)
    s.setValue("window/geometry", w.saveGeometry())
    s.setValue("window/state", w.saveState())
    if w.has_views:  # (closed while it was starting: the views' state stays as it was)
        s.setValue("window/splitter", w.splitter.saveState())
        s.setValue("window/tab", w.tabs.currentIndex())
        for key, header in _headers(w).items():
            s.setValue(f"headers/{key}", header.saveState())
    s.sync()
    if s.status() != QSettings.Status.NoError:
        log.warning("the window's state is not saved to %s: %s", s.fileName(), s.status().name)


def _bytes(s: QSettings, key: str) -> QByteArray | None:
    value = s.value(key)
    return value if isinstance(value, QByteArray) else None


def default_size(w: WindowBase) -> None:
    """Wide enough for a sync summary in the partnerships list, within 80 % of the screen
    (restore_frame then applies the size the user left it at)."""
    fm = w.fontMetrics()
    width, height = fm.averageCharWidth() * 220, fm.height() * 40
    screen = w.screen()
    if screen is not None:
        area = screen.availableGeometry()
        width = min(width, int(area.width() * 0.8))
        height = min(height, int(area.height() * 0.8))
    w.resize(width, height)


def restore_frame(w: WindowBase) -> None:
    """Apply the window's size, place and toolbar saved in the profile's ``window.ini``
    (none yet: the defaults stay; reading never creates the file or its folder)."""
    s = _settings(w)
    if (geometry := _bytes(s, "window/geometry")) is not None:
        w.restoreGeometry(geometry)
    if (state := _bytes(s, "window/state")) is not None:
        w.restoreState(state)


def restore_views(w: WindowBase) -> None:
    """Apply the views' saved state: the splitter, the current tab, the lists' columns."""
    s = _settings(w)
    if (splitter := _bytes(s, "window/splitter")) is not None:
        w.splitter.restoreState(splitter)
    tab = s.value("window/tab", 0)
    w.tabs.setCurrentIndex(int(tab) if isinstance(tab, int | str) and str(tab).isdigit() else 0)
    for key, header in _headers(w).items():
        if (h := _bytes(s, f"headers/{key}")) is not None:
            header.restoreState(h)
