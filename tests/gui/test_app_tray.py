"""Started at login before the desktop's tray is up: the app waits for the tray, goes there
when it appears (closing the window then keeps the app running), and shows its window if no
tray comes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from syncgui.gui import app as app_module
from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.gui.tray import TrayIcon


@pytest.fixture
def running(qapp: QApplication, controller: AppController) -> Iterator[Any]:
    window = MainWindow(controller, has_tray=False)
    qapp.setQuitOnLastWindowClosed(True)
    parts = app_module._Running(qapp, window, controller)
    yield parts
    if parts.tray is not None:
        parts.tray.hide()
    for timer in parts.keep:
        timer.stop()
    window.close()
    qapp.setQuitOnLastWindowClosed(True)


def test_a_tray_that_appears_late_gets_the_app(
    qtbot: QtBot, running: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([False, False, True])
    monkeypatch.setattr(
        QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: next(answers, True))
    )
    timer = app_module._wait_for_tray(running, seconds=30, interval_ms=20)
    qtbot.waitUntil(lambda: not timer.isActive(), timeout=3000)
    assert isinstance(running.tray, TrayIcon)
    assert running.window.has_tray and not running.window.isVisible()
    assert "No system tray" not in running.window.statusBar().currentMessage()
    assert not running.app.quitOnLastWindowClosed()  # closing the window keeps it running
    with qtbot.waitSignal(running.tray.show_requested):
        running.tray.open_action.trigger()
    assert running.window.isVisible()  # the tray's "Open" reaches the window


def test_no_tray_after_the_wait_shows_the_window(
    qtbot: QtBot, running: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    timer = app_module._wait_for_tray(running, seconds=0, interval_ms=20)
    assert not running.window.isVisible()  # not before the wait is over
    qtbot.waitUntil(running.window.isVisible, timeout=3000)
    assert not timer.isActive() and running.tray is None
    assert running.app.quitOnLastWindowClosed()
