"""Desktop integration and the one version number: the desktop entry and the AppStream
metainfo pass their validators, the metainfo names what exists (the desktop entry, the
screenshots in docs/, the commands), the icons are at their sizes, and the version is the
same in the package, both commands, the About box, the metainfo and CHANGELOG.md."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything loads Qt (About)

import configparser
import re
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import syncgui
from syncgui import APP_ID, __version__

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
DESKTOP = RESOURCES / f"{APP_ID}.desktop"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"
HICOLOR = RESOURCES / "icons" / "hicolor"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
SCREENSHOTS = "https://raw.githubusercontent.com/syncgui/syncgui/main/docs/screenshots/"
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: scripts/setup-system installs it")
    return found


def _metainfo() -> ET.Element:
    return ET.parse(METAINFO).getroot()


def _desktop_entry() -> configparser.SectionProxy:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    return entry["Desktop Entry"]


def _changelog_releases() -> list[tuple[str, str]]:
    return RELEASE.findall((ROOT / "CHANGELOG.md").read_text("utf-8"))


def _metainfo_releases() -> list[tuple[str, str]]:
    return [(r.get("version", ""), r.get("date", "")) for r in _metainfo().iter("release")]


def test_the_desktop_entry_validates_clean() -> None:
    done = subprocess.run(
        [_tool("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_metainfo_validates_without_errors_or_warnings() -> None:
    done = subprocess.run(
        [_tool("appstreamcli"), "validate", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # infos and pedantic notes are allowed: AppStream 0.16 (Debian 12) does not know
    # <developer>, which AppStream 1.0 asks for, and the app id has capitals by design
    assert not re.search(r"^[EW]: ", output, re.MULTILINE), output


def test_the_metainfo_launches_the_desktop_entry_with_the_same_icon() -> None:
    root = _metainfo()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    [launchable] = root.findall("launchable")
    assert launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name
    entry = _desktop_entry()
    assert entry["Icon"] == APP_ID
    assert (HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_the_metainfo_provides_both_commands() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    commands = {*project["scripts"], *project["gui-scripts"]}
    binaries = {b.text for b in _metainfo().iter("binary")}
    assert binaries == commands == {"syncgui", "syncgui-cli"}


def test_every_screenshot_is_one_in_docs() -> None:
    screenshots = _metainfo().findall("screenshots/screenshot")
    assert screenshots
    assert [s.get("type") for s in screenshots].count("default") == 1
    for shot in screenshots:
        assert (shot.findtext("caption") or "").strip()
        [image] = shot.findall("image")
        url = image.text or ""
        assert url.startswith(SCREENSHOTS), url
        local = ROOT / "docs" / "screenshots" / url.removeprefix(SCREENSHOTS)
        assert local.is_file(), f"{url} names no file in docs/screenshots"
        assert (int(image.get("width", 0)), int(image.get("height", 0))) == _png_size(local)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.mark.parametrize("size", PNG_SIZES)
def test_the_icon_png_is_its_size(size: int) -> None:
    png = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    assert _png_size(png) == (size, size)


def test_the_release_lists_agree_and_the_newest_is_this_version() -> None:
    changelog = _changelog_releases()
    assert changelog, "CHANGELOG.md lists no release"
    assert _metainfo_releases() == changelog  # the same versions and dates, newest first
    assert changelog[0][0] == __version__


def test_the_commands_print_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    from syncgui.cli import main as cli_main
    from syncgui.gui.app import parse_args

    with pytest.raises(SystemExit) as ended:
        cli_main(["--version"])
    assert ended.value.code == 0
    assert capsys.readouterr().out == f"syncgui-cli {__version__}\n"
    with pytest.raises(SystemExit) as ended:
        parse_args(["--version"])
    assert ended.value.code == 0
    assert capsys.readouterr().out == f"syncgui {__version__}\n"


def test_the_about_box_shows_the_version(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QWidget

    from syncgui.gui import window_actions

    shown: list[str] = []
    monkeypatch.setattr(
        window_actions.QMessageBox, "about", lambda _parent, _title, text: shown.append(text)
    )
    # the box needs only a parent
    window_actions.WindowActions(QWidget()).show_about()  # type: ignore[arg-type]
    [text] = shown
    assert f"syncgui {__version__}" in text


def test_the_package_reads_the_version_from_syncgui() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "syncgui.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", syncgui.__version__)
