"""The tray icon: its menu drives the controller, its icon and tooltip follow the state,
notifications show, and no icon is made where the desktop has no tray."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from syncgui.engine import ItemProblem
from syncgui.gui.controller import AppController
from syncgui.gui.tray import TrayIcon, create_tray
from tests.gui.fake_service import FakeDesktop, make_conflict
from tests.gui.support import settle


@pytest.fixture
def tray(controller: AppController) -> Iterator[TrayIcon]:
    icon = TrayIcon(controller)
    yield icon
    icon.hide()
    icon.deleteLater()


def texts(tray: TrayIcon) -> list[str]:
    return [a.text() for a in tray.menu().actions() if a.isVisible() and not a.isSeparator()]


def test_menu_has_the_actions_and_they_drive_the_controller(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController, tray: TrayIcon
) -> None:
    assert texts(tray) == [
        "Sync all now",
        "Pause for 1 hour",
        "Pause until resumed",
        "Open syncgui",
        "Quit",
    ]
    tray.sync_action.trigger()
    settle(qtbot, controller)
    assert fake.triggers == [("phone", "manual")]
    tray.pause_action.trigger()
    assert controller.is_paused() and controller.paused_until() is not None
    assert "Resume" in texts(tray) and "Pause for 1 hour" not in texts(tray)
    assert "paused until" in tray.toolTip()
    tray.resume_action.trigger()
    assert not controller.is_paused()
    tray.pause_forever_action.trigger()
    assert controller.is_paused() and controller.paused_until() is None
    with qtbot.waitSignal(tray.show_requested):
        tray.open_action.trigger()
    with qtbot.waitSignal(tray.quit_requested):
        tray.quit_action.trigger()
    with qtbot.waitSignal(tray.show_requested):
        tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)


def test_icon_and_tooltip_follow_the_state(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController, tray: TrayIcon
) -> None:
    settle(qtbot, controller)
    idle = tray.icon().cacheKey()
    assert "Up to date" in tray.toolTip()

    fake.gate = threading.Event()
    controller.sync()
    qtbot.waitUntil(lambda: controller.overall().value == "syncing", timeout=3000)
    syncing = tray.icon().cacheKey()
    assert syncing != idle
    assert "Syncing 1 partnership" in tray.toolTip()
    qtbot.waitUntil(lambda: tray.icon().cacheKey() != syncing, timeout=2000)  # it turns
    fake.gate.set()
    settle(qtbot, controller)
    assert tray.icon().cacheKey() == idle

    fake.script("phone", conflicts=[make_conflict("c1")])
    controller.sync()
    settle(qtbot, controller)
    conflicts = tray.icon().cacheKey()
    assert conflicts not in (idle, syncing)
    assert "1 conflict" in tray.toolTip()

    fake.script("phone", errors=[ItemProblem("Ada", "refused")])
    controller.sync()
    settle(qtbot, controller)
    error = tray.icon().cacheKey()
    assert error not in (idle, conflicts)
    assert "problem" in tray.toolTip()

    controller.pause(None)
    assert tray.icon().cacheKey() not in (idle, conflicts, error)


def test_notifications_and_clicking_them(
    qtbot: QtBot, controller: AppController, tray: TrayIcon, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(tray, "supportsMessages", lambda: True)
    monkeypatch.setattr(tray, "showMessage", lambda title, text, *a: shown.append((title, text)))
    controller.notify.emit("Conflicts", "1 new conflict in phone to resolve.", "conflict")
    assert shown == [("Conflicts", "1 new conflict in phone to resolve.")]
    with qtbot.waitSignal(tray.conflicts_requested):
        tray.messageClicked.emit()
    controller.notify.emit("Sync problems", "Ada: refused", "error")
    with qtbot.waitSignal(tray.show_requested):
        tray.messageClicked.emit()


def test_no_tray_no_icon(controller: AppController, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    assert create_tray(controller) is None
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    tray = create_tray(controller)
    assert isinstance(tray, TrayIcon)
    tray.hide()


@pytest.mark.parametrize("background", [False, True])
def test_the_app_without_a_tray_shows_its_window_and_quits_cleanly(
    tmp_path: Path, background: bool
) -> None:
    """The real app, offscreen (no tray there): the window shows; with ``--background``
    (at login) the app waits for a tray to appear instead (then shows the window, since
    nothing else would reach the app; tests/gui/test_app_tray.py). SIGTERM quits it with
    the job thread and monitor stopped."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "syncgui", "--demo"]
    command += ["--background"] if background else []
    command += ["--config-dir", str(tmp_path / "config"), "--data-dir", str(tmp_path / "data")]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "data" / "logs" / "syncgui.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "app: device monitor started" not in _text(log):
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    text = _text(log)
    assert proc.returncode == 0, err
    if background:
        assert "no tray yet: waiting up to 30 s" in text, (text, err)
        assert "window shown" not in text
    else:
        assert "window shown" in text, (text, err)
    assert "quitting" in text and "device monitor stopped" in text
    assert "Traceback" not in err


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
