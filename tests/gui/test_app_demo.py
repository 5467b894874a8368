"""The demo never swallows the user's own partnerships: started as ``scripts/run`` starts it
(``--demo-if-unconfigured``, nothing configured), the app opens the demo, visibly (a banner
with "Leave the demo"); New partnership there asks to leave the demo, and the app reopens
on the user's own profile with the wizard open; the partnership made there is the user's
(``syncgui-cli partnership list`` lists it, Start at login is offered) and the demo keeps
only its own. The real app's code paths (profile choice, build, wiring, start-up) and the
real service, offscreen; only the new process is started in this one (``_relaunch``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from syncgui.gui import app as app_module
from syncgui.gui.demo_banner import DemoBanner, LeaveDemoQuestion
from syncgui.gui.main_window import MainWindow
from syncgui.service import resolve_paths
from tests.service.support import cli_process


@pytest.fixture
def relaunched(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The commands the app would start its next self with (none is started)."""
    commands: list[list[str]] = []

    def relaunch(_app: QApplication, command: list[str]) -> bool:
        commands.append(command)
        return True

    monkeypatch.setattr(app_module, "_relaunch", relaunch)
    return commands


@pytest.fixture
def apps(qapp: QApplication) -> Iterator[list[Any]]:
    """The apps a test starts, shut down at its end."""
    started: list[Any] = []
    yield started
    for running in started:
        running.shutdown()
        running.window.close()
    qapp.setQuitOnLastWindowClosed(True)


def _start(qtbot: QtBot, qapp: QApplication, apps: list[Any], argv: list[str]) -> Any:
    """What ``main(argv)`` does, up to the event loop (no single-instance lock, no signals):
    the window's frame shown, then the service, the controller and the views."""
    args = app_module.parse_args(argv)
    paths, demo = app_module._profile(args)
    window = app_module._frame(qapp, paths, demo, autostart=app_module.autostart_command(args))
    running = app_module._Running(qapp, window)
    apps.append(running)
    qtbot.addWidget(running.window)
    app_module._wire_profiles(running, args)
    running.window.show()
    app_module._start(running, paths, demo, args, 0.0)
    qtbot.waitExposed(running.window)
    return running


def test_a_partnership_made_from_the_demo_is_the_users_own(
    qtbot: QtBot, qapp: QApplication, apps: list[Any], relaunched: list[list[str]], tmp_path: Path
) -> None:
    config, data = tmp_path / "config", tmp_path / "data"
    folders = ["--config-dir", str(config), "--data-dir", str(data)]
    demo = _start(qtbot, qapp, apps, ["--demo-if-unconfigured", *folders])
    window: MainWindow = demo.window
    assert window.windowTitle() == "syncgui (demo)"
    banner = window.findChild(DemoBanner)
    assert banner is not None and banner.isVisible()  # visibly the demo
    assert "This is the demo" in banner.text.text()
    assert not window.autostart_action.isEnabled()

    window.new_action.trigger()  # Ctrl+N in the demo: asked first, no wizard
    box = window.findChild(LeaveDemoQuestion)
    assert box is not None and box.isVisible()
    assert box.defaultButton() is box.leave_button()
    qtbot.mouseClick(box.leave_button(), Qt.MouseButton.LeftButton)
    assert relaunched == [["-m", "syncgui", *folders, "--new-partnership"]]

    # the new process: the same folders, the user's own profile, the wizard open
    own = _start(qtbot, qapp, apps, relaunched[0][2:])
    assert own.controller.service.paths == resolve_paths(config, data)
    assert not own.controller.service.is_demo
    assert own.window.findChild(DemoBanner) is None
    assert own.window.windowTitle() == "syncgui"
    from syncgui.gui.wizard import PartnershipWizard

    qtbot.waitUntil(lambda: own.window.findChild(PartnershipWizard) is not None, timeout=5000)
    wizard = own.window.findChild(PartnershipWizard)
    assert wizard is not None and wizard.isVisible()
    (tmp_path / "contacts").mkdir()
    wizard.page_a.folder_edit.setText(str(tmp_path / "contacts"))
    wizard.next()
    wizard.page_b.file_radio.setChecked(True)
    wizard.page_b.file_edit.setText(str(tmp_path / "phone.vcf"))
    wizard.next()
    wizard.settings.name.setText("mine")
    wizard.next()  # commit: adds it on the job thread, then moves on
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=10_000)
    wizard.ready.not_now.setChecked(True)
    wizard.accept()
    qtbot.waitUntil(lambda: own.window.partnerships.names() == ["mine"], timeout=5000)
    assert own.window.autostart_action.isEnabled()

    listed = cli_process(config, data, "partnership", "list")
    assert "mine" in listed and "No partnerships yet" not in listed
    demo_profile = cli_process(
        data / "demo" / "config", data / "demo" / "data", "partnership", "list"
    )
    assert "mine" not in demo_profile and "Demo" in demo_profile


def test_leave_the_demo_reopens_the_users_own_profile(
    qtbot: QtBot, qapp: QApplication, apps: list[Any], relaunched: list[list[str]], tmp_path: Path
) -> None:
    folders = ["--config-dir", str(tmp_path / "c"), "--data-dir", str(tmp_path / "d")]
    demo = _start(qtbot, qapp, apps, ["--demo", *folders])
    banner = demo.window.findChild(DemoBanner)
    assert banner is not None
    qtbot.mouseClick(banner.leave_button, Qt.MouseButton.LeftButton)
    assert relaunched == [["-m", "syncgui", *folders]]  # no --demo, no wizard
    own = _start(qtbot, qapp, apps, relaunched[0][2:])
    assert not own.controller.service.is_demo
    assert own.window.top.currentWidget() is own.window.empty  # nothing of theirs yet
    assert own.window.empty.demo_button.isVisible()  # and the way back in
    assert own.window.try_demo_action.isVisible()


def test_cancel_stays_in_the_demo(
    qtbot: QtBot, qapp: QApplication, apps: list[Any], relaunched: list[list[str]], tmp_path: Path
) -> None:
    folders = ["--config-dir", str(tmp_path / "c"), "--data-dir", str(tmp_path / "d")]
    demo = _start(qtbot, qapp, apps, ["--demo", *folders])
    demo.window.new_partnership()
    box = demo.window.findChild(LeaveDemoQuestion)
    assert box is not None
    box.reject()
    assert relaunched == []
    from syncgui.gui.wizard import PartnershipWizard

    assert demo.window.findChild(PartnershipWizard) is None
    assert not demo.window.try_demo_action.isVisible()  # in the demo already
