"""The demo is visibly a demo: its window has a banner with "Leave the demo" that reads in
a light and a dark palette, its tray tooltip says "(demo)", and it offers neither "Try the
demo" nor a first-run "Try the demo" button; the user's own window has no banner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from syncgui.gui.controller import AppController
from syncgui.gui.demo_banner import DemoBanner, LeaveDemoQuestion
from syncgui.gui.main_window import MainWindow
from syncgui.gui.tray import TrayIcon
from tests.gui.fake_service import FakeDesktop
from tests.gui.test_screens import dark_palette


@pytest.fixture
def demo(qapp: Any, tmp_path: Path) -> Iterator[AppController]:
    ctl = AppController(FakeDesktop(is_demo=True, root=tmp_path))
    yield ctl
    ctl.shutdown()


def make_window(qtbot: QtBot, ctl: AppController) -> MainWindow:
    window = MainWindow(ctl, has_tray=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: ctl.pending_work() == 0, timeout=5000)
    return window


def _luminance(c: QColor) -> float:
    return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()


def test_the_demo_window_has_its_banner(qtbot: QtBot, demo: AppController) -> None:
    window = make_window(qtbot, demo)
    assert window.banner is not None and window.banner.isVisible()
    assert window.banner.text.text().startswith("<b>This is the demo:</b>")
    assert not window.try_demo_action.isVisible()  # in it already
    assert not window.empty.demo_button.isVisibleTo(window)
    with qtbot.waitSignal(window.leave_demo_requested) as leave:
        window.banner.leave_button.click()
    assert leave.args == [False]  # no wizard: just the user's own profile


def test_new_partnership_in_the_demo_asks_to_leave_it_once(
    qtbot: QtBot, demo: AppController
) -> None:
    window = make_window(qtbot, demo)
    window.new_action.trigger()
    box = window.findChild(LeaveDemoQuestion)
    assert box is not None and box.isVisible()
    assert "your own profile" in box.text()
    with qtbot.waitSignal(window.leave_demo_requested) as leave:
        box.leave_button().click()
    assert leave.args == [True]  # the wizard opens there


def test_the_users_own_window_has_no_banner(qtbot: QtBot, controller: AppController) -> None:
    window = make_window(qtbot, controller)
    assert window.banner is None and window.findChild(DemoBanner) is None
    assert window.try_demo_action.isVisible()


@pytest.mark.parametrize("dark", [False, True])
def test_the_banner_reads_in_light_and_dark_palettes(
    qtbot: QtBot, qapp: QApplication, demo: AppController, dark: bool
) -> None:
    window = make_window(qtbot, demo)
    original = qapp.palette()
    try:
        if dark:  # switched while the window is open, as a desktop theme change does
            qapp.setPalette(dark_palette())
        banner = window.banner
        assert banner is not None
        qtbot.wait(50)
        image = banner.grab().toImage()
        background = image.pixelColor(image.width() // 2, 2)
        text = banner.text.palette().color(banner.text.foregroundRole())
        assert abs(_luminance(background) - _luminance(text)) > 0.45
        window_colour = window.palette().color(window.backgroundRole())
        assert background != window_colour  # it stands out
    finally:
        qapp.setPalette(original)


def test_the_demo_tray_tooltip_says_demo(qapp: Any, demo: AppController) -> None:
    tray = TrayIcon(demo)
    try:
        assert tray.summary().splitlines()[0] == "syncgui (demo)"
    finally:
        tray.hide()
