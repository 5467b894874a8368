"""Translations: Qt's own for the locale, and a translator's syncgui_<locale>.qm made with
pyside6-lupdate and pyside6-lrelease from the app's sources."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton
from pytestqt.qtbot import QtBot

from syncgui.gui import i18n
from syncgui.gui.conflict_dialog import ConflictDialog
from syncgui.gui.conflict_table import FIELD, FIELD_LABELS, field_label
from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow
from syncgui.providers.vcard.compare import LABELS
from syncgui.providers.vcard.vendor import labels
from tests.gui.fake_service import FakeDesktop, make_conflict

GUI = Path(__file__).resolve().parents[2] / "syncgui" / "gui"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (PySide6's tools make the test .qm)")
    return found


@pytest.fixture
def installed(qapp: QApplication) -> Iterator[list[QTranslator]]:
    """Collects the test's translators; afterwards they and its default locale go."""
    before = QLocale()
    translators: list[QTranslator] = []
    yield translators
    for translator in translators:
        qapp.removeTranslator(translator)
    QLocale.setDefault(before)


@pytest.fixture
def german(installed: list[QTranslator]) -> list[QTranslator]:
    """German is the default locale (as on a German desktop)."""
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    return installed


def _lupdate(ts: Path) -> ET.ElementTree[ET.Element]:
    """The app's texts extracted as a translator does, into ``ts``."""
    subprocess.run(
        [_tool("pyside6-lupdate"), "-extensions", "py", str(GUI), "-ts", str(ts)],
        check=True,
        capture_output=True,
    )
    return ET.parse(ts)


def _german_qm(folder: Path, translations: dict[tuple[str, str], str]) -> None:
    """Extract the app's texts as a translator does, translate ``translations`` ((context,
    source) -> text) and compile folder/syncgui_de.qm."""
    ts = folder / "syncgui_de.ts"
    tree = _lupdate(ts)
    done = set()
    for context in tree.getroot().iter("context"):
        for message in context.iter("message"):
            key = (context.findtext("name") or "", message.findtext("source") or "")
            if key in translations:
                translation = message.find("translation")
                assert translation is not None
                translation.text = translations[key]
                translation.attrib.pop("type", None)
                done.add(key)
    assert done == set(translations), "lupdate did not extract these texts in their context"
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    qm = folder / "syncgui_de.qm"
    subprocess.run(
        [_tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True
    )
    assert qm.is_file()


def test_a_german_qm_translates_the_window_and_qt_its_buttons(
    qtbot: QtBot,
    qapp: QApplication,
    controller: AppController,
    german: list[QTranslator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "translations"
    folder.mkdir()
    _german_qm(
        folder,
        {
            ("MainWindow", "S&ync all"): "Alles s&ynchronisieren",
            ("MainWindow", "&File"): "&Datei",
        },
    )
    monkeypatch.setattr(i18n, "translations_dir", lambda: folder)
    german += i18n.install_translations(qapp)
    assert [Path(t.filePath()).name for t in german] == ["qtbase_de.qm", "syncgui_de.qm"]
    window = MainWindow(controller, True)
    qtbot.addWidget(window)
    assert window.sync_all_action.text() == "Alles s&ynchronisieren"
    assert window.menuBar().actions()[0].text() == "&Datei"
    assert window.cancel_all_action.text() == "&Cancel all"  # untranslated: English
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel is not None and cancel.text() == "Abbrechen"  # Qt's own translation


def test_without_a_translations_folder_only_qt_is_translated(
    qapp: Any, german: list[QTranslator], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(i18n, "translations_dir", lambda: None)
    german += i18n.install_translations(qapp)
    assert [Path(t.filePath()).name for t in german] == ["qtbase_de.qm"]


def test_a_locale_without_our_file_installs_nothing_of_ours(
    qapp: Any, installed: list[QTranslator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    monkeypatch.setattr(i18n, "translations_dir", lambda: tmp_path)  # an empty folder
    installed += i18n.install_translations(qapp)
    assert [Path(t.filePath()).name for t in installed] == ["qtbase_fr.qm"]


def test_lupdate_extracts_the_texts_in_the_context_the_code_looks_them_up_in(
    tmp_path: Path,
) -> None:
    root = _lupdate(tmp_path / "syncgui.ts").getroot()
    found = {
        (context.findtext("name") or "", message.findtext("source") or "")
        for context in root.iter("context")
        for message in context.iter("message")
    }
    assert {
        ("wording", "Merge"),  # wording.py's own texts
        ("wording", "Synced %1: %2"),
        ("wording", "{n} conflict"),  # both forms of a plural, in wording.py and in a view
        ("wording", "{n} conflicts"),
        ("PartnershipsView", "{n} conflict"),
        ("PartnershipsView", "{n} conflicts"),
        ("AppController", "Sync failed"),  # the problems' notification titles
        ("AppController", "Sync stopped"),
        ("AppController", "{n} items could not be synced in %1."),
        ("FieldLabel", "Phone"),  # the providers' field labels
    } <= found
    field_labels = {source for context, source in found if context == "FieldLabel"}
    assert field_labels == set(LABELS.values()) | labels()
    assert not {source for context, source in found if not context}  # nothing out of context


def test_the_gui_lists_every_field_label_of_the_providers() -> None:
    assert sorted(map(str, FIELD_LABELS)) == sorted(set(LABELS.values()) | labels())


def test_plural_forms_are_translated_where_they_are_written() -> None:
    """``fmt.plural`` does not translate: each form is a ``tr``/``translate`` call that
    lupdate sees (a bare literal would never be translated)."""
    untranslated = []
    for path in sorted(GUI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name != "plural":
                continue
            for form in node.args[1:]:
                called = form.func if isinstance(form, ast.Call) else None
                called_name = (
                    called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
                )
                if called_name not in ("tr", "translate"):
                    untranslated.append(f"{path.name}:{form.lineno}")
    assert untranslated == []


def test_a_german_qm_translates_plurals_formats_notes_and_field_labels(
    qtbot: QtBot,
    qapp: QApplication,
    fake: FakeDesktop,
    controller: AppController,
    german: list[QTranslator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "translations"
    folder.mkdir()
    _german_qm(
        folder,
        {
            ("PartnershipsView", "{n} conflicts"): "{n} Konflikte",
            ("wording", "Merge"): "Zusammenführen",
            ("AppController", "Sync failed"): "Synchronisierung fehlgeschlagen",
            ("FieldLabel", "Phone"): "Telefon",
            ("FieldLabel", "Email"): "E-Mail",
        },
    )
    monkeypatch.setattr(i18n, "translations_dir", lambda: folder)
    german += i18n.install_translations(qapp)
    fake.add_conflict(make_conflict("c1"))
    fake.add_conflict(make_conflict("c2", item="Ada Lovelace"))
    controller.refresh()
    window = MainWindow(controller, True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: controller.pending_work() == 0, timeout=5000)
    badge = window.findChild(QPushButton, "conflicts:phone")
    assert badge is not None and badge.text() == "2 Konflikte"
    row = window.partnerships.tree.topLevelItem(0)
    assert row is not None and row.text(2) == "Zusammenführen"

    dialog = ConflictDialog(controller, None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 4, timeout=5000)
    labels = [dialog.table.item(r, FIELD).text() for r in range(4)]  # type: ignore[union-attr]
    assert labels == ["Name", "E-Mail", "Telefon", "Note"]  # Name, Note: untranslated
    assert field_label("Email (NASA)") == "E-Mail (NASA)"  # the card's own word stays

    fake.script("phone", raises=RuntimeError("helper crashed"))
    with qtbot.waitSignal(controller.notify, timeout=5000) as blocker:
        controller.sync()
    assert blocker.args[0] == "Synchronisierung fehlgeschlagen"
