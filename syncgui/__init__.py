"""syncgui: a desktop sync manager for contacts, built on Sync Framework style knowledge."""

# the one version number: the package's (pyproject.toml reads it), --version, About, and the
# release list in CHANGELOG.md and resources/io.github.syncgui.SyncGui.metainfo.xml
__version__ = "0.9.0"
# the app id: the desktop entry's and the icon's name, the AppStream id, Wayland's app id
APP_ID = "io.github.syncgui.SyncGui"

# Before any of syncgui's dataclasses is made: their generated methods compile once, not at
# every start (see syncgui.dataclass_cache).
from syncgui import dataclass_cache as _dataclass_cache  # noqa: E402

_dataclass_cache.install()
