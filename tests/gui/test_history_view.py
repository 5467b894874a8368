"""The History tab against FakeDesktop and the real AppController: newest first, per
partnership or all, searched by name; the one selected beside the contact now; Restore one
or several, each failure said in words, and the partnership synced after."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from syncgui.gui import wording
from syncgui.gui.conflict_table import CHOICE, SIDE_A, SIDE_B
from syncgui.gui.controller import AppController
from syncgui.gui.history_view import NAME, HistoryView
from syncgui.gui.main_window import MainWindow
from syncgui.service import Partnership
from tests.gui.fake_service import FakeDesktop, make_kept
from tests.gui.support import settle


def keep(fake: FakeDesktop, *entries: tuple[int, str, str, float]) -> None:
    """Kept versions: (id, name, partnership, time)."""
    for entry_id, label, partnership, at in entries:
        entry, detail = make_kept(entry_id, label, partnership, at=at)
        fake.kept_versions.append(entry)
        fake.kept_details[entry_id] = detail


def open_view(qtbot: QtBot, ctl: AppController) -> HistoryView:
    settle(qtbot, ctl)
    view = HistoryView(ctl)
    qtbot.addWidget(view)
    view.show()
    settle(qtbot, ctl)
    return view


def listed(view: HistoryView) -> list[str]:
    return [
        item.text(NAME)
        for i in range(view.tree.topLevelItemCount())
        if (item := view.tree.topLevelItem(i)) is not None and not item.isHidden()
    ]


def select(view: HistoryView, *names: str) -> None:
    """Make ``names[0]`` current, then select all of ``names`` (as a Ctrl+click would)."""
    items = [view.tree.topLevelItem(i) for i in range(view.tree.topLevelItemCount())]
    view.tree.setCurrentItem(next(i for i in items if i is not None and i.text(NAME) == names[0]))
    for item in items:
        if item is not None and item.text(NAME) in names:
            item.setSelected(True)


def two_partnerships(tmp_path: object) -> FakeDesktop:
    return FakeDesktop(
        [
            Partnership("phone", "vdir:/tmp/book", "virtual:/tmp/phone"),
            Partnership("work", "vdir:/tmp/work", "vcf:/tmp/work.vcf"),
        ]
    )


def test_newest_first_of_all_partnerships_or_one_and_searched_by_name(
    qtbot: QtBot, qapp: object
) -> None:
    fake = two_partnerships(None)
    keep(
        fake,
        (1, "Ada Lovelace", "phone", 1000.0),
        (2, "Grace Hopper", "work", 3000.0),
        (3, "Alan Turing", "phone", 2000.0),
    )
    ctl = AppController(fake)
    try:
        view = open_view(qtbot, ctl)
        assert listed(view) == ["Grace Hopper", "Alan Turing", "Ada Lovelace"]
        assert fake.called("history") == [None]
        assert not fake.called("history_detail")  # no store is read until one is chosen
        view.search.setText("  a  TUR ")
        assert listed(view) == ["Alan Turing"]
        view.search.clear()
        view.show_partnership("phone")
        settle(qtbot, ctl)
        assert listed(view) == ["Alan Turing", "Ada Lovelace"]
        assert fake.called("history")[-1] == "phone"
        view.search.setText("grace")
        assert listed(view) == []
        view.show_partnership(None)
        settle(qtbot, ctl)
        assert listed(view) == ["Grace Hopper"]
    finally:
        ctl.shutdown()


def test_an_empty_history_says_what_it_will_hold(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    view = open_view(qtbot, controller)
    assert view.pages.currentIndex() == 0
    assert "Nothing in the history yet" in view.message.text()
    assert not view.restore_button.isEnabled()


def test_the_selected_version_is_shown_beside_the_contact_now(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    keep(fake, (1, "Ada Lovelace", "phone", 1_700_000_000.0))
    gone, gone_detail = make_kept(2, "Alan Turing", reason="deleted", current=None)
    fake.kept_versions.append(gone)
    fake.kept_details[2] = gone_detail
    view = open_view(qtbot, controller)
    select(view, "Ada Lovelace")
    qtbot.waitUntil(lambda: view.pages.currentIndex() == 1, timeout=5000)
    assert view.title.text().startswith("Ada Lovelace: overwritten in book by a sync")
    table = view.table
    assert table.isColumnHidden(CHOICE)
    header_a, header_b = table.horizontalHeaderItem(SIDE_A), table.horizontalHeaderItem(SIDE_B)
    assert header_a is not None and header_b is not None
    assert header_a.text().startswith("Kept version\nuntil ")
    assert header_b.text() == f"Now in book\nchanged {wording.local_time(1_700_000_060.0)}"
    cells = [
        [table.item(r, c).text() for c in (0, SIDE_A, SIDE_B)]  # type: ignore[union-attr]
        for r in range(table.rowCount())
    ]
    assert cells == [["Name", "Ada Lovelace", "Ada Lovelace"], ["Note", "Before", "Now"]]
    assert table.item(1, SIDE_A).toolTip() == "Changed since this version was kept"  # type: ignore[union-attr]
    assert view.note.isHidden()
    select(view, "Alan Turing")
    qtbot.waitUntil(lambda: view.title.text().startswith("Alan Turing"), timeout=5000)
    assert view.title.text().startswith("Alan Turing: deleted from book by a sync")
    assert view.note.text() == "This contact is no longer in book: Restore puts it back."
    assert table.item(1, SIDE_B).text() == "—"  # type: ignore[union-attr]
    assert fake.called("history_detail") == [1, 2]


def test_restore_several_syncs_after_and_says_each_failure(qtbot: QtBot, qapp: object) -> None:
    fake = two_partnerships(None)
    keep(
        fake,
        (1, "Ada Lovelace", "phone", 1000.0),
        (2, "Grace Hopper", "work", 3000.0),
        (3, "Alan Turing", "phone", 2000.0),
    )
    fake.restore_failures[3] = "The phone is locked: unlock it and try again."
    fake.synced_before("phone", "work")
    ctl = AppController(fake)
    try:
        view = open_view(qtbot, ctl)
        select(view, "Ada Lovelace", "Grace Hopper", "Alan Turing")
        assert view.selected_ids() == [2, 3, 1]
        assert view.restore_button.text() == "&Restore 3 versions"
        threads: list[threading.Thread] = []
        fake.restore = _recording(fake.restore, threads)  # type: ignore[method-assign]
        view.restore_button.click()
        settle(qtbot, ctl)
        qtbot.waitUntil(lambda: not view._restoring, timeout=5000)
        assert sorted(fake.called("restore")) == [1, 2, 3]
        assert all(t is not threading.main_thread() for t in threads)  # on the job thread
        assert sorted(fake.restored) == [1, 2]
        settle(qtbot, ctl)
        synced = [(name, trigger) for name, trigger in fake.triggers]
        assert sorted(synced) == [("phone", "manual"), ("work", "manual")]
        status = view.status.text()
        assert "2 contacts restored; their partnerships sync now." in status
        assert (
            "Alan Turing could not be restored: The phone is locked: unlock it and try again."
            in status
        )
    finally:
        ctl.shutdown()


def _recording(fn: object, threads: list[threading.Thread]) -> object:
    def wrapped(entry_id: int) -> object:
        threads.append(threading.current_thread())
        return fn(entry_id)  # type: ignore[operator]

    return wrapped


def test_the_history_tab_and_its_actions_in_the_main_window(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    keep(fake, (1, "Ada Lovelace", "phone", 1000.0))
    window = MainWindow(controller, has_tray=False)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot, controller)
    tabs = window.tabs
    assert tabs.tabText(tabs.indexOf(window.accounts) + 1) == "His&tory"
    window.tab_actions[-1].trigger()
    assert tabs.currentWidget() is window.history
    settle(qtbot, controller)
    assert listed(window.history) == ["Ada Lovelace"]
    tabs.setCurrentIndex(0)
    window.partnerships.tree.setCurrentItem(window.partnerships.tree.topLevelItem(0))
    window.history_action.trigger()
    settle(qtbot, controller)
    assert tabs.currentWidget() is window.history
    assert window.history.chosen_partnership() == "phone"
    assert fake.called("history")[-1] == "phone"
    # the list's right-click menu opens it too
    tabs.setCurrentIndex(0)
    window.history.show_partnership(None)
    menu = window.partnerships.context_menu("phone")
    next(a for a in menu.actions() if a.objectName() == "history").trigger()
    assert tabs.currentWidget() is window.history
    assert window.history.chosen_partnership() == "phone"


def test_the_detail_is_read_in_line_with_a_sync_of_its_store(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    keep(fake, (1, "Ada Lovelace", "phone", 1000.0))
    view = open_view(qtbot, controller)
    fake.gate = threading.Event()  # a sync of "phone" (which holds the entry's store) runs
    controller.sync(["phone"])
    qtbot.waitUntil(lambda: controller.is_busy("phone"), timeout=5000)
    select(view, "Ada Lovelace")
    qtbot.wait(100)
    assert not fake.called("history_detail")  # waits for the sync, never beside it
    assert view.message.text() == "Loading…"
    fake.gate.set()
    qtbot.waitUntil(lambda: view.pages.currentIndex() == 1, timeout=5000)
    settle(qtbot, controller)
    # read after the sync (and again for the list that sync changed: it may have kept more)
    assert set(fake.called("history_detail")) == {1}
