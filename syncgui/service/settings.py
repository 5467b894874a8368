"""User settings (``settings.json`` in the config folder); every key is optional.

    {"tombstone_days": 90, "guard_ratio": 0.5, "guard_minimum": 5}

``tombstone_days``: how long a deleted contact's tombstone is kept; a store that has not
synced for longer is brought up to date by comparing every item (never by resurrecting).
``guard_ratio`` / ``guard_minimum``: a sync that would delete more than this share of a
store, and at least this many contacts, stops and asks first."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path

from syncgui.service.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Settings:
    tombstone_days: float = 90.0
    guard_ratio: float = 0.5
    guard_minimum: int = 5

    @property
    def tombstone_seconds(self) -> float:
        return self.tombstone_days * 24 * 3600


def load_settings(path: Path) -> Settings:
    """The settings in ``path``, defaults for what it does not say (or if it is absent)."""
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text("utf-8"))
        if not isinstance(raw, dict):
            raise TypeError("the file must hold one JSON object")
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{path} is damaged ({err}); fix or remove it") from err
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, float | int] = {}
    for key, value in raw.items():
        if key not in known:
            log.warning("%s: unknown setting %r ignored", path, key)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{path}: {key} must be a number of at least 0, not {value!r}")
        values[key] = int(value) if key == "guard_minimum" else float(value)
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.guard_ratio > 1:
        raise ConfigError(f"{path}: guard_ratio is a share of the store, from 0 to 1")
    return settings
