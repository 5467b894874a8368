"""The service's data as the window last read it: partnerships, schedules, the session
history and each partnership's last result, conflict counts, when each is next due.

Plain state on the GUI thread (no Qt): each setter says whether anything changed, and the
controller (:mod:`.controller`) turns that into its signals. A damaged config file's error
is reported once, not on every refresh."""

from __future__ import annotations

from syncgui.gui.reads import Config
from syncgui.service import (
    Account,
    Partnership,
    Resource,
    Schedule,
    SessionRecord,
    partnership_resources,
    unknown_partnership,
)

__all__ = ["Catalog"]


class Catalog:
    """What the windows read of the service's data, kept between refreshes."""

    def __init__(self) -> None:
        self.partnerships: list[Partnership] = []
        self.schedules: dict[str, Schedule] = {}
        self.sessions: list[SessionRecord] = []  # newest first
        self.last: dict[str, SessionRecord] = {}  # each partnership's newest record
        self.counts: dict[str, int] = {}  # open conflicts (no zeros)
        self.next_run: dict[str, float | None] = {}
        self.config_error: str | None = None
        self.accounts: list[Account] = []
        self._reported: dict[str, str | None] = {"config": None, "schedules": None}

    def find(self, name: str) -> Partnership | None:
        for p in self.partnerships:
            if p.name == name:
                return p
        return None

    def resources(self, name: str | None) -> frozenset[Resource]:
        """What a session of ``name`` touches (any store while its stores are not known);
        None: every partnership."""
        if name is None:
            every = [partnership_resources(p) for p in self.partnerships]
            return frozenset().union(*every)
        p = self.find(name)
        return unknown_partnership(name) if p is None else partnership_resources(p)

    def set_config(self, config: Config, *, report: bool = True) -> list[str]:
        """New partnerships and schedules; returns the file errors not reported yet
        (``report`` False: none, and they stay unreported for the next call)."""
        self.config_error = config.config_error
        self.partnerships = config.partnerships
        self.schedules = config.schedules
        self.accounts = config.accounts
        if not report:
            return []
        new: list[str] = []
        for kind, error in (("config", config.config_error), ("schedules", config.schedule_error)):
            if error and error != self._reported[kind]:
                new.append(error)
            self._reported[kind] = error
        return new

    def set_sessions(self, sessions: list[SessionRecord]) -> bool:
        """A new session history; False if it is the same."""
        if sessions == self.sessions:
            return False
        self.sessions = sessions
        self.last = {}
        for record in sessions:  # newest first
            self.last.setdefault(record.partnership, record)
        return True

    def set_counts(self, counts: dict[str, int]) -> bool:
        """New conflict counts; False if they are the same."""
        counts = {k: v for k, v in counts.items() if v}
        changed = counts != self.counts
        self.counts = counts
        return changed

    def set_next_run(self, name: str, when: float | None) -> bool:
        if self.next_run.get(name) == when:
            return False
        self.next_run[name] = when
        return True
