"""The tray icon: the app's state at a glance, a menu, and notifications.

The icon follows the controller's overall state (idle, syncing with a turning badge,
conflicts, error; grey when paused); the tooltip sums it up. The menu only asks the
controller (sync all, pause, resume) or the app (open the window, quit) for things.

Use :func:`create_tray`: it makes the icon only where a tray exists, and only after the
QApplication (asking Qt about the tray before that crashes)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from syncgui.gui.icons import SYNC_FRAMES, state_icon
from syncgui.gui.state import Activity, Overall

if TYPE_CHECKING:
    from syncgui.gui.controller import AppController

__all__ = ["TrayIcon", "create_tray", "tray_available"]

log = logging.getLogger(__name__)

FRAME_MS = 150  # the syncing badge turns one step this often
MESSAGE_MS = 10_000


def tray_available() -> bool:
    """Whether the desktop shows tray icons (call only once the QApplication exists)."""
    return QSystemTrayIcon.isSystemTrayAvailable()


def create_tray(controller: AppController, parent: QObject | None = None) -> TrayIcon | None:
    """A shown tray icon, or None where the desktop has no tray."""
    if not tray_available():
        log.info("no system tray: the window stays the way to reach the app")
        return None
    tray = TrayIcon(controller, parent)
    tray.show()
    return tray


class TrayIcon(QSystemTrayIcon):
    """The tray icon over ``controller``. The app connects ``show_requested`` (show and
    raise the window), ``conflicts_requested`` (open the conflict dialog) and
    ``quit_requested``."""

    show_requested = Signal()
    conflicts_requested = Signal()
    quit_requested = Signal()

    def __init__(self, controller: AppController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._frame = 0
        self._last_kind = "info"
        self._animation = QTimer(self)
        self._animation.setInterval(FRAME_MS)
        self._animation.timeout.connect(self._on_frame)
        self._menu = self._build_menu()
        self.setContextMenu(self._menu)
        controller.overall_changed.connect(self._on_state_changed)
        controller.paused_changed.connect(self._on_state_changed)
        controller.partnerships_changed.connect(self._update_tooltip)
        controller.problems_changed.connect(self._update_tooltip)
        controller.notify.connect(self._on_notify)
        self.activated.connect(self._on_activated)
        self.messageClicked.connect(self._on_message_clicked)
        self._on_state_changed()

    # -- menu --------------------------------------------------------------------------------
    def _build_menu(self) -> QMenu:
        menu = QMenu()
        self.sync_action = self._action(menu, self.tr("Sync all now"), self._on_sync_all)
        menu.addSeparator()
        self.pause_action = self._action(menu, self.tr("Pause for 1 hour"), self._on_pause_hour)
        self.pause_forever_action = self._action(
            menu, self.tr("Pause until resumed"), self._on_pause_forever
        )
        self.resume_action = self._action(menu, self.tr("Resume"), self.controller.resume)
        menu.addSeparator()
        self.open_action = self._action(menu, self.tr("Open syncgui"), self.show_requested.emit)
        self.quit_action = self._action(menu, self.tr("Quit"), self.quit_requested.emit)
        return menu

    def _action(self, menu: QMenu, text: str, slot: object) -> QAction:
        action = QAction(text, menu)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def menu(self) -> QMenu:
        return self._menu

    @Slot()
    def _on_sync_all(self) -> None:
        self.controller.sync(trigger="manual")

    @Slot()
    def _on_pause_hour(self) -> None:
        self.controller.pause(3600)

    @Slot()
    def _on_pause_forever(self) -> None:
        self.controller.pause(None)

    # -- state -------------------------------------------------------------------------------
    @Slot()
    def _on_state_changed(self, *_args: object) -> None:
        paused = self.controller.is_paused()
        self.pause_action.setVisible(not paused)
        self.pause_forever_action.setVisible(not paused)
        self.resume_action.setVisible(paused)
        syncing = self.controller.overall() is Overall.SYNCING and not paused
        if syncing and not self._animation.isActive():
            self._animation.start()
        elif not syncing:
            self._animation.stop()
            self._frame = 0
        self._show_icon()
        self._update_tooltip()

    def _show_icon(self) -> None:
        self.setIcon(
            state_icon(self.controller.overall(), self.controller.is_paused(), self._frame)
        )

    @Slot()
    def _on_frame(self) -> None:
        self._frame = (self._frame + 1) % SYNC_FRAMES
        self._show_icon()

    @Slot()
    def _update_tooltip(self) -> None:
        self.setToolTip(self.summary())

    def summary(self) -> str:
        """The tooltip: the state in a few words, and whether automatic syncs are paused
        (and in the demo, that it is the demo)."""
        from syncgui.gui import wording  # (the app asks tray_available before the service loads)

        ctl = self.controller
        lines = [self.tr("syncgui (demo)") if ctl.service.is_demo else "syncgui"]
        busy = [r for r in ctl.rows() if r.activity is not Activity.IDLE]
        if busy:
            lines.append(
                wording.plural(
                    len(busy), self.tr("Syncing 1 partnership"), self.tr("Syncing {n} partnerships")
                )
            )
        problems = len(ctl.problems())
        if ctl.overall() is Overall.ERROR:
            lines.append(
                wording.plural(
                    max(problems, 1),
                    self.tr("1 problem: open syncgui to see it"),
                    self.tr("{n} problems: open syncgui to see them"),
                )
            )
        if ctl.conflict_total():
            lines.append(
                wording.plural(
                    ctl.conflict_total(),
                    self.tr("1 conflict to resolve"),
                    self.tr("{n} conflicts to resolve"),
                )
            )
        if len(lines) == 1:
            lines.append(self.tr("Up to date"))
        if ctl.is_paused():
            until = ctl.paused_until()
            if until is None:
                lines.append(self.tr("Automatic syncs paused"))
            else:
                at = time.strftime("%H:%M", time.localtime(until))
                lines.append(self.tr("Automatic syncs paused until %1").replace("%1", at))
        return "\n".join(lines)

    # -- notifications and clicks -----------------------------------------------------------------
    @Slot(str, str, str)
    def _on_notify(self, title: str, message: str, kind: str) -> None:
        self._last_kind = kind
        if not self.supportsMessages():
            return
        icon = {
            "error": QSystemTrayIcon.MessageIcon.Critical,
            "conflict": QSystemTrayIcon.MessageIcon.Warning,
        }.get(kind, QSystemTrayIcon.MessageIcon.Information)
        self.showMessage(title, message, icon, MESSAGE_MS)

    @Slot()
    def _on_message_clicked(self) -> None:
        if self._last_kind == "conflict":
            self.conflicts_requested.emit()
        else:
            self.show_requested.emit()

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()
