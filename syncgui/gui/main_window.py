"""The main window, built and kept up to date: partnerships on top; activity, problems and
devices below; menus, toolbar and shortcuts for every action (:mod:`.window_state`); the
state line and which actions are on. In the demo profile a banner says so.

What its actions do beyond a call to the controller — the dialogs they open, "Start at
login", quitting, and closing (which keeps syncing when a tray icon exists) — is in
:mod:`.window_actions`; the window keeps the slots its menus and the app call.

The app shows the window before the service loads (:mod:`.app`): made without a controller
it is its frame only (title, size, menus and toolbar with every action off, "Starting…"),
and :meth:`MainWindow.attach` builds the views once the controller exists. So this module
imports only Qt and the frame's parts at the top; the views, dialogs and wording, which
load the service and the sync engine, are imported where they are used."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui.demo_banner import DemoBanner
from syncgui.gui.empty_state import EmptyState
from syncgui.gui.window_actions import STATUS_TIMEOUT_MS, WindowActions
from syncgui.gui.window_state import (
    WindowBase,
    build_actions,
    build_menus,
    default_size,
    restore_frame,
    restore_views,
    save_window,
)

if TYPE_CHECKING:
    from syncgui.gui.controller import AppController


class MainWindow(WindowBase):
    """``demo_requested``: the user asked for the demo profile (the app restarts on it);
    ``leave_demo_requested(new_partnership)``: the user left the demo (the app restarts on
    their own profile, opening the New partnership wizard there when True);
    ``quit_requested``: the user asked to quit (the app shuts the controller down).
    ``autostart_command`` is what "Start at login" writes: the app's own command line,
    with the folders it was started with (default: the plain background start).

    With ``controller`` None the window is its frame until :meth:`attach`; ``demo`` and
    ``config_dir`` then say whose profile it shows (else the controller's service does)."""

    demo_requested = Signal()
    leave_demo_requested = Signal(bool)
    quit_requested = Signal()

    def __init__(
        self,
        controller: AppController | None,
        has_tray: bool,
        parent: QWidget | None = None,
        *,
        autostart_command: Sequence[str] | None = None,
        demo: bool = False,
        config_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        if controller is not None:
            demo, config_dir = controller.service.is_demo, controller.service.paths.config_dir
        if config_dir is None:
            raise ValueError("a window without a controller needs the profile's config_dir")
        self.is_demo = demo
        self.config_dir = config_dir
        self.has_tray = has_tray
        self.has_views = False
        self.autostart_command = list(
            autostart_command or [sys.executable, "-m", "syncgui", "--background"]
        )
        self._select_next = ""
        self._held: list[tuple[QAction, bool]] = []
        self.setObjectName("mainWindow")
        self.act = WindowActions(self)  # its dialogs, Start at login and quitting
        build_actions(self)
        self._demo_autostart()
        build_menus(self)
        self._build_status()
        self._update_title()
        default_size(self)
        restore_frame(self)
        if controller is None:
            self._hold_actions()
            self.setCentralWidget(self._starting_label())
        else:
            self.attach(controller)

    def attach(self, controller: AppController) -> None:
        """Build the views over ``controller`` and bring the window to life (once)."""
        if self.has_views:
            raise RuntimeError("the window has its controller already")
        self.controller = controller
        self._build_views()
        self.has_views = True
        central = self.centralWidget()
        if central is not None and self.isVisible():  # shown now, not on a later turn
            central.show()
        self._connect()
        restore_views(self)
        self._release_actions()
        self._on_partnerships_changed()
        self._on_paused_changed(controller.is_paused())
        self._on_overall_changed(controller.overall().value)
        self._on_problem_count(len(controller.problems()))
        self.act.read_autostart()

    def _starting_label(self) -> QLabel:
        label = QLabel(self.tr("Starting…"), self)
        label.setObjectName("startingLabel")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setEnabled(False)  # greyed: nothing to act on yet
        return label

    def _hold_actions(self) -> None:
        """Until the views exist every action is off (their slots need the controller):
        the window's, the menus' and the toolbar's."""
        self._held = [(a, a.isEnabled()) for a in self.findChildren(QAction)]
        for action, _enabled in self._held:
            action.setEnabled(False)

    def _release_actions(self) -> None:
        for action, enabled in self._held:
            action.setEnabled(enabled)
        self._held = []

    # -- building ---------------------------------------------------------------------
    def _connect(self) -> None:
        c = self.controller
        c.partnerships_changed.connect(self._on_partnerships_changed)
        c.progress_changed.connect(self._on_progress_changed)
        c.paused_changed.connect(self._on_paused_changed)
        c.overall_changed.connect(self._on_overall_changed)
        c.guard_blocked.connect(self.act.on_guard_blocked)
        c.sign_in_needed.connect(self.act.ask_password)
        self.accounts.password_requested.connect(self.act.ask_password)
        c.conflicts_changed.connect(self._update_actions)
        self.partnerships.conflicts_requested.connect(self.open_conflicts)
        self.partnerships.history_requested.connect(self.show_history)
        self.partnerships.selection_changed.connect(self._update_actions)
        self.problems.count_changed.connect(self._on_problem_count)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        """A tab's key (its mnemonic) also puts the focus in the tab, once it is shown."""
        if watched is self.tabs.tabBar() and event.type() == QEvent.Type.Shortcut:
            QTimer.singleShot(0, self._focus_current_tab)
        return super().eventFilter(watched, event)

    def _focus_current_tab(self) -> None:
        page = self.tabs.currentWidget()
        if page is not None:
            page.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _build_views(self) -> None:
        from syncgui.gui.accounts_view import AccountsView
        from syncgui.gui.activity_view import ActivityView, ProblemsView
        from syncgui.gui.devices_view import DevicesView
        from syncgui.gui.history_view import HistoryView
        from syncgui.gui.partnerships_view import PartnershipsView

        self.partnerships = PartnershipsView(self.controller, self)
        self.partnerships.addAction(self.remove_action)  # Delete, while the list has the focus
        self.empty = EmptyState(self)
        self.empty.demo_clicked.connect(self.demo_requested)
        self.empty.new_clicked.connect(self.new_partnership)
        self.top = QStackedWidget(self)
        self.top.addWidget(self.empty)
        self.top.addWidget(self.partnerships)
        self.activity = ActivityView(self.controller, self)
        self.problems = ProblemsView(self.controller, self)
        self.devices = DevicesView(self.controller, self)
        self.accounts = AccountsView(self.controller, self)
        self.history = HistoryView(self.controller, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(self.activity, self.tr("&Activity"))
        self.tabs.addTab(self.problems, self.tr("P&roblems"))
        self.tabs.addTab(self.devices, self.tr("&Devices"))
        self.tabs.addTab(self.accounts, self.tr("A&ccounts"))
        self.tabs.addTab(self.history, self.tr("His&tory"))
        # a tab chosen with its key (Alt+A...) takes the keyboard focus into its list, as a
        # click into it would: a keyboard user can then select a row and act on it
        self.tabs.tabBar().installEventFilter(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.top)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.banner: DemoBanner | None = None
        if not self.is_demo:
            self.setCentralWidget(self.splitter)
            return
        self.banner = DemoBanner(self)  # the demo is visibly a demo
        self.banner.leave_clicked.connect(lambda: self.leave_demo_requested.emit(False))
        self.empty.demo_button.hide()  # (the demo with its partnership removed)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _demo_autostart(self) -> None:
        if self.is_demo:  # the demo's folders are no one's contacts
            self.autostart_action.setEnabled(False)
            self.autostart_action.setToolTip(
                self.tr("Start at login is for your own partnerships, not for the demo.")
            )

    def _build_status(self) -> None:
        self.state_label = QLabel(self)
        self.state_label.setObjectName("stateLabel")
        self.statusBar().addPermanentWidget(self.state_label)
        if not self.has_tray:  # GNOME and others may have none: say how the app behaves
            self.statusBar().showMessage(self._no_tray_text())

    def _no_tray_text(self) -> str:
        return self.tr(
            "No system tray here: automatic syncs run while this window is open "
            "(minimise it to keep them going); closing it quits syncgui."
        )

    # -- state ------------------------------------------------------------------------
    def busy_names(self) -> list[str]:
        """The listed partnerships with a run under way (not cancelled)."""
        return [n for n in self.partnerships.names() if self.controller.is_busy(n)]

    def _update_actions(self) -> None:
        selected = self.partnerships.selected()
        busy = self.busy_names()
        has_rows = bool(self.partnerships.names())
        self.sync_all_action.setEnabled(has_rows)
        self.cancel_all_action.setEnabled(bool(busy))
        self.sync_action.setEnabled(selected is not None and selected not in busy)
        self.cancel_action.setEnabled(selected is not None and selected in busy)
        self.schedule_action.setEnabled(selected is not None)
        self.edit_action.setEnabled(selected is not None)
        self.remove_action.setEnabled(selected is not None and selected not in busy)
        self.conflicts_action.setEnabled(self.controller.conflict_total() > 0)
        self._update_title()

    def _update_title(self) -> None:
        """ "syncgui (demo) — 1 conflict": the conflicts badge on the taskbar, too."""
        title = self.tr("syncgui (demo)") if self.is_demo else self.tr("syncgui")
        count = self.controller.conflict_total() if self.has_views else 0
        if count:
            from syncgui.gui import wording

            title += " — " + wording.plural(
                count, self.tr("{n} conflict"), self.tr("{n} conflicts")
            )
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
        from syncgui.gui import wording

        texts = {
            "idle": self.tr("Idle"),
            "syncing": self.tr("Syncing…"),
            "conflicts": wording.plural(
                self.controller.conflict_total(),
                self.tr("{n} conflict to resolve"),
                self.tr("{n} conflicts to resolve"),
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
        from syncgui.gui import wording

        return self.tr("automatic syncs paused until %1").replace("%1", wording.clock(until))

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

    def reload(self) -> None:
        """Read the configuration and what the syncs left again (View ▸ Reload)."""
        self.controller.refresh()

    def show_history(self, name: str | None = None) -> None:
        """The History tab, listing what the syncs of ``name`` kept (None: of all)."""
        self.tabs.setCurrentWidget(self.history)
        self.history.show_partnership(name)

    def try_demo(self) -> None:
        self.demo_requested.emit()

    def select_when_listed(self, name: str) -> None:
        """Select ``name`` (added, or renamed) once the controller lists it ("": none)."""
        self._select_next = name
        if name:
            self._on_partnerships_changed()

    # -- the actions' dialogs, Start at login and quitting: see window_actions ---------
    def new_partnership(self) -> None:
        self.act.new_partnership()

    def open_conflicts(self, name: str | None = None) -> None:
        self.act.open_conflicts(name)

    def edit_schedule(self) -> None:
        self.act.edit_schedule()

    def edit_selected(self) -> None:
        self.act.edit_selected()

    def remove_selected(self) -> None:
        self.act.remove_selected()

    def show_guide(self) -> None:
        self.act.show_guide()

    def show_shortcuts(self) -> None:
        self.act.show_shortcuts()

    def show_about(self) -> None:
        self.act.show_about()

    def set_autostart(self, enabled: bool) -> None:
        self.act.set_autostart(enabled)

    def quit(self) -> None:
        self.act.quit()

    def close_by_user(self) -> None:
        self.act.close_by_user()

    # -- closing ----------------------------------------------------------------------
    def set_has_tray(self, has_tray: bool) -> None:
        """A tray appeared after start-up (at login): closing the window hides it now."""
        self.has_tray = has_tray
        if has_tray and self.statusBar().currentMessage() == self._no_tray_text():
            self.statusBar().clearMessage()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Save the window's state; whether it hides, quits or asks first is
        :meth:`.WindowActions.close_event`'s."""
        save_window(self)
        self.act.close_event(event)
