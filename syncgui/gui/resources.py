"""Where the app's resources are: the icon, the desktop entry and the translations.

They live in the project's top-level ``resources/`` folder. An installed package carries
them as data files in ``<prefix>/share/syncgui`` (and the freedesktop places
``share/applications`` and ``share/icons/hicolor/scalable/apps``, so menus find them); a
checkout (an editable install) reads them from the folder itself."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2] / "resources"


def _candidates() -> list[Path]:
    places = [_CHECKOUT, Path(sys.prefix) / "share" / "syncgui"]
    for scheme_path in (sysconfig.get_path("data"), sysconfig.get_path("data", "posix_user")):
        if scheme_path:
            places.append(Path(scheme_path) / "share" / "syncgui")
    return places


def resource_path(name: str) -> Path:
    """The path of resource ``name`` (e.g. "syncgui.svg"); raises FileNotFoundError with
    the places looked at when the installation lacks it."""
    tried = _candidates()
    for folder in tried:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    where = ", ".join(str(p) for p in tried)
    raise FileNotFoundError(f"resource {name!r} is missing from this installation ({where})")


def translations_dir() -> Path | None:
    """The folder of syncgui's own translations (``syncgui_<locale>.qm``), or None when this
    installation has none."""
    for folder in _candidates():
        candidate = folder / "translations"
        if candidate.is_dir():
            return candidate
    return None
