"""What the window shows of each partnership's run: the GUI thread's view of the service's
:class:`~syncgui.service.scheduler.SessionScheduler`.

The rules (merging, follow-ups, pause, first syncs) are the scheduler's; this only follows
what it answered and what it reported, on the GUI thread, so a row changes when the
window learns of a change and never half-way through one."""

from __future__ import annotations

from dataclasses import dataclass

from syncgui.gui.state import Activity
from syncgui.service import Ticket

__all__ = ["RunView"]


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
