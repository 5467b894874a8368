"""Contacts matched as the same person in the GUI: the wizard's preview lists them with a
tick box each (all ticked) and the possible duplicates; an unticked match is refused for the
partnership before its first sync; the activity view counts matched contacts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from syncgui.engine import SessionResult
from syncgui.gui.activity_view import ActivityView
from syncgui.gui.controller import AppController
from syncgui.gui.match_preview import MatchModel, MatchPreview, match_rows
from syncgui.gui.wizard import PartnershipWizard
from syncgui.service import Partnership
from tests.gui.fake_service import FakeDesktop, make_match, make_possible
from tests.gui.support import settle
from tests.gui.test_screens import dark_palette

BOOK, EXPORT = "vdir:/home/me/Contacts", "vcf:/home/me/phone-export.vcf"
PEOPLE = [
    ("Ada Lovelace", "ada-lovelace.vcf", "3f1c0b2e-ada"),
    ("Alan Turing", "alan.vcf", "alan-turing"),
    ("Grace Hopper", "grace-hopper.vcf", "7a9e44d1-grace"),
]


def _result(n_people: int = 3, possible: int = 1) -> SessionResult:
    result = SessionResult("Export", dry_run=True)
    result.matched = [make_match(*p) for p in PEOPLE[:n_people]]
    result.possible_duplicates = [
        make_possible("Ann Lee", ["ann.vcf", "ann-lee.vcf"], ["ann-lee"])
    ][:possible]
    return result


def test_the_model_lists_every_match_ticked_and_an_untick_is_a_refused_pair(qapp: object) -> None:
    model = MatchModel()
    ticked: list[int] = []
    model.ticked_changed.connect(ticked.append)
    model.set_rows(match_rows(_result()), "Contacts", "phone-export.vcf")
    assert model.rowCount() == 3 and model.columnCount() == 3
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
        "Name",
        "Contacts",
        "phone-export.vcf",
    ]
    rows = [[model.data(model.index(r, c)) for c in range(3)] for r in range(3)]
    assert rows == [list(p) for p in PEOPLE]
    check = Qt.ItemDataRole.CheckStateRole
    assert all(model.data(model.index(r, 0), check) == Qt.CheckState.Checked for r in range(3))
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.refused() == [] and ticked == [3]

    assert model.setData(model.index(1, 0), Qt.CheckState.Unchecked.value, check)
    assert model.data(model.index(1, 0), check) == Qt.CheckState.Unchecked
    assert model.refused() == [(b"a:alan.vcf", b"b:alan-turing")]
    assert ticked == [3, 2]
    model.set_ticked(1, True)
    assert model.refused() == [] and ticked == [3, 2, 3]
    assert not model.setData(model.index(1, 1), Qt.CheckState.Unchecked.value, check)


def test_the_preview_says_how_many_will_be_combined_and_what_unticking_does(
    qtbot: QtBot,
) -> None:
    preview = MatchPreview()
    qtbot.addWidget(preview)
    preview.show_result(_result(), "Contacts", "phone-export.vcf")
    assert preview.isVisibleTo(preview.parentWidget() or preview)
    assert preview.heading.text() == (
        "3 contacts matched as the same person (will be combined). Untick any that is not "
        "the same person: its two contacts are then kept apart."
    )
    preview.model.set_ticked(0, False)
    assert preview.heading.text() == (
        "3 contacts matched as the same person; 2 will be combined. The 1 unticked is kept "
        "as two separate contacts."
    )
    assert preview.refused() == [(b"a:ada-lovelace.vcf", b"b:3f1c0b2e-ada")]
    dup = preview.duplicates.topLevelItem(0)
    assert dup is not None
    assert [dup.text(c) for c in range(3)] == ["Ann Lee", "ann.vcf, ann-lee.vcf", "ann-lee"]
    assert preview.duplicates.headerItem().text(2) == "phone-export.vcf"

    preview.show_result(_result(1, 0), "Contacts", "phone-export.vcf")
    assert preview.heading.text().startswith(
        "1 contact matched as the same person (will be combined)."
    )
    assert preview.refused() == []  # a new preview starts all ticked
    assert preview.duplicates.isHidden() and preview.duplicates_heading.isHidden()
    preview.show_result(SessionResult("Export", dry_run=True), "Contacts", "x")
    assert preview.isHidden()  # nothing matched: no section at all


def _open_at_preview(
    qtbot: QtBot, fake: FakeDesktop, ctl: AppController, *, script: bool = True
) -> PartnershipWizard:
    """The wizard with a folder and a .vcf file that both hold contacts, added as "Export",
    on its ready page with the preview shown."""
    fake.counts = {BOOK: 40, EXPORT: 38}
    if script:
        result = _result()
        fake.script("Export", matched=result.matched, possible=result.possible_duplicates)
        fake.script("Export", matched=result.matched, possible=result.possible_duplicates)
    wizard = PartnershipWizard(ctl)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.page_a.folder_edit.setText(BOOK.removeprefix("vdir:"))
    wizard.next()
    wizard.page_b.file_radio.setChecked(True)
    wizard.page_b.file_edit.setText(EXPORT.removeprefix("vcf:"))
    wizard.next()
    wizard.settings.name.setText("Export")
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    qtbot.mouseClick(commit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.ready, timeout=5000)
    qtbot.waitUntil(lambda: "would do this" in wizard.ready.preview.text(), timeout=5000)
    return wizard


def test_the_wizard_preview_lists_matches_and_an_untick_is_refused_before_the_first_sync(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    wizard = _open_at_preview(qtbot, fake, controller)
    matches = wizard.ready.matches
    assert matches.isVisible() and matches.table.isVisible()
    assert matches.model.rowCount() == 3
    assert matches.heading.text().startswith("3 contacts matched as the same person")
    assert matches.duplicates.topLevelItemCount() == 1
    matches.model.set_ticked(2, False)  # Grace Hopper: not the same person
    assert fake.called("refuse_matches") == []  # nothing is stored before Finish
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    pair = (b"a:grace-hopper.vcf", b"b:7a9e44d1-grace")
    assert fake.called("refuse_matches") == [("Export", frozenset({pair}))]
    # the refusal was stored before the first sync ran
    methods = [m for m, _a in fake.calls if m in ("refuse_matches", "sync")]
    assert methods == ["sync", "refuse_matches", "sync"]  # preview, refusal, first sync
    assert fake.called("sync")[-1] == (["Export"], "manual", False, False)
    assert fake.book["Export"].refused_matches == {pair}
    [record] = fake.sessions("Export")
    assert record.matched == 2  # the refused one was not combined


def test_not_now_still_keeps_the_refusal_and_syncs_nothing(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    wizard = _open_at_preview(qtbot, fake, controller)
    wizard.ready.matches.model.set_ticked(0, False)
    wizard.ready.not_now.click()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert fake.book["Export"].refused_matches == {(b"a:ada-lovelace.vcf", b"b:3f1c0b2e-ada")}
    assert [c[2] for c in fake.called("sync")] == [True]  # the preview only


def test_with_every_match_ticked_nothing_is_refused(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    wizard = _open_at_preview(qtbot, fake, controller)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert fake.called("refuse_matches") == []
    assert fake.called("sync")[-1] == (["Export"], "manual", False, False)
    assert fake.sessions("Export")[0].matched == 3


def test_a_refusal_that_cannot_be_stored_syncs_nothing_and_is_a_problem(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController, monkeypatch: pytest.MonkeyPatch
) -> None:
    wizard = _open_at_preview(qtbot, fake, controller)

    def broken(name: str, pairs: object) -> Partnership:
        raise OSError("disk full")

    monkeypatch.setattr(fake, "refuse_matches", broken)
    wizard.ready.matches.model.set_ticked(0, False)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    settle(qtbot, controller)
    assert [c[2] for c in fake.called("sync")] == [True]  # no real sync
    [problem] = controller.problems()
    assert problem.partnership == "Export"
    assert "could not be kept apart, so nothing was synced" in problem.message
    assert "disk full" in problem.message


def test_a_preview_without_matches_shows_no_match_section(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    wizard = _open_at_preview(qtbot, fake, controller, script=False)
    assert wizard.ready.matches.isHidden()
    assert wizard.ready.refused() == []


def test_the_activity_counts_matched_contacts_and_lists_them(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    result = _result()
    fake.script("phone", created=0, matched=result.matched, possible=result.possible_duplicates)
    fake.sync(["phone"])
    controller.refresh()
    settle(qtbot, controller)
    view = ActivityView(controller)
    qtbot.addWidget(view)
    session = view.tree.topLevelItem(0)
    assert session is not None
    assert session.text(3) == "3 matched as the same person"
    children = [
        (session.child(i).text(2), session.child(i).text(3)) for i in range(session.childCount())
    ]
    assert children == [
        ("Same person", "Ada Lovelace (ada-lovelace.vcf on book, 3f1c0b2e-ada on phone)"),
        ("Same person", "Alan Turing (alan.vcf on book, alan-turing on phone)"),
        ("Same person", "Grace Hopper (grace-hopper.vcf on book, 7a9e44d1-grace on phone)"),
        ("Possible duplicate", "Ann Lee"),
    ]
    row = controller.row("phone")
    assert row is not None and row.last is not None and row.last.matched == 3


def test_screenshot_of_the_preview(
    qtbot: QtBot, qapp: QApplication, fake: FakeDesktop, controller: AppController, tmp_path: Path
) -> None:
    """The ready page with 3 matches (one unticked) and a possible duplicate, in a light and
    a dark palette: $SYNCGUI_ARTIFACTS/offscreen-matches (default: the test's folder)."""
    artifacts = os.environ.get("SYNCGUI_ARTIFACTS")
    folder = Path(artifacts) / "offscreen-matches" if artifacts else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    original = qapp.palette()
    try:
        for theme, palette in (("light", original), ("dark", dark_palette())):
            qapp.setPalette(palette)
            fake.book.pop("Export", None)
            wizard = _open_at_preview(qtbot, fake, controller)
            wizard.ready.matches.model.set_ticked(1, False)
            qtbot.wait(50)
            path = folder / f"wizard-preview-{theme}.png"
            assert wizard.grab().toImage().save(str(path))
            assert path.stat().st_size > 0
            wizard.ready.not_now.click()
            wizard.accept()
            settle(qtbot, controller)
    finally:
        qapp.setPalette(original)
