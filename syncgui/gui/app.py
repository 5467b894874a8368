"""Starting and stopping the desktop app: ``syncgui`` (and ``python -m syncgui``).

Start-up shows the window as soon as it can: only Qt's widgets and the window's frame (its
title, size, menus and toolbar) are loaded before it shows. The service, the controller and
the views (which load the sync engine) follow from the event loop, then the tray, auto-sync
and the device monitor. Quitting cancels what runs and stops the job thread and the device
monitor before the process ends.

One app per profile (:mod:`.single`): a second start for the same data folder asks the
running app to show its window and ends. Started at login (``--background``) before the
desktop's tray is up, the app waits for the tray up to :data:`TRAY_WAIT_S` seconds before
it shows its window instead.

The demo is a profile of its own (``--demo``, or ``--demo-if-unconfigured`` as
``scripts/run`` starts the app): "Try the demo" reopens the app there, and "Leave the demo"
(or New partnership in the demo) reopens it on the user's own profile, with the New
partnership wizard open when that is what the user asked for (``--new-partnership``)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from logging import FileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncgui import APP_ID, __version__

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from syncgui.gui.autosync import AutoSync
    from syncgui.gui.controller import AppController
    from syncgui.gui.main_window import MainWindow
    from syncgui.gui.tray import TrayIcon
    from syncgui.service import Paths

__all__ = ["autostart_command", "launcher", "main", "parse_args"]

log = logging.getLogger(__name__)

APP_NAME = "syncgui"
ORGANIZATION = "syncgui"
STARTUP_MS = 5_000  # the device monitor's first scan ends within this
TRAY_WAIT_S = 30  # at login, how long to wait for the tray before showing the window


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="syncgui", description="Keep contacts in step between phones and address books."
    )
    parser.add_argument("--demo", action="store_true", help="open the built-in demo profile")
    parser.add_argument(
        "--demo-if-unconfigured",
        action="store_true",
        help="open the demo profile when no partnership is configured yet",
    )
    parser.add_argument(
        "--new-partnership",
        action="store_true",
        help="open the New partnership wizard once the window shows",
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="start in the tray without showing the window (used at login)",
    )
    parser.add_argument("--config-dir", type=Path, help="settings folder (default: per user)")
    parser.add_argument("--data-dir", type=Path, help="state and history folder")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more to the terminal"
    )
    parser.add_argument("--version", action="version", version=f"syncgui {__version__}")
    return parser.parse_args(argv)


def autostart_command(args: argparse.Namespace | None = None) -> list[str]:
    """The absolute command that starts the app in the tray at login (with this run's
    folders, when given on the command line): :func:`launcher` and ``--background``."""
    return [*launcher(), "--background", *_folder_args(args)]


def launcher(path: str | None = None) -> list[str]:
    """The absolute command that starts this app, for an entry that outlives this run: the
    ``syncgui`` on the PATH (``path``; None: ``$PATH``) when it is this program, as found
    there (``/usr/bin/syncgui``, ``~/.local/bin/syncgui``: a link into the installation
    keeps working across upgrades); else this program itself (a frozen build's executable,
    a virtual environment's ``syncgui`` script, as ``scripts/run`` starts it); else
    ``python -m syncgui`` with this interpreter."""
    running = _running_program()
    if running is None:
        return [sys.executable, "-m", "syncgui"]
    found = shutil.which(APP_NAME, path=path)
    if found is not None and _same_file(found, running):
        return [os.path.abspath(found)]
    return [os.path.abspath(running)]


def _running_program() -> str | None:
    """The program file this app runs as: a frozen build's executable, or the ``syncgui``
    script Python runs (None for ``python -m syncgui``)."""
    if getattr(sys, "frozen", False):
        return sys.executable
    script = sys.argv[0] if sys.argv else ""
    if Path(script).stem == APP_NAME and os.path.isfile(script):
        return script
    return None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _folder_args(args: argparse.Namespace | None) -> list[str]:
    """This run's ``--config-dir`` and ``--data-dir``, absolute."""
    folders: list[str] = []
    if args is not None:
        if args.config_dir:
            folders += ["--config-dir", str(Path(args.config_dir).resolve())]
        if args.data_dir:
            folders += ["--data-dir", str(Path(args.data_dir).resolve())]
    return folders


def _profile(args: argparse.Namespace) -> tuple[Paths, bool]:
    """The folders to use, and whether they are the demo profile's (whose stores and
    partnership :func:`_start` makes, once the window shows)."""
    from syncgui.service import demo_paths, resolve_paths

    paths = resolve_paths(args.config_dir, args.data_dir)
    demo = bool(args.demo) or (args.demo_if_unconfigured and not _configured(paths))
    if demo:
        paths = demo_paths(paths)
        log.info("using the demo profile in %s", paths.data_dir)
    return paths, demo


def _configured(paths: Paths) -> bool:
    from syncgui.service import ConfigError, has_partnerships  # (not the whole service)

    try:
        return has_partnerships(paths)
    except ConfigError as err:  # an unreadable configuration is the window's to show
        log.warning("the partnerships cannot be read: %s", err.message)
        return True


def _make_app(argv: Sequence[str]) -> QApplication:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    # the job thread runs Python flat out during a session: hand the GIL to the GUI thread
    # after 1 ms instead of 5 (Python's default), so each event it handles waits less
    sys.setswitchinterval(0.001)
    app = QApplication([sys.argv[0] if sys.argv else "syncgui", *argv])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    # the desktop entry's name without ".desktop": Wayland's app id, which panels and task
    # switchers match to the menu entry (X11 matches its StartupWMClass to the app name)
    app.setDesktopFileName(APP_ID)
    from syncgui.gui.i18n import install_translations

    install_translations(app)
    return app


@dataclass
class _Running:
    """The app's parts, for shutting them down in order."""

    app: QApplication
    window: MainWindow
    controller: AppController | None = None  # once the service is loaded
    tray: TrayIcon | None = None
    autosync: AutoSync | None = None
    keep: list[Any] = field(default_factory=list)  # Qt objects Python must keep alive
    stopped: bool = False

    def shutdown(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        log.info("quitting")
        if self.autosync is not None:
            self.autosync.stop()
        if self.tray is not None:
            self.tray.hide()
        if self.controller is not None:
            self.controller.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the exit status."""
    started = time.perf_counter()
    args = parse_args(argv)
    from syncgui.service import resolve_paths, setup_logging

    setup_logging(resolve_paths(args.config_dir, args.data_dir).log_dir, args.verbose)
    try:
        paths, demo = _profile(args)
    except Exception:
        log.exception("preparing the profile failed")
        return 1
    app = _make_app([])
    from syncgui.gui.single import SingleInstance

    instance = SingleInstance(paths.data_dir)
    if not instance.acquire():
        asked = not args.background and instance.ask_to_show()
        log.info(
            "syncgui runs already for %s: %s",
            paths.data_dir,
            "asked it to show its window" if asked else "not starting a second one",
        )
        return 0
    instance.listen()
    running = _Running(app, _frame(app, paths, demo, autostart=autostart_command(args)))
    instance.show_requested.connect(lambda: _raise(running.window))
    app.aboutToQuit.connect(running.shutdown)
    _wire_profiles(running, args)
    _handle_signals(running)
    if not args.background:
        _show(running.window, started)
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, lambda: _start(running, paths, demo, args, started))
    try:
        return app.exec()
    finally:
        running.shutdown()
        instance.release()


def _start(
    running: _Running, paths: Paths, demo: bool, args: argparse.Namespace, started: float
) -> None:
    """Once the window shows: the demo's stores (in the demo profile), the service, the
    controller and the views; then the tray (or, at login, the wait for one), the wizard
    when asked for, auto-sync and the device monitor. If that fails the window says so and
    the app ends (a frame left saying "Starting…" would help no one)."""
    try:
        if demo:
            from syncgui.service import ensure_demo

            ensure_demo(paths)
        _attach(running, paths, demo)
    except Exception as err:
        log.exception("starting failed")
        _cannot_start(running, err)
        return
    log.info("window ready %.3f s after start", time.perf_counter() - started)
    _appear(running, args, started)
    _after_start(running)


def _cannot_start(running: _Running, err: Exception) -> None:
    from PySide6.QtWidgets import QMessageBox

    window = running.window
    text = window.tr("syncgui could not start: %1").replace("%1", str(err) or type(err).__name__)
    logs = [h.baseFilename for h in logging.getLogger().handlers if isinstance(h, FileHandler)]
    if logs:
        text += "\n\n" + window.tr("The details are in %1.").replace("%1", logs[0])
    QMessageBox.critical(window, window.tr("syncgui"), text)
    running.app.exit(1)


def _appear(running: _Running, args: argparse.Namespace, started: float) -> None:
    """The New partnership wizard when asked for (the window shows already), or the tray
    (``--background``: waiting for one at login)."""
    if not args.background:
        if args.new_partnership:
            running.window.new_partnership()
    elif running.tray is not None:
        log.info("started in the tray")
    else:  # at login the tray may not be up yet
        _wait_for_tray(running, started=started)


def _show(window: Any, started: float) -> None:
    window.show()
    log.info("window shown %.3f s after start", time.perf_counter() - started)


def _wait_for_tray(
    running: _Running,
    *,
    started: float = 0.0,
    seconds: int = TRAY_WAIT_S,
    interval_ms: int = 1000,
) -> QTimer:
    """Ask every ``interval_ms`` whether a tray exists now; when it does, the app goes
    there; after ``seconds`` without one, the window shows (nothing else reaches the app)."""
    from PySide6.QtCore import QTimer

    from syncgui.gui.tray import tray_available

    log.info("no tray yet: waiting up to %d s for one", seconds)
    timer = QTimer(running.app)
    timer.setInterval(interval_ms)
    deadline = time.monotonic() + seconds

    def poll() -> None:
        if tray_available() and _attach_tray(running):
            timer.stop()
            log.info("the tray is there now: started in the tray")
        elif time.monotonic() >= deadline:
            timer.stop()
            log.info("no tray after %d s: showing the window", seconds)
            _show(running.window, started)

    timer.timeout.connect(poll)
    timer.start()
    running.keep.append(timer)
    return timer


def _frame(
    app: QApplication, paths: Paths, demo: bool, autostart: Sequence[str] | None = None
) -> MainWindow:
    """The main window before the service loads: its frame, shown at once."""
    from syncgui.gui.icons import app_icon
    from syncgui.gui.main_window import MainWindow
    from syncgui.gui.tray import tray_available

    app.setWindowIcon(app_icon())
    has_tray = tray_available()
    app.setQuitOnLastWindowClosed(not has_tray)
    window = MainWindow(
        None, has_tray=has_tray, autostart_command=autostart, demo=demo, config_dir=paths.config_dir
    )
    window.quit_requested.connect(app.quit)
    return window


def _attach(running: _Running, paths: Paths, demo: bool) -> None:
    """The service and the controller, the window's views over them, and the tray."""
    from syncgui.gui.controller import AppController
    from syncgui.service import SyncService

    running.controller = AppController(SyncService(paths, demo=demo))
    running.window.attach(running.controller)
    gc.freeze()  # start-up's objects live as long as the app: no collection walks them
    if running.window.has_tray:
        _attach_tray(running)


def _attach_tray(running: _Running) -> bool:
    """Make the tray icon and wire it to the window; closing the window then keeps the app
    running there. False where no tray exists."""
    from syncgui.gui.tray import create_tray

    tray = create_tray(running.window.controller)
    if tray is None:
        return False
    window = running.window
    running.tray = tray
    running.app.setQuitOnLastWindowClosed(False)
    window.set_has_tray(True)  # closing the window hides it now
    tray.show_requested.connect(lambda: _raise(window))
    tray.conflicts_requested.connect(lambda: _open_conflicts(window))
    tray.quit_requested.connect(lambda: _quit_from_tray(window))
    return True


def _after_start(running: _Running) -> None:
    """Auto-sync and the device monitor start once the event loop runs (the window is up)."""
    from PySide6.QtCore import QTimer

    def start() -> None:
        from syncgui.gui.autosync import AutoSync

        # phones already connected when the app starts are not "connected now"
        controller = running.window.controller
        running.autosync = AutoSync(controller, running.app, startup_ms=STARTUP_MS)
        running.autosync.start()
        controller.call(
            lambda service: service.start_device_monitor(),
            lambda _r: log.info("device monitor started"),
            lambda message: log.warning("the device monitor did not start: %s", message),
        )

    QTimer.singleShot(0, start)


def _wire_profiles(running: _Running, args: argparse.Namespace) -> None:
    """The window's ways from one profile to the other: into the demo, and out of it."""
    app = running.app
    running.window.demo_requested.connect(lambda: _switch_to_demo(app, args))
    running.window.leave_demo_requested.connect(
        lambda new_partnership: _leave_demo(app, args, new_partnership=new_partnership)
    )


def _profile_command(args: argparse.Namespace, *extra: str) -> list[str]:
    """The arguments for :data:`sys.executable` that start the app in the window with this
    run's folders, plus ``extra`` (``-m syncgui`` first, unless that is a frozen build's
    executable, which is the app itself)."""
    module = [] if getattr(sys, "frozen", False) else ["-m", "syncgui"]
    return [*module, *_folder_args(args), *extra]


def _switch_to_demo(app: QApplication, args: argparse.Namespace) -> None:
    """ "Try the demo" on the first-run page: this window makes way for the demo profile's
    (a separate profile: the demo never mixes with the user's own partnerships)."""
    if _relaunch(app, _profile_command(args, "--demo")):
        log.info("opening the demo profile in a new window")


def _leave_demo(app: QApplication, args: argparse.Namespace, *, new_partnership: bool) -> None:
    """ "Leave the demo" (or New partnership in the demo): the demo makes way for the
    user's own profile (the same folders without ``--demo``; the demo stays as it is),
    with the New partnership wizard open there when ``new_partnership``."""
    command = _profile_command(args, *(["--new-partnership"] if new_partnership else []))
    if _relaunch(app, command):
        log.info("leaving the demo: opening your own profile in a new window")


def _relaunch(app: QApplication, command: list[str]) -> bool:
    """Start ``sys.executable COMMAND`` on its own and quit this app; False (and this app
    runs on) when it cannot be started."""
    from PySide6.QtCore import QProcess

    if QProcess.startDetached(sys.executable, command)[0]:
        app.quit()
        return True
    log.error("could not start %s %s", sys.executable, " ".join(command))
    return False


def _raise(window: Any) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def _open_conflicts(window: Any) -> None:
    _raise(window)
    window.open_conflicts()


def _quit_from_tray(window: Any) -> None:
    """Quit asks first when a sync runs: the question needs the window."""
    controller = window.controller
    if any(controller.is_busy(r.partnership.name) for r in controller.rows()):
        _raise(window)
    window.quit()


def _handle_signals(running: _Running) -> None:
    """Ctrl+C in a terminal and SIGTERM at logout quit cleanly. Python runs signal
    handlers only between bytecodes, so a timer wakes the interpreter now and then."""
    from PySide6.QtCore import QTimer

    def stop(_signum: int, _frame: object) -> None:
        log.info("signal received: quitting")
        running.app.quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, stop)
        except ValueError:  # not the main thread (embedded in a test)
            return
    timer = QTimer(running.app)
    timer.timeout.connect(lambda: None)
    timer.start(500)
    running.keep.append(timer)
