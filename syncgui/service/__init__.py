"""The service layer: partnerships, settings and paths, sync jobs, conflicts and history.

No Qt here: the CLI and the GUI are both clients of :class:`SyncService`."""

from __future__ import annotations

from syncgui.service.config import Partnership
from syncgui.service.errors import AlreadySyncing, ConfigError
from syncgui.service.facade import ConflictView, SyncService
from syncgui.service.history import HistoryEntry
from syncgui.service.paths import Paths, resolve_paths

__all__ = [
    "AlreadySyncing",
    "ConfigError",
    "ConflictView",
    "HistoryEntry",
    "Partnership",
    "Paths",
    "SyncService",
    "resolve_paths",
]
