"""Plain values the controller hands to the views (no Qt here, so views and tests share
them freely)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (the tray's icons need this module before the service loads)
    from syncgui.service import JobError, Partnership, Schedule, SessionRecord


class Activity(Enum):
    """What the app is doing with one partnership now."""

    IDLE = "idle"
    QUEUED = "queued"  # waiting for the background helper
    SYNCING = "syncing"
    CANCELLING = "cancelling"


class Overall(Enum):
    """The app's state as the tray icon shows it (most urgent first wins)."""

    IDLE = "idle"
    SYNCING = "syncing"
    CONFLICTS = "conflicts"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Progress:
    stage: str  # "detecting", "planning", "applying", "finished"
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class PartnershipRow:
    """One line of the partnerships view."""

    partnership: Partnership
    schedule: Schedule
    activity: Activity = Activity.IDLE
    progress: Progress | None = None
    last: SessionRecord | None = None
    next_run: float | None = None  # time.time() of the next timed sync; None: none planned
    conflicts: int = 0


@dataclass(frozen=True, slots=True)
class Problem:
    """One error, kept in the one place errors are shown (never a pop-up per error).

    A failed job's error (:class:`~syncgui.service.JobError`) keeps its ``title`` and what
    to do (``action``) for the Problems view; a contact a session could not sync has a
    message only. Two problems are the same one by partnership, item and message."""

    at: float
    partnership: str
    item: str  # the contact or store it concerns
    message: str
    title: str = ""
    action: str = ""  # what to do about it, in the user's words

    @classmethod
    def of(cls, at: float, partnership: str, item: str, error: JobError) -> Problem:
        """``error`` as a problem of ``partnership`` concerning ``item``."""
        return cls(at, partnership, item, error.message, error.title, error.action)
