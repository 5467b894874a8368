"""The main window against FakeDesktop and the real AppController: what a user sees and
what the buttons, menus and shortcuts do."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QMessageBox, QProgressBar, QPushButton
from pytestqt.qtbot import QtBot

from syncgui.engine import ItemProblem, StoreUnavailable
from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.gui.partnerships_view import NEXT
from syncgui.service import ConfigError, Partnership
from tests.gui.fake_service import FakeDesktop, make_conflict, make_device
from tests.gui.support import settle


def make_window(qtbot: QtBot, ctl: AppController, has_tray: bool = True) -> MainWindow:
    window = MainWindow(ctl, has_tray)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot, ctl)
    return window


def button(window: Any, name: str) -> QPushButton:
    found = window.findChild(QPushButton, name)
    assert found is not None, name
    return found


def test_rows_show_stores_direction_policy_and_last_result(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    tree = window.partnerships.tree
    assert tree.topLevelItemCount() == 1
    item = tree.topLevelItem(0)
    assert item is not None
    assert item.text(0) == "phone"
    assert item.text(1) == "book  ⇄  phone"
    assert "vdir:/tmp/book" in item.toolTip(1)
    assert item.text(2) == "Merge"
    assert item.text(3) == "Never synced"
    assert not button(window, "conflicts:phone").isVisibleTo(window)
    assert window.top.currentWidget() is window.partnerships


def test_sync_now_runs_a_session_and_the_activity_shows_it(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.script("phone", created=2)
    window = make_window(qtbot, controller)
    with qtbot.waitSignal(controller.sessions_changed, timeout=5000):
        qtbot.mouseClick(button(window, "sync:phone"), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert fake.called("sync") == [(["phone"], "manual", False, False)]
    item = window.partnerships.tree.topLevelItem(0)
    assert item is not None
    assert item.text(3).startswith("Synced just now: 2 added on phone")
    session = window.activity.tree.topLevelItem(0)
    assert session is not None
    assert session.text(1) == "phone" and session.text(2) == "by you"
    assert "2 added on phone" in session.text(3)


def test_cancel_button_cancels_a_running_sync(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.gate = threading.Event()
    window = make_window(qtbot, controller)
    sync = button(window, "sync:phone")
    qtbot.mouseClick(sync, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sync.text() == "Cancel", timeout=5000)
    assert window.cancel_all_action.isEnabled()
    bar = window.findChild(QProgressBar, "progress:phone")
    assert bar is not None and bar.isVisible()
    item = window.partnerships.tree.topLevelItem(0)
    assert item is not None
    qtbot.waitUntil(lambda: item.text(3).startswith("Syncing"), timeout=5000)
    qtbot.mouseClick(sync, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sync.text() == "Sync now", timeout=5000)
    settle(qtbot, controller)
    assert all(r.status == "cancelled" for r in fake.ran)  # none ran to the end


def test_f5_syncs_all_and_escape_cancels_all(qtbot: QtBot, fake: FakeDesktop, qapp: Any) -> None:
    fake.book["laptop"] = Partnership("laptop", "vdir:/tmp/b", "vcf:/tmp/c.vcf")
    fake.gate = threading.Event()
    ctl = AppController(fake)
    try:
        window = make_window(qtbot, ctl)
        qtbot.keyClick(window, Qt.Key.Key_F5)
        qtbot.waitUntil(lambda: ctl.is_busy("phone") and ctl.is_busy("laptop"), timeout=5000)
        qtbot.waitUntil(window.cancel_all_action.isEnabled, timeout=5000)
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        qtbot.waitUntil(
            lambda: not ctl.is_busy("phone") and not ctl.is_busy("laptop"), timeout=5000
        )
    finally:
        fake.gate.set()
        ctl.shutdown()


def test_conflicts_badge_shows_the_count_and_opens_the_dialog(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(make_conflict("c1"))
    fake.add_conflict(make_conflict("c2", item="Ada Lovelace"))
    controller.refresh()
    window = make_window(qtbot, controller)
    badge = button(window, "conflicts:phone")
    assert badge.isVisibleTo(window)
    assert badge.text() == "2 conflicts"
    qtbot.mouseClick(badge, Qt.MouseButton.LeftButton)
    from syncgui.gui.conflict_dialog import ConflictDialog

    dialog = window.findChild(ConflictDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=5000)


def test_first_run_offers_the_demo_and_a_new_partnership(
    qtbot: QtBot, qapp: Any, tmp_path: Path
) -> None:
    fake = FakeDesktop([], root=tmp_path)
    ctl = AppController(fake)
    try:
        window = make_window(qtbot, ctl)
        assert window.top.currentWidget() is window.empty
        assert window.windowTitle() == "syncgui"
        with qtbot.waitSignal(window.demo_requested, timeout=1000):
            qtbot.mouseClick(button(window, "tryDemo"), Qt.MouseButton.LeftButton)
        assert not window.sync_all_action.isEnabled()
    finally:
        ctl.shutdown()


def test_demo_title(qtbot: QtBot, qapp: Any, tmp_path: Path) -> None:
    ctl = AppController(FakeDesktop(is_demo=True, root=tmp_path))
    try:
        assert make_window(qtbot, ctl).windowTitle() == "syncgui (demo)"
    finally:
        ctl.shutdown()


def test_devices_show_state_hint_and_free_space(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.devices = [
        make_device(),
        make_device("Galaxy S9", "S9", vendor="Samsung", state="locked", hint="Unlock it."),
    ]
    fake.notes = ("libmtp is not installed: apt install libmtp9",)
    controller.refresh()
    window = make_window(qtbot, controller)
    tree = window.devices.tree
    assert tree.topLevelItemCount() == 2
    pixel, galaxy = tree.topLevelItem(0), tree.topLevelItem(1)
    assert pixel is not None and galaxy is not None
    assert (pixel.text(0), pixel.text(1), pixel.text(2)) == ("Google Pixel 7", "Ready", "20.0 GB")
    storage = pixel.child(0)
    assert storage is not None and storage.text(2) == "20.0 GB free of 64.0 GB"
    assert (galaxy.text(0), galaxy.text(1)) == ("Samsung Galaxy S9", "Locked")
    hint = galaxy.child(0)
    assert hint is not None and hint.text(0) == "Unlock it."
    assert "libmtp" in window.devices.notes.text()


def test_problems_are_listed_once_and_cleared(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.script("phone", errors=[ItemProblem("Ada Lovelace", "card too large")])
    window = make_window(qtbot, controller)
    with qtbot.waitSignal(controller.problems_changed, timeout=5000):
        window.sync_all_action.trigger()
    settle(qtbot, controller)
    tree = window.problems.tree
    texts = [(tree.topLevelItem(i).text(2), tree.topLevelItem(i).text(3)) for i in range(1)]  # type: ignore[union-attr]
    assert texts == [("Ada Lovelace", "card too large")]
    assert window.tabs.tabText(1) == "P&roblems (1)"
    assert not window.findChildren(QMessageBox)  # no pop-up
    qtbot.mouseClick(button(window, "clearProblems"), Qt.MouseButton.LeftButton)
    assert tree.topLevelItemCount() == 0
    assert window.tabs.tabText(1) == "P&roblems"


def test_a_failed_sync_is_listed_with_its_title_and_what_to_do_once(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    gone = StoreUnavailable("The phone is not connected.", item="Pixel")
    fake.script("phone", raises=gone)
    fake.script("phone", raises=gone)
    notes: list[tuple[str, str, str]] = []
    controller.notify.connect(lambda *args: notes.append(args))
    window = make_window(qtbot, controller)
    for _ in range(2):  # the same failure twice: one row, one notification
        with qtbot.waitSignal(controller.problems_changed, timeout=5000):
            window.sync_all_action.trigger()
        settle(qtbot, controller)
    tree = window.problems.tree
    assert tree.topLevelItemCount() == 1
    row = tree.topLevelItem(0)
    assert row is not None
    assert (row.text(1), row.text(2), row.text(3)) == ("phone", "Pixel", gone.message)
    tip = row.toolTip(3).splitlines()
    assert tip == [
        StoreUnavailable.title,
        gone.message,
        "Connect the phone, bring the folder or file back, or check the connection to the "
        "server; then sync again.",
    ]
    assert all(row.toolTip(c) == row.toolTip(3) for c in range(row.columnCount()))
    [problem] = controller.problems()
    assert (problem.title, problem.action) == (tip[0], tip[2])
    assert [n[2] for n in notes] == ["error"]


def test_a_contacts_problem_has_its_message_as_its_tooltip(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.script("phone", errors=[ItemProblem("Ada Lovelace", "card too large")])
    window = make_window(qtbot, controller)
    with qtbot.waitSignal(controller.problems_changed, timeout=5000):
        window.sync_all_action.trigger()
    settle(qtbot, controller)
    row = window.problems.tree.topLevelItem(0)
    assert row is not None and row.toolTip(3) == "card too large"


def test_remove_asks_first_and_then_removes(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    window.partnerships.select("phone")
    window.remove_action.trigger()
    box = window.findChild(QMessageBox, "removeBox")
    assert box is not None and box.isVisible()
    remove = next(b for b in box.buttons() if b.text() == "&Remove")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.top.currentWidget() is window.empty, timeout=5000)
    assert fake.called("remove_partnership") == ["phone"]


def test_remove_cancelled_keeps_the_partnership(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    window.partnerships.select("phone")
    window.remove_action.trigger()
    box = window.findChild(QMessageBox, "removeBox")
    assert box is not None
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert fake.called("remove_partnership") == []


def test_pause_and_resume(qtbot: QtBot, controller: AppController) -> None:
    window = make_window(qtbot, controller)
    assert window.pause_action.text() == "&Pause for 1 hour"
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert controller.is_paused()
    assert window.pause_action.text() == "&Resume syncing"
    until = controller.paused_until()
    assert until is not None
    assert f"automatic syncs paused until {wording.clock(until)}" in window.state_label.text()
    item = window.partnerships.tree.topLevelItem(0)
    assert item.text(NEXT) == "paused"  # no "next sync" promised while paused
    window.pause_action.trigger()
    assert not controller.is_paused()
    assert item.text(NEXT) != "paused"


def test_start_at_login_writes_the_absolute_command(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    assert not window.autostart_action.isChecked()
    window.autostart_action.trigger()
    settle(qtbot, controller)
    assert fake.autostart
    assert fake.autostart_command == [sys.executable, "-m", "syncgui", "--background"]


def test_edit_schedule(qtbot: QtBot, fake: FakeDesktop, controller: AppController) -> None:
    window = make_window(qtbot, controller)
    window.partnerships.select("phone")
    window.schedule_action.trigger()
    from syncgui.gui.schedule_dialog import ScheduleDialog

    dialog = window.findChild(ScheduleDialog)
    assert dialog is not None
    dialog.fields.interval.setValue(30)
    dialog.fields.on_change.setChecked(False)
    dialog.accept()
    settle(qtbot, controller)
    name, schedule = fake.called("set_schedule")[0]
    assert (name, schedule.interval_minutes, schedule.on_change) == ("phone", 30, False)


def test_close_with_tray_hides_and_keeps_syncing(qtbot: QtBot, controller: AppController) -> None:
    window = make_window(qtbot, controller, has_tray=True)
    told: list[tuple[str, str, str]] = []
    controller.notify.connect(lambda *a: told.append(a))
    quits: list[bool] = []
    window.quit_requested.connect(lambda: quits.append(True))
    window.close_action.trigger()  # as the close button does
    assert not window.isVisible()
    assert quits == []
    assert len(told) == 1 and told[0][2] == "info"
    window.show()
    window.close_action.trigger()
    assert len(told) == 1  # said once


def test_close_without_tray_quits(qtbot: QtBot, controller: AppController) -> None:
    window = make_window(qtbot, controller, has_tray=False)
    assert "closing it quits syncgui" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.quit_requested, timeout=1000):
        window.close_action.trigger()
    assert not window.isVisible()


def test_close_without_tray_asks_while_a_sync_runs(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.gate = threading.Event()
    window = make_window(qtbot, controller, has_tray=False)
    quits: list[bool] = []
    window.quit_requested.connect(lambda: quits.append(True))
    controller.sync(["phone"])
    window.close_action.trigger()
    box = window.findChild(QMessageBox, "quitBox")
    assert box is not None and box.isVisible() and window.isVisible()
    assert quits == []
    quit_button = next(b for b in box.buttons() if b.text() == "&Quit")
    qtbot.mouseClick(quit_button, Qt.MouseButton.LeftButton)
    assert quits == [True]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=1000)


def test_geometry_splitter_and_headers_are_restored(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    assert not fake.paths.config_dir.exists()
    window = make_window(qtbot, controller)
    assert not fake.paths.config_dir.exists()  # start-up only reads
    window.resize(700, 500)
    window.splitter.setSizes([150, 400])
    window.partnerships.tree.header().resizeSection(0, 222)
    window.tabs.setCurrentIndex(2)
    sizes = window.splitter.sizes()
    window.close()
    assert (fake.paths.config_dir / "window.ini").is_file()  # the folder made on saving
    again = make_window(qtbot, controller)
    assert (again.width(), again.height()) == (700, 500)
    assert again.splitter.sizes() == sizes
    assert again.partnerships.tree.header().sectionSize(0) == 222
    assert again.tabs.currentIndex() == 2


def test_each_profile_keeps_its_own_window_size(qtbot: QtBot, qapp: Any, tmp_path: Path) -> None:
    """Two config folders (two --config-dir) and the demo's: a size left in one is not the
    size of another."""
    profiles = {
        "mine": FakeDesktop(root=tmp_path / "mine"),
        "other": FakeDesktop(root=tmp_path / "other"),
        "demo": FakeDesktop(root=tmp_path / "mine" / "demo", is_demo=True),
    }
    sizes = {"mine": (700, 500), "other": (640, 420), "demo": (760, 540)}
    controllers = {name: AppController(fake) for name, fake in profiles.items()}
    try:
        for name, ctl in controllers.items():
            window = make_window(qtbot, ctl)
            window.resize(*sizes[name])
            window.close()
        for name, ctl in controllers.items():
            window = make_window(qtbot, ctl)
            assert (window.width(), window.height()) == sizes[name], name
            window.close()
        inis = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("window.ini"))
        assert inis == [
            "mine/config/window.ini",
            "mine/demo/config/window.ini",
            "other/config/window.ini",
        ]
    finally:
        for ctl in controllers.values():
            ctl.shutdown()


def test_a_config_folder_that_cannot_be_made_only_loses_the_state(
    qtbot: QtBot, qapp: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("not a folder")
    ctl = AppController(FakeDesktop(root=tmp_path / "file"))
    try:
        window = make_window(qtbot, ctl)
        window.close()  # no exception: the close goes on
        assert not window.isVisible()
        assert "the window's state is not saved" in caplog.text
    finally:
        ctl.shutdown()


def test_delete_key_removes_only_from_the_partnerships_list(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    window.activateWindow()
    window.problems.tree.setFocus()
    qtbot.keyClick(window.problems.tree, Qt.Key.Key_Delete)
    assert window.findChild(QMessageBox, "removeBox") is None
    window.partnerships.select("phone")
    window.partnerships.tree.setFocus()
    qtbot.keyClick(window.partnerships.tree, Qt.Key.Key_Delete)
    box = window.findChild(QMessageBox, "removeBox")
    assert box is not None and box.isVisible()


def test_keyboard_sync_of_the_selected_partnership(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    window = make_window(qtbot, controller)
    window.partnerships.select("phone")
    with qtbot.waitSignal(controller.sessions_changed, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert fake.called("sync") == [(["phone"], "manual", False, False)]


def test_failed_and_blocked_results_and_session_details(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    from syncgui.engine import Status

    fake.script(
        "phone", status=Status.FAILED, errors=[ItemProblem("phone", "The phone is locked.")]
    )
    fake.script("phone", blocked_store="book", blocked_items=["A", "B", "C", "D", "E"])
    window = make_window(qtbot, controller)
    item = window.partnerships.tree.topLevelItem(0)
    assert item is not None
    controller.sync(["phone"])
    qtbot.waitUntil(lambda: item.text(3).startswith("Failed just now"), timeout=5000)
    assert item.text(3) == "Failed just now: The phone is locked."
    settle(qtbot, controller)
    with qtbot.waitSignal(controller.guard_blocked, timeout=5000):
        controller.sync(["phone"])
    settle(qtbot, controller)
    assert item.text(3) == "Stopped just now: would delete 5 contacts from book"
    tree = window.activity.tree
    blocked, failed = tree.topLevelItem(0), tree.topLevelItem(1)
    assert blocked is not None and failed is not None
    assert blocked.text(3) == "Stopped before deleting: would delete 5 contacts from book"
    assert [blocked.child(i).text(3) for i in range(blocked.childCount())] == list("ABCDE")  # type: ignore[union-attr]
    assert failed.text(3).startswith("Failed: ")
    child = failed.child(0)
    assert child is not None and child.text(3) == "phone: The phone is locked."


def test_ctrl_n_opens_the_wizard_and_the_new_row_gets_selected(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    from syncgui.gui.wizard import PartnershipWizard

    window = make_window(qtbot, controller)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    wizard = window.findChild(PartnershipWizard)
    assert wizard is not None and wizard.isVisible()
    wizard.page_a.folder_edit.setText("/tmp/new-book")
    wizard.next()
    wizard.page_b.file_radio.setChecked(True)
    wizard.page_b.file_edit.setText("/tmp/new.vcf")
    wizard.next()
    wizard.next()  # commit: adds on the job thread, then moves on
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)
    settle(qtbot, controller)
    assert window.partnerships.selected() == "new-book - new.vcf"


def test_an_app_quit_is_not_stopped_by_the_tray_hiding(
    qtbot: QtBot, qapp: Any, controller: AppController
) -> None:
    from PySide6.QtCore import QTimer

    window = make_window(qtbot, controller, has_tray=True)
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    stopped = QTimer()  # a quit the window stopped would leave exec() running
    stopped.setSingleShot(True)
    stopped.timeout.connect(lambda: qapp.exit(3))
    try:
        QTimer.singleShot(0, qapp.quit)
        stopped.start(3000)
        assert qapp.exec() == 0
    finally:
        stopped.stop()  # never let it fire during a later test
        qapp.setQuitOnLastWindowClosed(before)
    assert not window.isVisible()


def test_a_damaged_partnerships_file_is_not_shown_as_a_first_run(
    qtbot: QtBot, fake: FakeDesktop
) -> None:
    fake.damaged = "/home/u/.config/syncgui/partnerships.json is damaged; fix or remove it"
    ctl = AppController(fake)
    window = make_window(qtbot, ctl)
    assert window.empty.title.text() == "Your partnerships could not be read"
    assert "partnerships.json is damaged" in window.empty.text.text()
    assert not window.empty.new_button.isVisibleTo(window)  # adding would write the file
    assert window.empty.demo_button.isVisibleTo(window)  # the demo is a profile of its own
    assert [p.message for p in ctl.problems()] == [fake.damaged]  # once, not per reload
    ctl.refresh()
    settle(qtbot, ctl)
    assert len(ctl.problems()) == 1
    fake.damaged = None  # the user fixed the file and reloads
    ctl.refresh()
    settle(qtbot, ctl)
    assert window.top.currentWidget() is window.partnerships
    ctl.shutdown()


def test_start_at_login_writes_the_command_the_app_was_started_with(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    command = [sys.executable, "-m", "syncgui", "--background", "--config-dir", "/x/conf"]
    window = MainWindow(controller, True, autostart_command=command)
    qtbot.addWidget(window)
    settle(qtbot, controller)
    window.autostart_action.trigger()
    settle(qtbot, controller)
    assert fake.autostart_command == command


def test_the_demo_does_not_offer_start_at_login(qtbot: QtBot, qapp: Any, tmp_path: Path) -> None:
    fake = FakeDesktop(is_demo=True, root=tmp_path)
    ctl = AppController(fake)
    try:
        window = make_window(qtbot, ctl)
        assert not window.autostart_action.isEnabled()
        assert "your own partnerships, not for the demo" in window.autostart_action.toolTip()
        menu = window.findChild(QMenu, "fileMenu")
        assert menu is not None and menu.toolTipsVisible()  # the tooltip shows in the menu
        assert window.autostart_action in menu.actions()
        window.autostart_action.trigger()
        settle(qtbot, ctl)
        assert fake.called("set_autostart") == []
    finally:
        ctl.shutdown()


def test_quit_asks_while_resolves_still_wait(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    for cid in ("c1", "c2"):
        fake.add_conflict(make_conflict(cid))
    window = make_window(qtbot, controller, has_tray=True)
    quits: list[bool] = []
    window.quit_requested.connect(lambda: quits.append(True))
    gate = threading.Event()
    # holds the phone's stores: the resolves wait behind it
    phone = controller.resources("phone")
    controller.call(lambda _s: gate.wait(5), lambda _r: None, lambda _m: None, resources=phone)
    try:
        controller.resolve("c1", "phone", "a")
        controller.resolve("c2", "phone", "a")
        window.quit_action.trigger()
        box = window.findChild(QMessageBox, "quitBox")
        assert box is not None and box.isVisible()
        assert box.text() == "3 tasks are still waiting. Quit anyway?"
        assert "are dropped" in box.informativeText()
        assert quits == []
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        assert quits == [] and window.isVisible()
    finally:
        gate.set()
    settle(qtbot, controller)
    window.quit_action.trigger()  # nothing waits now: no question
    assert quits == [True]


def test_a_cancelled_wizard_leaves_no_partnership_and_says_so_in_the_status_bar(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    from syncgui.gui.wizard import PartnershipWizard

    window = make_window(qtbot, controller)
    window.new_action.trigger()
    wizard = window.findChild(PartnershipWizard)
    assert wizard is not None
    wizard.page_a.folder_edit.setText("/tmp/new-book")
    wizard.next()
    wizard.page_b.file_radio.setChecked(True)
    wizard.page_b.file_edit.setText("/tmp/new.vcf")
    wizard.next()
    wizard.next()  # commit: adds on the job thread, then moves on
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)
    settle(qtbot, controller)
    assert window.partnerships.names() == ["phone", "new-book - new.vcf"]
    wizard.reject()
    settle(qtbot, controller)
    qtbot.waitUntil(lambda: window.partnerships.names() == ["phone"], timeout=5000)
    assert fake.called("remove_partnership") == ["new-book - new.vcf"]
    assert "was not kept" in window.statusBar().currentMessage()
    assert not window.findChildren(QMessageBox)


def test_a_failed_action_of_the_window_lands_in_the_problems_list(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(name: str, schedule: object) -> None:
        raise ConfigError(f"{name}: the settings folder is read-only")

    monkeypatch.setattr(fake, "set_schedule", refuse)
    window = make_window(qtbot, controller)
    window.partnerships.select("phone")
    window.schedule_action.trigger()
    from syncgui.gui.schedule_dialog import ScheduleDialog

    dialog = window.findChild(ScheduleDialog)
    assert dialog is not None
    dialog.fields.interval.setValue(30)
    dialog.accept()
    settle(qtbot, controller)
    assert "read-only" in window.statusBar().currentMessage()
    assert [p.message for p in controller.problems()] == ["phone: the settings folder is read-only"]
    assert window.tabs.tabText(1).replace("&", "") == "Problems (1)"
