"""Service-level errors: configuration mistakes and contention."""

from __future__ import annotations

from syncgui.engine.errors import SyncError


class ConfigError(SyncError):
    """A usage or configuration mistake (unknown partnership, bad store spec...)."""

    title = "Configuration error"


class AlreadySyncing(SyncError):
    """Another sync of the same partnership or store is running."""

    title = "Already syncing"
