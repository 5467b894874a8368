"""The icon, the desktop entry and the translations: found by the app, valid, and installed
with the package."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

import pytest
from PySide6.QtSvg import QSvgRenderer

from syncgui.gui import resources
from syncgui.gui.resources import resource_path, translations_dir

ROOT = Path(__file__).resolve().parents[2]


def test_the_icon_is_found_and_renders(qapp: object) -> None:
    renderer = QSvgRenderer(str(resource_path("syncgui.svg")))
    assert renderer.isValid()
    assert renderer.defaultSize().width() == renderer.defaultSize().height() > 0


def test_the_desktop_entry_starts_the_app_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(resource_path("syncgui.desktop"), encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Exec"].split()[0] == "syncgui"
    assert main["Icon"] == "syncgui"
    assert main["Categories"].endswith(";")


def test_the_package_installs_both_where_desktops_look() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    data = project["tool"]["setuptools"]["data-files"]
    assert "resources/syncgui.desktop" in data["share/applications"]
    assert "resources/syncgui.svg" in data["share/icons/hicolor/scalable/apps"]
    assert set(data["share/syncgui"]) == {"resources/syncgui.svg", "resources/syncgui.desktop"}
    assert data["share/syncgui/translations"] == ["resources/translations/*.qm"]
    assert project["project"]["gui-scripts"]["syncgui"] == "syncgui.gui.app:main"


def test_the_translations_folder_is_optional(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "_candidates", lambda: [tmp_path / "a", tmp_path / "b"])
    assert translations_dir() is None
    (tmp_path / "b" / "translations").mkdir(parents=True)
    assert translations_dir() == tmp_path / "b" / "translations"
