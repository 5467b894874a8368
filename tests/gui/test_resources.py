"""The icon, the desktop entry and the translations: found by the app, valid, and installed
with the package."""

from __future__ import annotations

import configparser
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pytest
from PySide6.QtSvg import QSvgRenderer

from syncgui import APP_ID
from syncgui.gui import resources
from syncgui.gui.resources import (
    DESKTOP_ENTRY,
    ICON_SVG,
    METAINFO,
    resource_path,
    translations_dir,
)

ROOT = Path(__file__).resolve().parents[2]
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)


def _data_files() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    data: dict[str, list[str]] = project["tool"]["setuptools"]["data-files"]
    return data


def test_the_icon_is_found_and_renders(qapp: object) -> None:
    renderer = QSvgRenderer(str(resource_path(ICON_SVG)))
    assert renderer.isValid()
    assert renderer.defaultSize().width() == renderer.defaultSize().height() > 0


def test_the_desktop_entry_starts_the_app_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(resource_path(DESKTOP_ENTRY), encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Exec"].split()[0] == main["TryExec"] == "syncgui"
    assert main["Icon"] == APP_ID
    assert main["StartupWMClass"] == "syncgui"  # the X11 class: Qt's application name
    assert main["Categories"].endswith(";")


def test_the_package_installs_them_where_desktops_look() -> None:
    data = _data_files()
    assert data["share/applications"] == [f"resources/{DESKTOP_ENTRY}"]
    assert data["share/metainfo"] == [f"resources/{METAINFO}"]
    assert data["share/icons/hicolor/scalable/apps"] == [f"resources/{ICON_SVG}"]
    for size in PNG_SIZES:
        folder = f"icons/hicolor/{size}x{size}/apps"
        assert data[f"share/{folder}"] == [f"resources/{folder}/{APP_ID}.png"]
    assert data["share/syncgui/translations"] == ["resources/translations/*.qm"]
    assert data["share/doc/syncgui"] == ["docs/guide.md"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert project["project"]["gui-scripts"]["syncgui"] == "syncgui.gui.app:main"


def test_share_syncgui_is_laid_out_as_resources() -> None:
    """What the app looks up under ``resources/`` is at the same place under
    ``share/syncgui`` in the wheel (the frozen build bundles resources/ there whole)."""
    installed: set[PurePosixPath] = set()
    for target, sources in _data_files().items():
        if target == "share/syncgui" or target.startswith("share/syncgui/"):
            for source in sources:
                where = PurePosixPath(target).relative_to("share/syncgui")
                assert PurePosixPath(source).parent == PurePosixPath("resources") / where
                installed.add(where / PurePosixPath(source).name)
    assert {PurePosixPath(ICON_SVG), PurePosixPath(DESKTOP_ENTRY)} <= installed
    for target, sources in _data_files().items():
        for source in sources:
            if "*" not in source:
                assert (ROOT / source).is_file(), f"{target}: {source} is missing"


def test_an_installation_is_found_under_its_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel's data files or the frozen build's bundle: ``<sys.prefix>/share/syncgui``
    and ``<sys.prefix>/share/doc/syncgui``."""
    share = tmp_path / "prefix" / "share"
    icon = share / "syncgui" / ICON_SVG
    icon.parent.mkdir(parents=True)
    icon.write_bytes((ROOT / "resources" / ICON_SVG).read_bytes())
    (share / "doc" / "syncgui").mkdir(parents=True)
    (share / "doc" / "syncgui" / "guide.md").write_text("# Guide\n")
    monkeypatch.setattr(resources, "_CHECKOUT", tmp_path / "no checkout" / "resources")
    monkeypatch.setattr(resources, "_ROOT", tmp_path / "no checkout")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert resource_path(ICON_SVG) == icon
    assert resources.guide_path() == share / "doc" / "syncgui" / "guide.md"


def test_the_translations_folder_is_optional(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "_candidates", lambda: [tmp_path / "a", tmp_path / "b"])
    assert translations_dir() is None
    (tmp_path / "b" / "translations").mkdir(parents=True)
    assert translations_dir() == tmp_path / "b" / "translations"
