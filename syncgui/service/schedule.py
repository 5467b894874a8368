"""When the desktop app syncs each partnership by itself: ``schedules.json`` in the config
folder, ``{"schedules": {NAME: {"interval_minutes", "on_connect", "on_change"}}}``.

A partnership the file does not mention has the default :class:`Schedule`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from syncgui.service.errors import ConfigError
from syncgui.service.files import write_atomically
from syncgui.service.records import Schedule


class ScheduleBook:
    """The schedules file (JSON, written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Schedule]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            entries = raw.get("schedules", {})
            if not isinstance(entries, dict):
                raise TypeError("schedules must be an object")
            return {str(name): _schedule(value) for name, value in entries.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ConfigError(f"{self.path} is damaged ({err}); fix or remove it") from err

    def get(self, name: str) -> Schedule:
        return self.load().get(name, Schedule())

    def set(self, name: str, schedule: Schedule) -> None:
        if schedule.interval_minutes < 0:
            raise ConfigError("a schedule's interval cannot be negative")
        items = self.load()
        items[name] = schedule
        self._save(items)

    def rename(self, old: str, new: str) -> None:
        """``old``'s schedule is ``new``'s (nothing to do when ``old`` has the default)."""
        items = self.load()
        if old in items:
            items[new] = items.pop(old)
            self._save(items)

    def drop(self, name: str) -> None:
        items = self.load()
        if items.pop(name, None) is not None:
            self._save(items)

    def _save(self, items: dict[str, Schedule]) -> None:
        text = json.dumps({"schedules": {n: s.to_json() for n, s in items.items()}}, indent=2)
        write_atomically(self.path, text + "\n")


def _schedule(value: Any) -> Schedule:
    if not isinstance(value, dict):
        raise TypeError(f"a schedule must be an object, not {value!r}")
    default = Schedule()
    interval = value.get("interval_minutes", default.interval_minutes)
    on_connect = value.get("on_connect", default.on_connect)
    on_change = value.get("on_change", default.on_change)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 0:
        raise TypeError(f"interval_minutes must be a whole number of at least 0, not {interval!r}")
    if not isinstance(on_connect, bool) or not isinstance(on_change, bool):
        raise TypeError("on_connect and on_change must be true or false")
    return Schedule(interval, on_connect, on_change)
