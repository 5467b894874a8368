"""The conflict dialog against FakeDesktop and the real AppController."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot

from syncgui.gui import wording
from syncgui.gui.conflict_dialog import ConflictDialog
from syncgui.gui.conflict_table import SIDE_A, SIDE_B
from syncgui.gui.controller import AppController
from syncgui.service import ConflictDetail, FieldRow, Partnership
from tests.gui.fake_service import FakeDesktop, make_conflict
from tests.gui.support import settle


def open_dialog(qtbot: QtBot, ctl: AppController, partnership: str | None = None) -> ConflictDialog:
    settle(qtbot, ctl)
    dialog = ConflictDialog(ctl, partnership)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(
        lambda: dialog.pages.currentIndex() == 1 or dialog.list.count() == 0, timeout=5000
    )
    settle(qtbot, ctl)
    return dialog


def resolved(fake: FakeDesktop) -> list[tuple[str, str, dict[str, str]]]:
    return fake.called("resolve")


def deleted_on_b(conflict_id: str = "d1") -> ConflictDetail:
    d = make_conflict(conflict_id, item="Alan Turing")
    view = replace(d.view, kind="update-delete", b=None)
    rows = (FieldRow("FN", "Name", "Alan Turing", None, "a-only"),)
    return replace(d, view=view, rows=rows, can_merge=False, clashes=())


def test_both_sides_are_labelled_with_store_names_and_times(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    detail = make_conflict("c1")
    fake.add_conflict(detail)
    dialog = open_dialog(qtbot, controller)
    assert dialog.title.text() == "Grace Hopper: changed on both sides"
    header_a = dialog.table.horizontalHeaderItem(SIDE_A)
    header_b = dialog.table.horizontalHeaderItem(SIDE_B)
    assert header_a is not None and header_b is not None
    assert detail.a_changed is not None and detail.b_changed is not None
    assert header_a.text() == f"book\nchanged {wording.local_time(detail.a_changed)}"
    assert header_b.text() == f"phone\nchanged {wording.local_time(detail.b_changed)}"
    labels = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]  # type: ignore[union-attr]
    assert labels == ["Name", "Email", "Phone", "Note"]
    note_a = dialog.table.item(3, SIDE_A)
    note_b = dialog.table.item(3, SIDE_B)
    assert note_a is not None and note_b is not None
    assert (note_a.text(), note_b.text()) == ("Met at the conference", "Call about COBOL")
    base = dialog.table.palette().color(QPalette.ColorRole.Base)
    same = dialog.table.item(0, SIDE_A)
    assert same is not None and same.background().style() == Qt.BrushStyle.NoBrush
    assert note_a.background().color() != base  # differing rows are tinted
    assert dialog.keep_a.text() == "Keep book (&left)"
    assert dialog.keep_b.text() == "Keep phone (&right)"
    assert dialog.table.isColumnHidden(3)  # the merge choice shows only when merging


def test_keep_one_side_resolves_and_syncs(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(make_conflict("c1"))
    dialog = open_dialog(qtbot, controller)
    qtbot.mouseClick(dialog.keep_a, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert resolved(fake) == [("c1", "a", {})]
    qtbot.waitUntil(lambda: ("phone", "resolve") in fake.triggers, timeout=5000)
    qtbot.waitUntil(lambda: "No conflicts left" in dialog.message.text(), timeout=5000)


def test_merge_asks_per_clashing_field_and_passes_the_choice(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(make_conflict("c1"))
    dialog = open_dialog(qtbot, controller)
    qtbot.mouseClick(dialog.merge, Qt.MouseButton.LeftButton)
    assert not dialog.table.isColumnHidden(3)
    assert dialog.merge_note.isVisible()
    assert "combined automatically" in dialog.merge_note.text()
    combo = dialog.choice_box("NOTE")
    assert combo is not None
    assert [combo.itemText(i) for i in range(combo.count())] == ["book", "phone"]
    assert combo.currentData() == "b"  # the newer change is offered first
    combo.setCurrentIndex(0)
    assert dialog.merge.text() == "&Apply merge"
    assert resolved(fake) == []
    qtbot.mouseClick(dialog.merge, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert resolved(fake) == [("c1", "merged", {"NOTE": "a"})]


def test_apply_to_all_remaining_resolves_the_rest_with_the_same_choice(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    for cid, item in (("c1", "Grace"), ("c2", "Ada"), ("c3", "Alan")):
        fake.add_conflict(make_conflict(cid, item=item))
    dialog = open_dialog(qtbot, controller)
    assert dialog.list.count() == 3
    qtbot.mouseClick(dialog.later, Qt.MouseButton.LeftButton)  # c1: later
    qtbot.waitUntil(lambda: dialog.title.text().startswith("Ada"), timeout=5000)
    dialog.apply_all.setChecked(True)
    qtbot.mouseClick(dialog.keep_b, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert sorted(resolved(fake)) == [("c2", "b", {}), ("c3", "b", {})]
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=5000)
    assert "Grace" in dialog.list.item(0).text()  # type: ignore[union-attr]


def test_resolve_later_keeps_it_listed(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(make_conflict("c1"))
    dialog = open_dialog(qtbot, controller)
    qtbot.mouseClick(dialog.later, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert resolved(fake) == []
    assert dialog.list.count() == 1
    assert dialog.list.item(0).text().endswith("later")  # type: ignore[union-attr]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    again = open_dialog(qtbot, controller)
    assert again.list.count() == 1  # still stored


def test_delete_versus_edit_offers_keep_deleted_or_keep_edited(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(deleted_on_b())
    dialog = open_dialog(qtbot, controller)
    assert dialog.title.text() == "Alan Turing: deleted on phone, changed on book"
    assert dialog.keep_a.text() == "Keep edited: book (&left)"
    assert dialog.keep_b.text() == "Keep deleted: phone (&right)"
    assert not dialog.keep_both.isVisibleTo(dialog)
    assert not dialog.merge.isVisibleTo(dialog)
    header_b = dialog.table.horizontalHeaderItem(SIDE_B)
    assert header_b is not None and header_b.text().startswith("phone\ndeleted")
    qtbot.mouseClick(dialog.keep_b, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert resolved(fake) == [("d1", "b", {})]


def test_an_unreachable_holder_says_why_and_no_choice_can_be_made(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    d = make_conflict("u1")
    view = replace(d.view, held_by="b", b=None, unreachable="The phone is not connected.")
    fake.add_conflict(replace(d, view=view))
    dialog = open_dialog(qtbot, controller)
    assert dialog.unreachable.isVisibleTo(dialog)
    assert "phone cannot be read now: The phone is not connected." in dialog.unreachable.text()
    assert not dialog.keep_b.isEnabled()
    assert not dialog.merge.isEnabled()
    assert not dialog.keep_both.isEnabled()
    assert not dialog.keep_a.isEnabled()  # it would be written into the phone
    assert dialog.later.isEnabled()


def test_one_partnerships_conflicts_only(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(make_conflict("c1"))
    fake.add_conflict(make_conflict("x1", "laptop", item="Other"))
    dialog = open_dialog(qtbot, controller, "phone")
    assert dialog.list.count() == 1
    # the title names the partnership and the contact shown
    assert dialog.windowTitle() == "Conflicts of phone: Grace Hopper"


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape])
def test_every_button_has_a_mnemonic_and_escape_closes(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController, key: Qt.Key
) -> None:
    fake.add_conflict(make_conflict("c1"))
    dialog = open_dialog(qtbot, controller)
    for b in (
        dialog.keep_a,
        dialog.keep_b,
        dialog.keep_both,
        dialog.merge,
        dialog.later,
        dialog.apply_all,
        dialog.close_button,
    ):
        assert "&" in b.text().replace("&&", ""), b.text()
    mnemonics = [
        b.text()[b.text().index("&") + 1].lower()
        for b in (
            dialog.keep_a,
            dialog.keep_b,
            dialog.keep_both,
            dialog.merge,
            dialog.later,
            dialog.apply_all,
            dialog.close_button,
        )
    ]
    assert len(set(mnemonics)) == len(mnemonics)
    qtbot.keyClick(dialog, key)
    assert not dialog.isVisible()


def test_keep_both(qtbot: QtBot, fake: FakeDesktop, controller: AppController) -> None:
    fake.add_conflict(make_conflict("c1"))
    dialog = open_dialog(qtbot, controller)
    # (offscreen Qt has no automatic mnemonics; the mnemonic test above checks the texts)
    qtbot.mouseClick(dialog.keep_both, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert resolved(fake) == [("c1", "both", {})]


def test_a_result_after_the_dialog_closed_is_dropped_quietly(
    qtbot: QtBot,
    fake: FakeDesktop,
    controller: AppController,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import threading

    from PySide6.QtCore import QCoreApplication, QEvent

    fake.add_conflict(make_conflict("c1"))
    settle(qtbot, controller)
    fake.gate = threading.Event()
    controller.sync(["phone"])  # holds the phone's stores
    dialog = ConflictDialog(controller)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    fake.gate.set()
    settle(qtbot, controller)
    assert "handling the end of job" not in caplog.text


def test_apply_to_all_stays_within_the_partnership_shown(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    # "a" is the address book in "phone" but the tablet in "tablet": keeping "a" for
    # every listed conflict would keep the tablet's version in the other partnership
    fake.book["tablet"] = Partnership("tablet", "virtual:/tmp/tablet", "vdir:/tmp/book")
    controller.refresh()
    fake.add_conflict(make_conflict("c1", item="Grace"))
    fake.add_conflict(make_conflict("c2", item="Ada"))
    fake.add_conflict(make_conflict("t1", "tablet", item="Alan"))
    dialog = open_dialog(qtbot, controller)
    assert dialog.list.count() == 3
    assert dialog.title.text().startswith("Grace")
    assert dialog.apply_all.text() == "Apply to &all remaining in phone"
    dialog.apply_all.setChecked(True)
    qtbot.mouseClick(dialog.keep_a, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert sorted(resolved(fake)) == [("c1", "a", {}), ("c2", "a", {})]
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=5000)
    qtbot.waitUntil(lambda: dialog.title.text().startswith("Alan"), timeout=5000)
    assert dialog.list.item(0).text() == "Alan\ntablet"  # type: ignore[union-attr]
    assert dialog.apply_all.text() == "Apply to &all remaining in tablet"


def test_a_conflict_detected_again_shows_its_new_data(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    old = make_conflict("c1")
    fake.add_conflict(old)
    dialog = open_dialog(qtbot, controller)
    note_b = dialog.table.item(3, SIDE_B)
    assert note_b is not None and note_b.text() == "Call about COBOL"
    rows = (
        *old.rows[:3],
        FieldRow("NOTE", "Note", "Met at the conference", "Moved to Navy", "clash"),
    )
    fake.add_conflict(replace(old, view=replace(old.view, b=b"changed"), rows=rows))  # same id
    controller.conflicts_changed.emit()  # as after every finished session
    qtbot.waitUntil(lambda: dialog.status.text().startswith("This contact changed"), timeout=5000)
    settle(qtbot, controller)
    note_b = dialog.table.item(3, SIDE_B)
    assert note_b is not None and note_b.text() == "Moved to Navy"
    assert dialog.keep_b.isEnabled()
    qtbot.mouseClick(dialog.keep_b, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert resolved(fake) == [("c1", "b", {})]


def test_new_data_ends_a_merge_being_chosen_and_the_same_data_keeps_it(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    old = make_conflict("c1")
    fake.add_conflict(old)
    dialog = open_dialog(qtbot, controller)
    qtbot.mouseClick(dialog.merge, Qt.MouseButton.LeftButton)
    assert dialog.merge.text() == "&Apply merge"
    controller.conflicts_changed.emit()  # nothing changed: the merge goes on
    settle(qtbot, controller)
    qtbot.waitUntil(dialog.merge.isEnabled, timeout=5000)
    assert dialog.merge.text() == "&Apply merge" and not dialog.table.isColumnHidden(3)
    fake.add_conflict(replace(old, view=replace(old.view, b=b"changed")))
    controller.conflicts_changed.emit()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("This contact changed"), timeout=5000)
    assert dialog.table.isColumnHidden(3)  # out of the merge: look again first
    assert dialog.merge.text() == "&Merge…"
    assert resolved(fake) == []


def test_details_are_read_with_their_partnership(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.book["tablet"] = Partnership("tablet", "virtual:/tmp/tablet", "vdir:/tmp/book")
    controller.refresh()
    fake.add_conflict(make_conflict("t1", "tablet", item="Alan"))
    dialog = open_dialog(qtbot, controller)
    assert dialog.title.text().startswith("Alan")
    assert fake.detail_partnerships == ["tablet"]
