"""The main window: partnerships on top; activity, problems and devices below; menus,
toolbar and shortcuts for every action. Closing it keeps syncing when a tray icon exists."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import SIGNAL, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QWidget,
)

from syncgui.gui import format as fmt
from syncgui.gui.activity_view import ActivityView, ProblemsView
from syncgui.gui.controller import AppController
from syncgui.gui.devices_view import DevicesView
from syncgui.gui.empty_state import EmptyState
from syncgui.gui.partnerships_view import PartnershipsView
from syncgui.gui.schedule_dialog import ScheduleDialog
from syncgui.gui.window_state import build_menus, default_size, restore_window, save_window

AUTOSTART_COMMAND = [sys.executable, "-m", "syncgui", "--background"]
STATUS_TIMEOUT_MS = 8000


class MainWindow(QMainWindow):
    """``demo_requested``: the user asked for the demo profile (the app restarts on it);
    ``quit_requested``: the user asked to quit (the app shuts the controller down)."""

    demo_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self, controller: AppController, has_tray: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.has_tray = has_tray
        self._quitting = False
        self._told_hidden = False
        self._user_close = False
        self._select_next = ""
        self._dialogs: dict[str, QWidget] = {}
        self.setObjectName("mainWindow")
        self._build_views()
        self._build_actions()
        build_menus(self)
        self._build_status()
        controller.partnerships_changed.connect(self._on_partnerships_changed)
        controller.progress_changed.connect(self._on_progress_changed)
        controller.paused_changed.connect(self._on_paused_changed)
        controller.overall_changed.connect(self._on_overall_changed)
        controller.guard_blocked.connect(self._on_guard_blocked)
        controller.conflicts_changed.connect(self._update_actions)
        self.partnerships.conflicts_requested.connect(self.open_conflicts)
        self.partnerships.selection_changed.connect(self._update_actions)
        self.problems.count_changed.connect(self._on_problem_count)
        self._update_title()
        default_size(self)
        restore_window(self)
        self._on_partnerships_changed()
        self._on_paused_changed(controller.is_paused())
        self._on_overall_changed(controller.overall().value)
        self._on_problem_count(len(controller.problems()))
        controller.call(lambda s: s.autostart_enabled(), self._on_autostart_read, lambda _m: None)

    # -- building ---------------------------------------------------------------------
    def _build_views(self) -> None:
        self.partnerships = PartnershipsView(self.controller, self)
        self.empty = EmptyState(self)
        self.empty.demo_clicked.connect(self.demo_requested)
        self.empty.new_clicked.connect(self.new_partnership)
        self.top = QStackedWidget(self)
        self.top.addWidget(self.empty)
        self.top.addWidget(self.partnerships)
        self.activity = ActivityView(self.controller, self)
        self.problems = ProblemsView(self.controller, self)
        self.devices = DevicesView(self.controller, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(self.activity, self.tr("&Activity"))
        self.tabs.addTab(self.problems, self.tr("P&roblems"))
        self.tabs.addTab(self.devices, self.tr("&Devices"))
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.top)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)

    def _action(
        self, text: str, slot: Any, keys: list[QKeySequence] | None = None, icon: Any = None
    ) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcuts(keys)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        key = QKeySequence
        self.new_action = self._action(
            self.tr("&New partnership…"),
            self.new_partnership,
            [key(key.StandardKey.New)],
            sp.SP_FileDialogNewFolder,
        )
        self.sync_all_action = self._action(
            self.tr("S&ync all"), self.sync_all, [key("F5"), key("Ctrl+R")], sp.SP_BrowserReload
        )
        self.cancel_all_action = self._action(
            self.tr("&Cancel all"), self.cancel_all, [key("Esc")], sp.SP_BrowserStop
        )
        self.sync_action = self._action(
            self.tr("&Sync now"), self.sync_selected, [key("Ctrl+Return")], sp.SP_MediaPlay
        )
        self.cancel_action = self._action(
            self.tr("Cancel s&elected"), self.cancel_selected, [key("Ctrl+.")]
        )
        self.conflicts_action = self._action(
            self.tr("&Conflicts…"),
            lambda: self.open_conflicts(None),
            [key("Ctrl+K")],
            sp.SP_MessageBoxWarning,
        )
        self.schedule_action = self._action(
            self.tr("Edit &schedule…"), self.edit_schedule, [key("Ctrl+E")]
        )
        self.remove_action = self._action(
            self.tr("&Remove…"), self.remove_selected, None, sp.SP_TrashIcon
        )
        # Delete removes only while the partnerships list has the focus
        self.remove_action.setShortcut(key(key.StandardKey.Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.removeAction(self.remove_action)
        self.partnerships.addAction(self.remove_action)
        self.pause_action = self._action(
            self.tr("&Pause for 1 hour"), self.toggle_pause, [key("Ctrl+P")], sp.SP_MediaPause
        )
        self.autostart_action = QAction(self.tr("Start at &login"), self)
        self.autostart_action.setCheckable(True)
        self.autostart_action.toggled.connect(self._on_autostart_toggled)
        self.close_action = self._action(
            self.tr("&Close window"), self.close_by_user, [key(key.StandardKey.Close)]
        )
        self.quit_action = self._action(self.tr("&Quit"), self.quit, [key(key.StandardKey.Quit)])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.refresh_action = self._action(
            self.tr("Re&load"), self.controller.refresh, [key("Ctrl+Shift+R")]
        )
        self.tab_actions = [
            self._action(
                text, lambda _c=False, i=i: self.tabs.setCurrentIndex(i), [key(f"Alt+{i + 1}")]
            )
            for i, text in enumerate(
                [self.tr("Show &activity"), self.tr("Show &problems"), self.tr("Show &devices")]
            )
        ]
        self.about_action = self._action(self.tr("&About syncgui"), self._show_about)

    def _build_status(self) -> None:
        self.state_label = QLabel(self)
        self.state_label.setObjectName("stateLabel")
        self.statusBar().addPermanentWidget(self.state_label)
        if not self.has_tray:  # GNOME and others may have none: say how the app behaves
            self.statusBar().showMessage(
                self.tr(
                    "No system tray here: automatic syncs run while this window is open "
                    "(minimise it to keep them going); closing it quits syncgui."
                )
            )

    # -- state ------------------------------------------------------------------------
    def _busy_names(self) -> list[str]:
        return [n for n in self.partnerships.names() if self.controller.is_busy(n)]

    def _update_actions(self) -> None:
        selected = self.partnerships.selected()
        busy = self._busy_names()
        has_rows = bool(self.partnerships.names())
        self.sync_all_action.setEnabled(has_rows)
        self.cancel_all_action.setEnabled(bool(busy))
        self.sync_action.setEnabled(selected is not None and selected not in busy)
        self.cancel_action.setEnabled(selected is not None and selected in busy)
        self.schedule_action.setEnabled(selected is not None)
        self.remove_action.setEnabled(selected is not None and selected not in busy)
        self.conflicts_action.setEnabled(self.controller.conflict_total() > 0)
        self._update_title()

    def _update_title(self) -> None:
        """ "syncgui (demo) — 1 conflict": the conflicts badge on the taskbar, too."""
        title = self.tr("syncgui (demo)") if self.controller.service.is_demo else self.tr("syncgui")
        count = self.controller.conflict_total()
        if count:
            title += " — " + fmt.plural(count, "{n} conflict", "{n} conflicts")
        self.setWindowTitle(title)

    def _on_partnerships_changed(self) -> None:
        has_rows = bool(self.controller.rows())
        self.top.setCurrentWidget(self.partnerships if has_rows else self.empty)
        self.empty.show_config_error(self.controller.config_error())
        if self._select_next in self.partnerships.names():  # a partnership just added
            self.partnerships.select(self._select_next)
            self._select_next = ""
        self._update_actions()

    def _on_progress_changed(self, *_args: object) -> None:
        self.cancel_all_action.setEnabled(True)

    def _on_paused_changed(self, paused: bool) -> None:
        if paused:
            self.pause_action.setText(self.tr("&Resume syncing"))
            self.pause_action.setToolTip(self._paused_text())
        else:
            self.pause_action.setText(self.tr("&Pause for 1 hour"))
            self.pause_action.setToolTip(self.tr("Start no automatic sync for one hour"))
        self._on_overall_changed(self.controller.overall().value)

    def _on_overall_changed(self, overall: str) -> None:
        texts = {
            "idle": self.tr("Idle"),
            "syncing": self.tr("Syncing…"),
            "conflicts": fmt.plural(
                self.controller.conflict_total(),
                "{n} conflict to resolve",
                "{n} conflicts to resolve",
            ),
            "error": self.tr("Problems: see the Problems tab"),
        }
        text = texts.get(overall, overall)
        if self.controller.is_paused():
            text = f"{text} · {self._paused_text()}"
        self.state_label.setText(text)
        self._update_actions()

    def _paused_text(self) -> str:
        until = self.controller.paused_until()
        if until is None:
            return self.tr("automatic syncs paused until you resume")
        return self.tr("automatic syncs paused until %1").replace("%1", fmt.clock(until))

    def _on_problem_count(self, count: int) -> None:
        index = self.tabs.indexOf(self.problems)
        label = (
            self.tr("P&roblems (%1)").replace("%1", str(count)) if count else self.tr("P&roblems")
        )
        self.tabs.setTabText(index, label)

    # -- actions ----------------------------------------------------------------------
    def sync_all(self) -> None:
        queued = self.controller.sync(None)
        if not queued and self.partnerships.names():
            self.statusBar().showMessage(
                self.tr("Everything is syncing already."), STATUS_TIMEOUT_MS
            )

    def cancel_all(self) -> None:
        self.controller.cancel(None)

    def sync_selected(self) -> None:
        name = self.partnerships.selected()
        if name:
            self.controller.sync([name])

    def cancel_selected(self) -> None:
        name = self.partnerships.selected()
        if name:
            self.controller.cancel(name)

    def toggle_pause(self) -> None:
        if self.controller.is_paused():
            self.controller.resume()
        else:
            self.controller.pause(3600)

    def new_partnership(self) -> None:
        from syncgui.gui.wizard import PartnershipWizard  # loaded when first needed

        wizard = PartnershipWizard(self.controller, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.partnership_added.connect(self._on_partnership_added)
        self._dialogs["wizard"] = wizard
        wizard.open()

    def _on_partnership_added(self, name: str) -> None:
        self._select_next = name  # selected once the controller lists it
        self._on_partnerships_changed()

    def open_conflicts(self, name: str | None = None) -> None:
        from syncgui.gui.conflict_dialog import ConflictDialog

        key = f"conflicts:{name or ''}"
        dialog = self._dialogs.get(key)
        if dialog is not None and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return
        dialog = ConflictDialog(self.controller, name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _o=None, k=key: self._dialogs.pop(k, None))
        self._dialogs[key] = dialog
        dialog.show()

    def edit_schedule(self) -> None:
        name = self.partnerships.selected()
        row = self.controller.row(name) if name else None
        if row is None or name is None:
            return
        dialog = ScheduleDialog(name, row.schedule, self)
        self._dialogs["schedule"] = dialog

        def save() -> None:
            schedule = dialog.schedule()
            self.controller.call(
                lambda s: s.set_schedule(name, schedule),
                lambda _r: self.controller.refresh(),
                self._show_failure,
            )

        dialog.accepted.connect(save)
        dialog.open()

    def remove_selected(self) -> None:
        name = self.partnerships.selected()
        if not name:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Remove partnership"),
            self.tr("Remove the partnership “%1”?").replace("%1", name),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("removeBox")
        box.setInformativeText(
            self.tr(
                "No contact is deleted: both stores keep what they hold now; they just "
                "stop being synced. Its unresolved conflicts are forgotten."
            )
        )
        remove = box.addButton(self.tr("&Remove"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))

        def done() -> None:
            if box.clickedButton() is remove:
                self.controller.call(
                    lambda s: s.remove_partnership(name),
                    lambda _r: self.controller.refresh(),
                    self._show_failure,
                )

        box.finished.connect(done)
        self._dialogs["remove"] = box
        box.open()

    def _on_guard_blocked(self, name: str, store: str, items: list[str]) -> None:
        from syncgui.gui.guard_dialog import GuardDialog

        old = self._dialogs.get(f"guard:{name}")
        if old is not None and old.isVisible():
            old.close()  # the newer session's list replaces it
        dialog = GuardDialog(self.controller, name, store, items, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs[f"guard:{name}"] = dialog
        dialog.open()

    def _on_autostart_read(self, enabled: object) -> None:
        self.autostart_action.blockSignals(True)
        self.autostart_action.setChecked(bool(enabled))
        self.autostart_action.blockSignals(False)

    def _on_autostart_toggled(self, enabled: bool) -> None:
        def failed(message: str) -> None:
            self._on_autostart_read(not enabled)
            self._show_failure(message)

        def done(_r: object) -> None:
            text = (
                self.tr("syncgui will start when you log in.")
                if enabled
                else self.tr("syncgui will no longer start when you log in.")
            )
            self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

        self.controller.call(lambda s: s.set_autostart(enabled, AUTOSTART_COMMAND), done, failed)

    def _show_failure(self, message: str) -> None:
        self.statusBar().showMessage(message, 3 * STATUS_TIMEOUT_MS)

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About syncgui"),
            self.tr(
                "syncgui keeps your contacts in step between phones, vCard folders and .vcf files."
            ),
        )

    # -- closing ----------------------------------------------------------------------
    def quit(self) -> None:
        """Quit the app (asking first if a sync runs)."""
        if self._busy_names() and not self._quitting:
            self._ask_quit()
            return
        self._quitting = True
        self.close()
        self._emit_quit()

    def _emit_quit(self) -> None:
        self.quit_requested.emit()
        if not self.receivers(SIGNAL("quit_requested()")):  # nobody else quits the app
            QTimer.singleShot(0, self._app_quit)

    @staticmethod
    def _app_quit() -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.quit()

    def _ask_quit(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Quit syncgui"),
            self.tr("A sync is running. Quit anyway?"),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("quitBox")
        box.setInformativeText(
            self.tr(
                "The running sync is cancelled; nothing is left "
                "half-written. It runs again next time."
            )
        )
        quit_button = box.addButton(self.tr("&Quit"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))

        def done() -> None:
            if box.clickedButton() is quit_button:
                self._quitting = True
                self.quit()

        box.finished.connect(done)
        self._dialogs["quit"] = box
        box.open()

    def close_by_user(self) -> None:
        """Close as the window's close button does (the Close action)."""
        self._user_close = True
        try:
            self.close()
        finally:
            self._user_close = False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """The user's close hides the window when a tray keeps the app (saying so once),
        and quits otherwise (asking if a sync runs). Any other close (the app quitting,
        from the tray or at logout) is accepted: it must never stop the quit."""
        save_window(self)
        by_user = event.spontaneous() or self._user_close
        if self._quitting or not by_user:
            event.accept()
            return
        if self.has_tray:
            event.accept()  # only hides: the app does not quit on its last window
            if not self._told_hidden:
                self._told_hidden = True
                message = self.tr(
                    "syncgui keeps syncing in the background. Use Quit in the tray menu to stop it."
                )
                self.statusBar().showMessage(message, STATUS_TIMEOUT_MS)
                self.controller.notify.emit(self.tr("Still syncing"), message, "info")
            return
        if self._busy_names():
            event.ignore()
            self._ask_quit()
            return
        self._quitting = True
        event.accept()
        self._emit_quit()
