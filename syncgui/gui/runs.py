"""A session queued or running, and how requests for the same partnership merge into it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from syncgui.engine.events import Approval, CancelToken
from syncgui.gui.jobs import Job
from syncgui.service.records import Trigger

__all__ = ["USER_TRIGGERS", "Request", "Run", "request", "stronger"]

#: triggers that run even while the app is paused (the user asked for them)
USER_TRIGGERS: frozenset[str] = frozenset({"manual", "resolve"})

#: a session asked for: what started it, and how many deletions the user approved in the
#: guard dialog (None: none; the guard stops a mass deletion as usual)
Request = tuple[Trigger, Approval | None]


def stronger(old: Trigger, new: Trigger) -> Trigger:
    """The trigger a merged request runs with: the user's beats an automatic one."""
    return new if new in USER_TRIGGERS and old not in USER_TRIGGERS else old


def request(trigger: Trigger, approved_deletes: Approval | None) -> Request:
    """A request as it queues: an automatic one never carries an approval."""
    return trigger, approved_deletes if trigger in USER_TRIGGERS else None


def _merged(old: Request, new: Request) -> Request:
    """Two requests as one run: the user's trigger over an automatic one, and the approval
    of the latest user request (the user approved the list shown last, not the larger)."""
    trigger, approved = new
    return stronger(old[0], trigger), approved if trigger in USER_TRIGGERS else old[1]


@dataclass(slots=True)
class Run:
    """A session queued or running. Requests for a partnership already queued merge into
    its run until the job thread takes the run's settings; after that, into one follow-up.
    ``merge`` (GUI thread) and ``take`` (job thread) share a lock, so a request arriving as
    the session starts is never lost between the two."""

    trigger: Trigger
    approved_deletes: Approval | None
    token: CancelToken
    job: Job | None = None
    followup: Request | None = None  # one more run asked for while running
    started: bool = False
    taken: bool = False  # the job thread has read trigger and approved_deletes
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> Request:  # job thread
        with self.lock:
            self.taken = True
            return self.trigger, self.approved_deletes

    def merge(self, trigger: Trigger, approved_deletes: Approval | None) -> None:  # GUI thread
        new = request(trigger, approved_deletes)
        with self.lock:
            if not self.taken:
                self.trigger, self.approved_deletes = _merged(
                    (self.trigger, self.approved_deletes), new
                )
            elif self.followup is None:
                self.followup = new
            else:
                self.followup = _merged(self.followup, new)

    def drop_followup(self) -> None:
        with self.lock:
            self.followup = None
