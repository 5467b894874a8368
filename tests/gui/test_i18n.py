"""Translations: Qt's own for the locale, and a translator's syncgui_<locale>.qm made with
pyside6-lupdate and pyside6-lrelease from the app's sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from syncgui.gui import i18n
from syncgui.gui.controller import AppController
from syncgui.gui.main_window import MainWindow

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


def _german_qm(folder: Path, translations: dict[tuple[str, str], str]) -> None:
    """Extract the app's texts as a translator does, translate ``translations`` ((context,
    source) -> text) and compile folder/syncgui_de.qm."""
    ts = folder / "syncgui_de.ts"
    subprocess.run(
        [_tool("pyside6-lupdate"), "-extensions", "py", str(GUI), "-ts", str(ts)],
        check=True,
        capture_output=True,
    )
    tree = ET.parse(ts)
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
