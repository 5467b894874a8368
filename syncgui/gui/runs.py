"""A session queued or running, and how requests for the same partnership merge into it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from syncgui.engine.events import CancelToken
from syncgui.gui.jobs import Job
from syncgui.service.records import Trigger

__all__ = ["USER_TRIGGERS", "Run", "stronger"]

#: triggers that run even while the app is paused (the user asked for them)
USER_TRIGGERS: frozenset[str] = frozenset({"manual", "resolve"})


def stronger(old: Trigger, new: Trigger) -> Trigger:
    """The trigger a merged request runs with: the user's beats an automatic one."""
    return new if new in USER_TRIGGERS and old not in USER_TRIGGERS else old


@dataclass(slots=True)
class Run:
    """A session queued or running. Requests for a partnership already queued merge into
    its run until the job thread takes the run's settings; after that, into one follow-up.
    ``merge`` (GUI thread) and ``take`` (job thread) share a lock, so a request arriving as
    the session starts is never lost between the two."""

    trigger: Trigger
    allow_mass_delete: bool
    token: CancelToken
    job: Job | None = None
    followup: tuple[Trigger, bool] | None = None  # one more run asked for while running
    started: bool = False
    taken: bool = False  # the job thread has read trigger and allow_mass_delete
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[Trigger, bool]:  # job thread
        with self.lock:
            self.taken = True
            return self.trigger, self.allow_mass_delete

    def merge(self, trigger: Trigger, allow_mass_delete: bool) -> None:  # GUI thread
        with self.lock:
            if not self.taken:
                self.trigger = stronger(self.trigger, trigger)
                self.allow_mass_delete = self.allow_mass_delete or allow_mass_delete
            elif self.followup is None:
                self.followup = (trigger, allow_mass_delete)
            else:
                old, allow = self.followup
                self.followup = (stronger(old, trigger), allow or allow_mass_delete)

    def drop_followup(self) -> None:
        with self.lock:
            self.followup = None
