"""The window shows before the service loads: the app's first window is its frame (title,
menus and toolbar, every action off, "Starting…"), made without the service, the sync
engine or any store; attached to its controller it becomes the whole window, its actions
working as in a window made in one go; a start that fails there says so and ends the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from syncgui.gui import app as app_module
from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.service import resolve_paths
from tests.gui.fake_service import FakeDesktop
from tests.gui.support import settle

ROOT = Path(__file__).resolve().parents[2]

# what the app's start does up to the shown window, in a fresh interpreter (this one has
# loaded everything already); it reports what the window shows and which modules loaded
FRAME_ONLY = """
import json, sys
from pathlib import Path
from PySide6.QtGui import QAction
from syncgui.gui import app

paths, demo = app._profile(app.parse_args(sys.argv[1:]))
qt = app._make_app([])
window = app._frame(qt, paths, demo)
window.show()
qt.processEvents()
print(json.dumps({
    "title": window.windowTitle(),
    "visible": window.isVisible(),
    "menus": [a.text() for a in window.menuBar().actions()],
    "enabled": [a.text() for a in window.findChildren(QAction) if a.isEnabled() and a.text()],
    "loaded": sorted(m for m in sys.modules if m.startswith("syncgui")),
}))
"""


def _frame_only(tmp_path: Path, *args: str) -> dict[str, Any]:
    folders = ["--config-dir", str(tmp_path / "config"), "--data-dir", str(tmp_path / "data")]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", FRAME_ONLY, *folders, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    shown: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return shown


def test_the_window_shows_before_the_service_and_the_engine_load(tmp_path: Path) -> None:
    shown = _frame_only(tmp_path)
    assert shown["title"] == "syncgui" and shown["visible"]
    assert shown["menus"] == ["&File", "&Sync", "&Partnership", "&View", "&Help"]
    assert shown["enabled"] == []  # nothing to act on until the views exist
    # none of the service, the engine or the stores yet: only the folders' names
    loaded = set(shown["loaded"])
    assert {m for m in loaded if not m.startswith("syncgui.gui")} == {
        "syncgui",
        "syncgui.dataclass_cache",
        "syncgui.engine",  # (the package: its names load when first used)
        "syncgui.engine.lazy",
        "syncgui.service",
        "syncgui.service.paths",
    }
    later = {"controller", "bridge", "wording", "partnerships_view", "activity_view"}
    assert not loaded & {f"syncgui.gui.{m}" for m in later}


def test_choosing_the_demo_reads_only_the_partnerships_file(tmp_path: Path) -> None:
    """``--demo-if-unconfigured`` (as ``scripts/run`` starts the app) looks whether any
    partnership exists before the window shows: through the partnerships file, not the
    whole service (its sessions, devices, history, accounts)."""
    shown = _frame_only(tmp_path, "--demo-if-unconfigured")
    assert shown["title"] == "syncgui (demo)" and shown["visible"]  # nothing configured
    assert "syncgui.service.config" in shown["loaded"]
    for later in (
        "syncgui.service.facade",
        "syncgui.service.running",
        "syncgui.engine.session",
        "syncgui.gui.controller",
    ):
        assert later not in shown["loaded"]


def _enabled(window: MainWindow) -> dict[str, bool]:
    return {a.text(): a.isEnabled() for a in window.findChildren(QAction) if a.text()}


def test_attached_the_frame_is_the_whole_window(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    frame = MainWindow(None, has_tray=True, config_dir=fake.paths.config_dir)
    qtbot.addWidget(frame)
    frame.show()
    starting = frame.findChild(QLabel, "startingLabel")
    assert starting is not None and starting.isVisible() and starting.text() == "Starting…"
    assert not frame.sync_all_action.isEnabled() and not frame.quit_action.isEnabled()

    frame.attach(controller)
    settle(qtbot, controller)
    assert frame.partnerships.isVisible()  # at once, not on a later turn of the loop
    assert frame.findChild(QLabel, "startingLabel") is None
    assert frame.partnerships.names() == ["phone"]
    assert frame.windowTitle() == "syncgui"

    whole = MainWindow(controller, has_tray=True)  # the same window, made in one go
    qtbot.addWidget(whole)
    whole.show()
    settle(qtbot, controller)
    assert _enabled(frame) == _enabled(whole)
    assert frame.quit_action.isEnabled() and frame.sync_all_action.isEnabled()

    frame.partnerships.select("phone")
    frame.partnerships.setFocus()
    assert frame.remove_action in frame.partnerships.actions()  # Delete removes from the list


def test_a_start_that_fails_says_so_and_ends_the_app(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No window left saying "Starting…" for ever: the error is shown, the app ends."""
    paths = resolve_paths(tmp_path / "config", tmp_path / "data")
    window = app_module._frame(qapp, paths, demo=False)
    running = app_module._Running(qapp, window)

    def broken(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    shown: list[str] = []
    ended: list[int] = []
    monkeypatch.setattr(app_module, "_attach", broken)
    monkeypatch.setattr(
        QMessageBox, "critical", staticmethod(lambda _w, _title, text: shown.append(text))
    )
    monkeypatch.setattr(qapp, "exit", ended.append)
    args = app_module.parse_args([])
    try:
        app_module._start(running, paths, False, args, 0.0)
    finally:
        window.close()
    assert len(shown) == 1 and "could not start: [Errno 28] No space left" in shown[0]
    assert ended == [1]
    assert running.controller is None and not window.has_views
