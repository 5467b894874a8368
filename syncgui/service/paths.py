"""Where syncgui keeps things: user settings apart from app state and metadata databases.

Order of precedence: explicit flag, then ``SYNCGUI_CONFIG_DIR`` / ``SYNCGUI_DATA_DIR``,
then the platform's user directories (platformdirs)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "syncgui"


@dataclass(frozen=True, slots=True)
class Paths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def partnerships_file(self) -> Path:
        return self.config_dir / "partnerships.json"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def schedules_file(self) -> Path:
        """When the desktop app syncs each partnership by itself."""
        return self.config_dir / "schedules.json"

    @property
    def sessions_db(self) -> Path:
        """The record of finished sessions (the desktop app's activity view)."""
        return self.data_dir / "sessions.sqlite"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite"

    def replica_db(self, identity: str) -> Path:
        """One metadata database per store identity: one store is one replica."""
        return self.data_dir / "replicas" / f"{_digest(identity)}.sqlite"

    @property
    def bases_db(self) -> Path:
        """Merge bases, shared by every partnership (see syncgui.engine.merge_bases)."""
        return self.data_dir / "bases.sqlite"

    def lock_file(self, what: str) -> Path:
        return self.data_dir / "locks" / f"{_digest(what)}.lock"

    def ensure(self) -> None:
        for d in (
            self.config_dir,
            self.data_dir / "replicas",
            self.data_dir / "partnerships",
            self.data_dir / "locks",
            self.log_dir,
        ):
            d.mkdir(parents=True, exist_ok=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def resolve_paths(
    config_dir: str | Path | None = None, data_dir: str | Path | None = None
) -> Paths:
    """The directories to use, from flags, environment or platform defaults."""
    config = config_dir or os.environ.get("SYNCGUI_CONFIG_DIR") or platformdirs.user_config_dir(APP)
    data = data_dir or os.environ.get("SYNCGUI_DATA_DIR") or platformdirs.user_data_dir(APP)
    overridden = bool(data_dir or os.environ.get("SYNCGUI_DATA_DIR"))
    logs = Path(data) / "logs" if overridden else Path(platformdirs.user_log_dir(APP))
    return Paths(Path(config).expanduser(), Path(data).expanduser(), logs.expanduser())


def demo_paths(base: Paths) -> Paths:
    """The demo profile: its own settings, state and logs under the user's data folder,
    so the demo never mixes with the user's partnerships."""
    root = base.data_dir / "demo"
    return Paths(root / "config", root / "data", root / "logs")
