"""What the window knows of each partnership's run: the GUI thread's copy of the service's
:class:`~syncgui.service.SessionScheduler`.

The rules (merging, follow-ups, pause, first syncs) are the scheduler's; :class:`RunBoard`
only follows what it answered and what it reported (through :mod:`.bridge`), on the GUI
thread, so a row changes when the window learns of a change and never half-way through
one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncgui.gui.state import Activity, Progress
from syncgui.service import Admission, Answer, RunEnded, RunStarted, Ticket

__all__ = ["RunBoard", "RunView"]


@dataclass(slots=True)
class RunView:
    """A run queued or going on, as the window knows it."""

    ticket: Ticket
    started: bool = False  # the window was told a worker took it
    followup: bool = False  # one more run was asked for while it runs

    @property
    def cancelled(self) -> bool:
        return self.ticket.token.cancelled

    def activity(self) -> Activity:
        if self.cancelled:
            return Activity.CANCELLING
        return Activity.SYNCING if self.started else Activity.QUEUED


class RunBoard:
    """The runs queued or going on, by partnership, and the latest progress of each."""

    def __init__(self) -> None:
        self._runs: dict[str, RunView] = {}
        self._progress: dict[str, Progress] = {}

    def __len__(self) -> int:
        return len(self._runs)

    def names(self) -> list[str]:
        return list(self._runs)

    def activity(self, name: str) -> Activity:
        run = self._runs.get(name)
        return Activity.IDLE if run is None else run.activity()

    def progress(self, name: str) -> Progress | None:
        return self._progress.get(name)

    def is_busy(self, name: str) -> bool:
        run = self._runs.get(name)
        return run is not None and not run.cancelled

    def followups(self) -> int:
        return sum(1 for run in self._runs.values() if run.followup)

    def answered(self, name: str, answer: Answer) -> bool:
        """The scheduler's answer to a request for ``name``; True if a run was queued."""
        if answer.admission is Admission.FOLLOWUP and name in self._runs:
            self._runs[name].followup = True
        if answer.ticket is None:
            return False
        self._runs[name] = RunView(answer.ticket)
        return True

    def forget_unstarted(self, name: str) -> None:
        """A run was cancelled: forget it if it had not started (it is skipped) and drop
        its follow-up; a started one shows as cancelling until it ends."""
        run = self._runs.get(name)
        if run is None:
            return
        run.followup = False
        if not run.started:
            del self._runs[name]
            self._progress.pop(name, None)

    def started(self, event: RunStarted) -> bool:
        """A worker took a run; False if it is not the one the window knows (stale)."""
        run = self._runs.get(event.name)
        if run is None or run.ticket.run != event.run:
            return False
        run.started = True
        self._progress[event.name] = Progress("detecting")
        return True

    def ended(self, event: RunEnded[Any]) -> None:
        """A run ended: forget it, and show its follow-up (if any, not cancelled) queued."""
        name = event.name
        run = self._runs.get(name)
        if run is not None and run.ticket.run == event.run:
            del self._runs[name]
            self._progress.pop(name, None)
        follow = event.followup
        if follow is not None and not follow.token.cancelled and name not in self._runs:
            self._runs[name] = RunView(follow)

    def progressed(self, name: str, progress: Progress) -> bool:
        """A session's progress; False (ignored) when no run of ``name`` is known."""
        if name not in self._runs:
            return False
        self._progress[name] = progress
        return True
