"""User settings (``settings.json`` in the config folder); every key is optional.

    {"tombstone_days": 90, "guard_ratio": 0.5, "guard_minimum": 5,
     "history_days": 365, "history_versions": 20}

``tombstone_days``: how long a deleted contact's tombstone is kept; a store that has not
synced for longer is brought up to date by comparing every item (never by resurrecting).
``guard_ratio`` / ``guard_minimum``: a sync that would delete more than this share of a
store, and at least this many contacts, stops and asks first.
``history_days`` / ``history_versions``: how much of the history (every version a sync
overwrote or deleted, for restore) is kept: a version is dropped once it is older than
``history_days`` days, or once ``history_versions`` newer versions of the same contact in
the same store are kept. Both must be at least 1 (days may be a fraction, versions are a
whole number): the history cannot be switched off, since the deletion guard and every
restore count on it; a small value keeps it small."""

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
    history_days: float = 365.0
    history_versions: int = 20

    @property
    def tombstone_seconds(self) -> float:
        return self.tombstone_days * 24 * 3600

    @property
    def history_seconds(self) -> float:
        return self.history_days * 24 * 3600


_WHOLE = frozenset({"guard_minimum", "history_versions"})  # the others may have fractions
_AT_LEAST_ONE = {
    "history_days": "a number of days",
    "history_versions": "a number of versions per contact",
}


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
        values[key] = _number(path, key, value)
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.guard_ratio > 1:
        raise ConfigError(f"{path}: guard_ratio is a share of the store, from 0 to 1")
    return settings


def _number(path: Path, key: str, value: object) -> float | int:
    """``value`` of setting ``key`` as the type it has, or ConfigError saying what it takes."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{path}: {key} must be a number, not {value!r}")
    what = _AT_LEAST_ONE.get(key)
    if what is not None and value < 1:
        raise ConfigError(
            f"{path}: {key} must be {what}, at least 1, not {value!r} (the history cannot be "
            "switched off: the deletion guard and restore count on it)"
        )
    if value < 0:
        raise ConfigError(f"{path}: {key} must be a number of at least 0, not {value!r}")
    if key == "history_versions" and value != int(value):
        raise ConfigError(f"{path}: {key} must be a whole number, not {value!r}")
    if key in _WHOLE:
        return int(value)  # guard_minimum: 2.5 was always taken as 2
    return float(value)
