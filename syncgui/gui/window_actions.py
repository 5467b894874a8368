"""What the main window's actions do beyond a call to the controller: the dialogs they open
(the partnership wizard, or in the demo the question to leave it; conflicts; editing, the
schedule and removing a partnership; the guide, the shortcuts, the About box), the dialogs
the controller asks for (the safety guard's stop, an account's password), "Start at login",
and quitting (asking first while work is left) and closing (hiding to the tray).

Each dialog is kept under a key until it is destroyed, so a second request raises the
open one instead of making another. The window keeps the slots (its menus, its toolbar and
the app call them) and hands their work to :class:`WindowActions`.

The texts are translated in the context "MainWindow", as where they were written before
(see :mod:`.window_state`). Like the window, this module imports only Qt and the frame's
parts at the top: the dialogs, which load the service and the sync engine, are imported
where they are used (the window's frame shows before the service loads, see :mod:`.app`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import SIGNAL, QCoreApplication, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox, QWidget

from syncgui.gui.demo_banner import LeaveDemoQuestion
from syncgui.gui.window_state import WindowBase

STATUS_TIMEOUT_MS = 8000
translate = QCoreApplication.translate


class WindowActions(QObject):
    """The window's dialogs and its quit, over ``window`` (a child of it: signals connected
    to these methods end with the window)."""

    def __init__(self, window: WindowBase) -> None:
        super().__init__(window)
        self.window = window
        self._dialogs: dict[str, QWidget] = {}
        self._quitting = False
        self._told_hidden = False
        self._user_close = False

    # -- dialogs ----------------------------------------------------------------------
    def new_partnership(self) -> None:
        """The wizard; in the demo, first the question to leave it (a partnership of the
        user's own is made in their own profile)."""
        w = self.window
        if w.is_demo:
            box = LeaveDemoQuestion(w)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.confirmed.connect(lambda: w.leave_demo_requested.emit(True))
            self._keep_dialog("leave-demo", box)
            box.open()
            return
        from syncgui.gui.wizard import PartnershipWizard  # loaded when first needed

        wizard = PartnershipWizard(w.controller, w)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.partnership_added.connect(w.select_when_listed)
        wizard.partnership_dropped.connect(self._on_partnership_dropped)
        self._dialogs["wizard"] = wizard
        wizard.open()

    def _on_partnership_dropped(self, name: str) -> None:
        self.window.select_when_listed("")
        self.window.statusBar().showMessage(
            translate(
                "MainWindow", "The partnership “%1” was not kept: the wizard was cancelled."
            ).replace("%1", name),
            STATUS_TIMEOUT_MS,
        )

    def open_conflicts(self, name: str | None = None) -> None:
        from syncgui.gui.conflict_dialog import ConflictDialog

        key = f"conflicts:{name or ''}"
        dialog = self._dialogs.get(key)
        if dialog is not None and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return
        dialog = ConflictDialog(self.window.controller, name, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._keep_dialog(key, dialog)
        dialog.show()

    def edit_schedule(self) -> None:
        w = self.window
        name = w.partnerships.selected()
        row = w.controller.row(name) if name else None
        if row is None or name is None:
            return
        from syncgui.gui.schedule_dialog import ScheduleDialog

        dialog = ScheduleDialog(name, row.schedule, w)
        self._dialogs["schedule"] = dialog

        def save() -> None:
            schedule = dialog.schedule()
            w.controller.call(
                lambda s: s.set_schedule(name, schedule),
                lambda _r: w.controller.refresh(),
                partial(self._show_failure, name, translate("MainWindow", "schedule")),
            )

        dialog.accepted.connect(save)
        dialog.open()

    def edit_selected(self) -> None:
        """Edit the selected partnership (name, direction, policy, schedule)."""
        w = self.window
        name = w.partnerships.selected()
        if not name:
            return
        from syncgui.gui.edit_dialog import EditPartnershipDialog  # loaded when first needed

        dialog = EditPartnershipDialog(w.controller, name, w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(w.select_when_listed)  # renamed: still selected
        self._keep_dialog("edit", dialog)
        dialog.open()

    def remove_selected(self) -> None:
        w = self.window
        name = w.partnerships.selected()
        if not name:
            return
        from syncgui.gui.questions import RemoveQuestion

        box = RemoveQuestion(name, w)
        box.confirmed.connect(
            lambda: w.controller.call(
                lambda s: s.remove_partnership(name),
                lambda _r: w.controller.refresh(),
                partial(self._show_failure, name, translate("MainWindow", "removing it")),
                resources=w.controller.resources(name),  # after a sync that runs
            )
        )
        self._dialogs["remove"] = box
        box.open()

    def on_guard_blocked(
        self, name: str, store: str, items: list[str], emptied: str = "", held: int = 0
    ) -> None:
        """The safety guard stopped a sync of ``name``: its dialog, one per partnership."""
        from syncgui.gui.guard_dialog import Emptied, GuardDialog

        why = Emptied(emptied, held) if emptied else None
        old = self._dialogs.get(f"guard:{name}")
        if isinstance(old, GuardDialog) and old.isVisible():
            old.show_blocked(store, items, why)  # the newer session's list, in the same dialog
            old.raise_()
            return
        dialog = GuardDialog(self.window.controller, name, store, items, self.window, emptied=why)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._keep_dialog(f"guard:{name}", dialog)
        dialog.open()

    def ask_password(self, name: str, message: str = "") -> None:
        """Ask for the password of account ``name`` (one dialog per account)."""
        from syncgui.gui.password_dialog import PasswordDialog

        old = self._dialogs.get(f"password:{name}")
        if old is not None and old.isVisible():
            old.raise_()
            old.activateWindow()
            return
        controller = self.window.controller
        account = next((a for a in controller.accounts() if a.name == name), None)
        if account is None:
            return
        said = message or controller.password_wanted(name) or ""
        dialog = PasswordDialog(controller, account, said, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._keep_dialog(f"password:{name}", dialog)
        dialog.open()

    def show_guide(self) -> None:
        from syncgui.gui.help import GuideWindow

        self._show_once("guide", lambda: GuideWindow(self.window))

    def show_shortcuts(self) -> None:
        from syncgui.gui.help import ShortcutsWindow

        self._show_once("shortcuts", lambda: ShortcutsWindow(self.window, self.window))

    def show_about(self) -> None:
        from syncgui import __version__

        QMessageBox.about(
            self.window,
            translate("MainWindow", "About syncgui"),
            translate(
                "MainWindow",
                "<h3>syncgui %1</h3>"
                "<p>syncgui keeps your contacts in step between phones, vCard folders, "
                ".vcf files and online address books.</p>"
                "<p>Free software under the GNU General Public License, version 3 or later.</p>",
            ).replace("%1", __version__),
        )

    def _keep_dialog(self, key: str, dialog: QWidget) -> None:
        """Remember ``dialog`` under ``key`` until it is destroyed (not a newer one)."""
        self._dialogs[key] = dialog

        def forget(_obj: object = None) -> None:
            if self._dialogs.get(key) is dialog:
                del self._dialogs[key]

        dialog.destroyed.connect(forget)

    def _show_once(self, key: str, make: Callable[[], QWidget]) -> None:
        """Show the window kept under ``key`` (raised when it is open already): one each."""
        window = self._dialogs.get(key)
        if window is None:
            window = make()
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self._keep_dialog(key, window)
        window.show()
        window.raise_()
        window.activateWindow()

    def _show_failure(self, partnership: str, item: str, message: str) -> None:
        """A failed action of this window: said in the status bar where the user looks,
        and kept in the Problems list with the rest."""
        self.window.statusBar().showMessage(message, 3 * STATUS_TIMEOUT_MS)
        self.window.controller.report_problem(partnership, item, message)

    # -- Start at login ---------------------------------------------------------------
    def read_autostart(self) -> None:
        """Tick "Start at login" when the autostart entry exists."""
        self.window.controller.call(
            lambda s: s.autostart_enabled(), self._on_autostart_read, lambda _m: None
        )

    def _on_autostart_read(self, enabled: object) -> None:
        action = self.window.autostart_action
        action.blockSignals(True)
        action.setChecked(bool(enabled))
        action.blockSignals(False)

    def set_autostart(self, enabled: bool) -> None:
        """Write or remove the autostart entry (the "Start at login" action)."""
        command = list(self.window.autostart_command)

        def failed(message: str) -> None:
            self._on_autostart_read(not enabled)
            self._show_failure("", translate("MainWindow", "Start at login"), message)

        def done(_r: object) -> None:
            text = (
                translate("MainWindow", "syncgui will start when you log in.")
                if enabled
                else translate("MainWindow", "syncgui will no longer start when you log in.")
            )
            self.window.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

        self.window.controller.call(lambda s: s.set_autostart(enabled, command), done, failed)

    # -- quitting and closing ---------------------------------------------------------
    def quit(self) -> None:
        """Quit the app (asking first if a sync runs or other work waits)."""
        if self._work_left() and not self._quitting:
            self._ask_quit()
            return
        self._quitting = True
        self.window.close()
        self._emit_quit()

    def _emit_quit(self) -> None:
        self.window.quit_requested.emit()
        if not self.window.receivers(SIGNAL("quit_requested()")):  # nobody else quits the app
            QTimer.singleShot(0, self._app_quit)

    @staticmethod
    def _app_quit() -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.quit()

    def _work_left(self) -> bool:
        """A sync runs, or work waits (resolves, a partnership being added) that a quit
        would drop."""
        w = self.window
        if not w.has_views:  # still starting: nothing runs yet
            return False
        return bool(w.busy_names()) or w.controller.pending_work() > 0

    def _ask_quit(self) -> None:
        from syncgui.gui.questions import QuitQuestion

        w = self.window
        box = QuitQuestion(len(w.busy_names()), w.controller.pending_work(), w)
        box.confirmed.connect(self._on_quit_confirmed)
        self._dialogs["quit"] = box
        box.open()

    def _on_quit_confirmed(self) -> None:
        self._quitting = True
        self.quit()

    def close_by_user(self) -> None:
        """Close as the window's close button does (the Close action)."""
        self._user_close = True
        try:
            self.window.close()
        finally:
            self._user_close = False

    def close_event(self, event: QCloseEvent) -> None:
        """The user's close hides the window when a tray keeps the app (saying so once),
        and quits otherwise (asking if a sync runs). Any other close (the app quitting,
        from the tray or at logout) is accepted: it must never stop the quit."""
        w = self.window
        by_user = event.spontaneous() or self._user_close
        if self._quitting or not by_user:
            event.accept()
            return
        if w.has_tray:
            event.accept()  # only hides: the app does not quit on its last window
            if not self._told_hidden:
                self._told_hidden = True
                message = translate(
                    "MainWindow",
                    "syncgui keeps syncing in the background. "
                    "Use Quit in the tray menu to stop it.",
                )
                w.statusBar().showMessage(message, STATUS_TIMEOUT_MS)
                if w.has_views:
                    w.controller.notify.emit(
                        translate("MainWindow", "Still syncing"), message, "info"
                    )
            return
        if self._work_left():
            event.ignore()
            self._ask_quit()
            return
        self._quitting = True
        event.accept()
        self._emit_quit()
