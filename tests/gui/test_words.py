"""Issue 13, words: no "converged", a partial failure says what happened, long Last-sync
texts cut at a word, vendor fields in words, and Merge mode keeps the contact list
readable."""

from __future__ import annotations

import ast
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from syncgui.engine import ItemProblem, Status
from syncgui.gui import wording
from syncgui.gui.activity_view import ActivityView
from syncgui.gui.conflict_dialog import ConflictDialog
from syncgui.gui.conflict_table import FIELD, SIDE_A, SIDE_B
from syncgui.gui.controller import AppController
from syncgui.gui.partnerships_view import LAST, PartnershipsView, elide_words
from syncgui.providers.vcard.compare import field_rows
from syncgui.service import ConflictDetail, Counts, FieldRow, ItemNote, SessionRecord
from tests.gui.fake_service import FakeDesktop, make_conflict
from tests.gui.support import settle

GUI = Path(__file__).parents[2] / "syncgui" / "gui"


def record(**kwargs: object) -> SessionRecord:
    now = time.time()
    fields: dict[str, object] = dict(
        id=1, partnership="phone", started=now - 5, finished=now, trigger="manual", status="ok"
    )
    fields.update(kwargs)
    return SessionRecord(**fields)  # type: ignore[arg-type]


# -- "converged" ------------------------------------------------------------------------


def _user_strings(path: Path) -> list[str]:
    """The literals passed to tr() / translate() in a GUI module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name not in ("tr", "translate", "QT_TRANSLATE_NOOP"):
            continue
        found += [a.value for a in node.args if isinstance(a, ast.Constant)]
    return [s for s in found if isinstance(s, str)]


def test_no_user_facing_text_says_converged() -> None:
    said = [
        (path.name, text)
        for path in sorted(GUI.glob("*.py"))
        for text in _user_strings(path)
        if "converge" in text.lower()
    ]
    assert said == []


def test_a_conflict_settled_as_already_the_same_reads_so_in_activity(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settled = (
        ItemNote("Ada Lovelace", "converged"),
        ItemNote("Grace Hopper", "merged"),
        ItemNote("Alan Turing", "b"),
    )
    fake.ran.append(record(settled=settled))
    controller.refresh()
    settle(qtbot, controller)
    view = ActivityView(controller)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 1, timeout=5000)
    item = view.tree.topLevelItem(0)
    assert item is not None
    children = [item.child(i).text(3) for i in range(item.childCount())]  # type: ignore[union-attr]
    assert children == [
        "Ada Lovelace: already the same on both sides",
        "Grace Hopper: changes from both sides combined",
        "Alan Turing: changed on both sides: the version on phone was kept",
    ]
    assert not any("converge" in text for text in children)


# -- a partial failure ------------------------------------------------------------------


def test_a_partial_failure_says_what_happened_not_failed(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.script(
        "phone",
        status=Status.FAILED,
        created=3,
        errors=[ItemProblem("broken.vcf", "the card cannot be read")],
    )
    view = PartnershipsView(controller)
    qtbot.addWidget(view)
    activity = ActivityView(controller)
    qtbot.addWidget(activity)
    controller.sync(["phone"])
    settle(qtbot, controller)
    item = view.tree.topLevelItem(0)
    assert item is not None
    qtbot.waitUntil(lambda: item.text(LAST).startswith("Synced"), timeout=5000)
    assert item.text(LAST) == ("Synced just now: 3 added on phone; 1 contact could not be synced")
    row = activity.tree.topLevelItem(0)
    assert row is not None
    assert row.text(3) == "3 added on phone; 1 contact could not be synced"
    assert row.child(0).text(3) == "broken.vcf: the card cannot be read"  # type: ignore[union-attr]


def test_a_session_that_could_not_run_still_reads_failed() -> None:
    failed = record(status="failed", errors=(ItemNote("phone", "The phone is locked."),))
    assert wording.failed_outright(failed)
    assert wording.session_summary(failed, "book", "phone") == (
        "Failed just now: The phone is locked."
    )
    partial = record(status="failed", errors=(ItemNote("Bob", "cannot be read"),))
    assert not wording.failed_outright(partial)
    assert wording.session_summary(partial, "book", "phone") == (
        "Synced just now: 1 contact could not be synced"
    )


# -- long Last-sync texts ---------------------------------------------------------------


def test_elide_words_cuts_at_a_word() -> None:
    fm = QFontMetrics(QApplication.font())
    text = "Synced 3 min ago: 12 added on Address book, 4 changed on Google Pixel 7"
    for width in range(fm.horizontalAdvance("Synced…"), fm.horizontalAdvance(text), 7):
        cut = elide_words(text, fm, width)
        assert fm.horizontalAdvance(cut) <= width
        assert cut.endswith("…")
        head = cut.removesuffix("…")
        assert text.startswith(head)
        rest = text[len(head) :]
        assert rest[0] in " ,;:", (width, cut)  # cut where a word ends
        assert not head.split(" ")[-1].isdigit(), cut  # not "Synced 3…"
    assert elide_words(text, fm, fm.horizontalAdvance(text)) == text


def test_the_last_sync_column_is_cut_at_a_word_with_the_full_text_as_tooltip(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.ran.append(
        record(
            to_a=Counts(12, 4, 0),
            to_b=Counts(3, 2, 1),
            merged=2,
            matched=5,
        )
    )
    controller.refresh()
    settle(qtbot, controller)
    view = PartnershipsView(controller)
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    item = view.tree.topLevelItem(0)
    assert item is not None
    full = item.text(LAST)
    assert item.toolTip(LAST) == full
    delegate = view.tree.itemDelegateForColumn(LAST)
    option = QStyleOptionViewItem()
    index = view.tree.indexFromItem(item, LAST)
    option.initFrom(view.tree)
    option.rect = QRect(0, 0, 260, view.tree.visualRect(index).height())  # a narrow column
    delegate.initStyleOption(option, index)  # type: ignore[attr-defined]
    shown = option.text  # type: ignore[attr-defined]
    assert shown != full and shown.endswith("…")
    head = shown.removesuffix("…")
    assert full.startswith(head) and full[len(head)] in " ,;:"


# -- vendor fields ----------------------------------------------------------------------

ANDROID_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Smith\r\n"
    "X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;{nick};1;;;;;;;;;;;;;\r\n"
    "X-ANDROID-CUSTOM:vnd.android.cursor.item/relation;Jane;14;;;;;;;;;;;;;\r\n"
    "X-ANDROID-CUSTOM:vnd.android.cursor.item/contact_event;2001-05-04;1;;;;;;;;;;;;;\r\n"
    "X-ANDROID-CUSTOM:vnd.android.cursor.item/contact_event;1970-01-02;3;;;;;;;;;;;;;\r\n"
    "X-ANDROID-CUSTOM:vnd.android.cursor.item/website;https://bob.example;7;;;;;;;;;;;;;\r\n"
    "X-ANDROID-CUSTOM:vnd.android.cursor.item/relation;Kim;0;Godmother;;;;;;;;;;;;\r\n"
    "item1.X-ABRELATEDNAMES:Jane Smith\r\nitem1.X-ABLabel:_$!<Spouse>!$_\r\n"
    "item2.X-ABDATE:2004-06-10\r\nitem2.X-ABLabel:_$!<Anniversary>!$_\r\n"
    "X-SOCIALPROFILE;type=twitter:https://twitter.com/bob\r\n"
    "X-PHONETIC-LAST-NAME:Smiθ\r\n"
    "END:VCARD\r\n"
)


def test_vendor_fields_are_labelled_in_words() -> None:
    a = ANDROID_CARD.format(nick="Bobby").encode()
    b = ANDROID_CARD.format(nick="Rob").encode()
    rows = {(r.label, r.a, r.b) for r in field_rows(a, b)}
    assert ("Nickname", "Bobby", "Rob") in rows  # a changed nickname is one row
    assert ("Related name (spouse)", "Jane", "Jane") in rows
    assert ("Related name (Godmother)", "Kim", "Kim") in rows
    assert ("Date (anniversary)", "2001-05-04", "2001-05-04") in rows
    assert ("Birthday", "1970-01-02", "1970-01-02") in rows
    assert ("Website", "https://bob.example", "https://bob.example") in rows
    assert ("Related name (spouse)", "Jane Smith", "Jane Smith") in rows
    assert ("Date (anniversary)", "2004-06-10", "2004-06-10") in rows
    twitter = "https://twitter.com/bob"
    assert ("Social profile (twitter)", twitter, twitter) in rows
    assert ("Phonetic last name", "Smiθ", "Smiθ") in rows
    assert not any("vnd.android" in str(row) for row in rows)


def test_the_conflict_table_shows_an_android_nickname_as_nickname(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    a = ANDROID_CARD.format(nick="Bobby").encode()
    b = ANDROID_CARD.format(nick="Rob").encode()
    rows = tuple(
        FieldRow(r.field, r.label, r.a, r.b, "same" if r.same else "clash")
        for r in field_rows(a, b)
    )
    base = make_conflict("c1", item="Bob Smith")
    detail = ConflictDetail(
        replace(base.view, a=a, b=b), rows, base.a_changed, base.b_changed, True, ()
    )
    fake.add_conflict(detail)
    settle(qtbot, controller)
    dialog = ConflictDialog(controller)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=5000)
    table = dialog.table
    shown = [
        tuple(table.item(r, c).text() for c in (FIELD, SIDE_A, SIDE_B))  # type: ignore[union-attr]
        for r in range(table.rowCount())
    ]
    assert ("Nickname", "Bobby", "Rob") in shown
    assert not any("vnd.android" in cell for row in shown for cell in row)


# -- Merge mode keeps the list readable -------------------------------------------------


def test_merge_mode_keeps_every_name_in_the_list_whole(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    names = [
        "Grace Hopper",
        "Alexandria Ocasio-Cortez Montgomery",
        "Bartholomew Fitzgerald-Smythe",
        "Ada Lovelace",
    ]
    for i, name in enumerate(names):
        fake.add_conflict(make_conflict(f"c{i}", item=name))
    settle(qtbot, controller)
    dialog = ConflictDialog(controller)  # at its default size
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=5000)
    settle(qtbot, controller)
    qtbot.mouseClick(dialog.merge, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    assert not dialog.table.isColumnHidden(3)  # merging
    QApplication.processEvents()
    listing = dialog.list
    assert not listing.horizontalScrollBar().isVisible()
    fm = listing.fontMetrics()
    width = listing.viewport().width()
    for i in range(listing.count()):
        item = listing.item(i)
        rect = listing.visualItemRect(item)
        assert rect.right() <= listing.viewport().rect().right() + 1
        needed = fm.boundingRect(
            QRect(0, 0, width - fm.averageCharWidth(), 10_000),
            int(Qt.TextFlag.TextWordWrap),
            item.text(),
        )
        assert needed.height() <= rect.height(), item.text()  # no line is cut off
        for word in item.text().split():
            assert fm.horizontalAdvance(word) < width, word  # no word runs out of view
