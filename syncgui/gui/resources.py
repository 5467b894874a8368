"""Where the app's resources are: the icon, the desktop entry, the translations and the
user guide.

They live in the project's top-level ``resources/`` folder (the guide in ``docs/``), named
by the app id (``syncgui.APP_ID``). An installation carries that folder's layout in
``<prefix>/share/syncgui`` and the guide in ``<prefix>/share/doc/syncgui``: the wheel as
data files (and the freedesktop places ``share/applications``, ``share/icons/hicolor``
and ``share/metainfo``, so menus and software centres find them), the frozen build
(PyInstaller) under its ``sys.prefix``. A checkout (an editable install) reads them from
the folders themselves."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from syncgui import APP_ID

_ROOT = Path(__file__).resolve().parents[2]
_CHECKOUT = _ROOT / "resources"
GUIDE = "guide.md"
DESKTOP_ENTRY = f"{APP_ID}.desktop"
METAINFO = f"{APP_ID}.metainfo.xml"
ICON_SVG = f"icons/hicolor/scalable/apps/{APP_ID}.svg"


def _prefixes() -> list[Path]:
    """Where an installation's ``share`` folders may be."""
    places = [Path(sys.prefix)]
    for scheme_path in (sysconfig.get_path("data"), sysconfig.get_path("data", "posix_user")):
        if scheme_path:
            places.append(Path(scheme_path))
    return places


def _candidates() -> list[Path]:
    return [_CHECKOUT, *(prefix / "share" / "syncgui" for prefix in _prefixes())]


def _guide_candidates() -> list[Path]:
    return [_ROOT / "docs", *(prefix / "share" / "doc" / "syncgui" for prefix in _prefixes())]


def resource_path(name: str) -> Path:
    """The path of resource ``name`` (e.g. :data:`ICON_SVG`); raises FileNotFoundError with
    the places looked at when the installation lacks it."""
    return _first_file(_candidates(), name, "resource")


def translations_dir() -> Path | None:
    """The folder of syncgui's own translations (``syncgui_<locale>.qm``), or None when this
    installation has none."""
    for folder in _candidates():
        candidate = folder / "translations"
        if candidate.is_dir():
            return candidate
    return None


def guide_path() -> Path:
    """The user guide (``docs/guide.md``, Markdown); raises FileNotFoundError with the
    places looked at when the installation lacks it."""
    return _first_file(_guide_candidates(), GUIDE, "the guide")


def _first_file(folders: list[Path], name: str, what: str) -> Path:
    """``name`` in the first of ``folders`` that has it; FileNotFoundError naming them all."""
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    where = ", ".join(str(p) for p in folders)
    raise FileNotFoundError(f"{what} {name!r} is missing from this installation ({where})")
