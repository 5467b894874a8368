"""When sessions run: one per partnership at a time, requests merged, pause, and the first
sync of a partnership being the user's. No Qt here; the GUI asks this and only shows it.

A request for a partnership that has a run queued merges into that run (the user's trigger
beats an automatic one; the run carries the guard approval of the latest user request) until
a worker takes the run's settings; after that, into one follow-up that is queued when the
run ends. While paused, automatic triggers start nothing (and pausing drops the automatic
runs not started yet); the user's ("manual", "resolve") still run. Automatic triggers never
start a partnership's first sync.

Sessions run on a :class:`~syncgui.service.jobs.JobPool` with the resources of their
partnership, so sessions that share no store run at the same time. What happens is told to
``on_event`` on the worker thread: :class:`RunStarted` when a worker takes a run,
:class:`RunEnded` when it ends (with the follow-up queued after it, if any)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from syncgui.engine.events import Approval, CancelToken
from syncgui.service.jobs import Done, JobEnd, JobPool, Skipped
from syncgui.service.records import Trigger
from syncgui.service.resources import Resource

__all__ = [
    "USER_TRIGGERS",
    "Admission",
    "Answer",
    "Request",
    "RunEnded",
    "RunStarted",
    "SchedulerEvent",
    "SessionScheduler",
    "SessionWork",
    "Ticket",
    "stronger",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: triggers that run even while paused, and may start a first sync (the user asked)
USER_TRIGGERS: frozenset[str] = frozenset({"manual", "resolve"})

#: a session asked for: what started it, and the deletions the user approved in the guard
#: dialog (None: none; the guard stops a mass deletion as usual)
Request = tuple[Trigger, Approval | None]

#: runs one session: (partnership, trigger, approved deletions, cancel token) -> result
SessionWork = Callable[[str, Trigger, Approval | None, CancelToken], T]


def stronger(old: Trigger, new: Trigger) -> Trigger:
    """The trigger a merged request runs with: the user's beats an automatic one."""
    return new if new in USER_TRIGGERS and old not in USER_TRIGGERS else old


def _request(trigger: Trigger, approved: Approval | None) -> Request:
    """A request as it queues: an automatic one never carries an approval."""
    return trigger, approved if trigger in USER_TRIGGERS else None


def _merged(old: Request, new: Request) -> Request:
    """Two requests as one run: the user's trigger over an automatic one, and the approval
    of the latest user request (the user approved the list shown last, not the larger)."""
    trigger, approved = new
    return stronger(old[0], trigger), approved if trigger in USER_TRIGGERS else old[1]


class Admission(Enum):
    """What became of a request."""

    QUEUED = "queued"  # a new run
    MERGED = "merged"  # into the run queued (not started yet)
    FOLLOWUP = "followup"  # into the one follow-up of the run going on
    PAUSED = "paused"  # automatic while paused: nothing
    FIRST_SYNC = "first-sync"  # automatic, never synced: the first sync is the user's
    STOPPED = "stopped"  # the scheduler stopped


_SAID = {
    "queued": "queued a sync of %s (%s)",
    "merged": "merged a sync request for %s (%s) into its queued run",
    "followup": "merged a sync request for %s (%s) into the run after the one going on",
    "paused": "not syncing %s (%s): paused",
    "first-sync": "not syncing %s (%s): its first sync is the user's to start",
    "stopped": "not syncing %s (%s): stopping",
}


def _log_admission(name: str, trigger: Trigger, admission: Admission) -> None:
    log.info(_SAID[admission.value], name, trigger)


@dataclass(frozen=True, slots=True)
class Ticket:
    """A run as its caller may hold it: which one, and how to cancel it."""

    name: str
    run: int
    token: CancelToken


@dataclass(frozen=True, slots=True)
class Answer:
    """What :meth:`SessionScheduler.request` did, and the run it queued (QUEUED only)."""

    admission: Admission
    ticket: Ticket | None = None


@dataclass(frozen=True, slots=True)
class RunStarted:
    name: str
    run: int
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class RunEnded(Generic[T]):
    """A run ended: ``end`` is its result, its error, or Skipped (cancelled before it
    started); ``followup`` the run queued after it, if any."""

    name: str
    run: int
    trigger: Trigger
    end: JobEnd[T]
    followup: Ticket | None = None


SchedulerEvent = RunStarted | RunEnded[T]


@dataclass(eq=False, slots=True)
class _Run:
    ticket: Ticket
    request: Request
    resources: frozenset[Resource]
    followup: Request | None = None
    taken: bool = False  # a worker read the request: later ones go to the follow-up


class SessionScheduler(Generic[T]):
    """Session runs per partnership over ``pool``; ``work`` runs one session."""

    def __init__(
        self,
        pool: JobPool,
        work: SessionWork[T],
        on_event: Callable[[SchedulerEvent[T]], None],
        completed: Callable[[T], bool] = lambda _result: True,
    ) -> None:
        """``completed(result)``: whether a session that ended with ``result`` counts as
        the partnership's first sync (one the guard stopped or the user cancelled does
        not: automatic syncs still wait for the user's)."""
        self._pool = pool
        self._work = work
        self._on_event = on_event
        self._completed = completed
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._synced: set[str] = set()
        self._ids = 0
        self._paused = False
        self._stopped = False

    # -- requests (any thread) -------------------------------------------------------------
    def request(
        self,
        name: str,
        resources: frozenset[Resource],
        trigger: Trigger = "manual",
        approved: Approval | None = None,
    ) -> Answer:
        """Ask for a session of ``name`` (whose session touches ``resources``)."""
        new = _request(trigger, approved)
        with self._lock:
            admission = self._admit(name, new)
            run = self._queue(name, new, resources) if admission is Admission.QUEUED else None
        _log_admission(name, trigger, admission)
        if run is None:
            return Answer(admission)
        self._submit(run)
        return Answer(admission, run.ticket)

    def _admit(self, name: str, new: Request) -> Admission:  # under the lock
        user = new[0] in USER_TRIGGERS
        run = self._runs.get(name)
        if self._stopped:
            return Admission.STOPPED
        if self._paused and not user:
            return Admission.PAUSED
        if run is None:
            return Admission.QUEUED if user or name in self._synced else Admission.FIRST_SYNC
        if not run.taken:
            run.request = _merged(run.request, new)
            return Admission.MERGED
        run.followup = new if run.followup is None else _merged(run.followup, new)
        return Admission.FOLLOWUP

    def _queue(self, name: str, request: Request, resources: frozenset[Resource]) -> _Run:
        self._ids += 1
        run = _Run(Ticket(name, self._ids, CancelToken()), request, resources)
        self._runs[name] = run
        return run

    def _submit(self, run: _Run) -> None:
        name = run.ticket.name
        self._pool.submit(
            lambda: self._session(run),
            lambda end: self._ended(run, end),
            resources=run.resources,
            label=f"sync {name}",
            token=run.ticket.token,
        )

    def cancel(self, name: str | None = None) -> list[str]:
        """Cancel the run of ``name`` (None: every run) and drop its follow-up; returns
        the names whose run had not started (it ends as Skipped)."""
        with self._lock:
            names = list(self._runs) if name is None else [name]
            return [n for n in names if self._cancel(n)]

    def _cancel(self, name: str) -> bool:  # under the lock
        run = self._runs.get(name)
        if run is None:
            return False
        run.ticket.token.cancel()
        run.followup = None
        if not run.taken:
            del self._runs[name]
        log.info("cancelled the sync of %s", name)
        return not run.taken

    # -- pause and what has synced -----------------------------------------------------------
    def pause(self) -> list[str]:
        """Automatic triggers start nothing until :meth:`resume`; the automatic runs not
        started yet are cancelled (their names are returned)."""
        with self._lock:
            self._paused = True
            automatic = [
                n
                for n, r in self._runs.items()
                if not r.taken and r.request[0] not in USER_TRIGGERS
            ]
            return [n for n in automatic if self._cancel(n)]

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def note_synced(self, names: set[str] | frozenset[str] | list[str]) -> None:
        """These partnerships have synced before (automatic triggers may start them)."""
        with self._lock:
            self._synced.update(names)

    def has_synced(self, name: str) -> bool:
        with self._lock:
            return name in self._synced

    def ticket(self, name: str) -> Ticket | None:
        """The run of ``name`` queued or going on, if any."""
        with self._lock:
            run = self._runs.get(name)
            return None if run is None else run.ticket

    def stop(self) -> None:
        """Start nothing more and cancel every run (the pool is stopped by its owner)."""
        with self._lock:
            self._stopped = True
            for name in list(self._runs):
                self._cancel(name)

    # -- worker threads --------------------------------------------------------------------
    def _session(self, run: _Run) -> T:
        with self._lock:
            run.taken = True
            trigger, approved = run.request
        self._tell(RunStarted(run.ticket.name, run.ticket.run, trigger))
        return self._work(run.ticket.name, trigger, approved, run.ticket.token)

    def _ended(self, run: _Run, end: JobEnd[T]) -> None:
        name = run.ticket.name
        with self._lock:
            if self._runs.get(name) is run:
                del self._runs[name]
            if isinstance(end, Done) and self._completed(end.result):
                self._synced.add(name)
            follow = self._followup(run, end)
        ticket = follow.ticket if follow is not None else None
        self._tell(RunEnded(name, run.ticket.run, run.request[0], end, ticket))
        if follow is not None:  # after RunEnded: its RunStarted can only come later
            self._submit(follow)

    def _followup(self, run: _Run, end: JobEnd[T]) -> _Run | None:  # under the lock
        request = run.followup
        if request is None or isinstance(end, Skipped) or self._stopped:
            return None
        if self._paused and request[0] not in USER_TRIGGERS:
            log.info("%s: paused, the automatic follow-up is dropped", run.ticket.name)
            return None
        if request[0] not in USER_TRIGGERS and run.ticket.name not in self._synced:
            log.info("%s: the first sync is the user's; no automatic follow-up", run.ticket.name)
            return None
        if run.ticket.name in self._runs:  # queued anew meanwhile: merge into that one
            other = self._runs[run.ticket.name]
            other.request = _merged(other.request, request)
            return None
        return self._queue(run.ticket.name, request, run.resources)

    def _tell(self, event: SchedulerEvent[T]) -> None:
        try:
            self._on_event(event)
        except Exception:  # a bug in the caller's callback must not stop the worker
            log.exception("reporting %s failed", type(event).__name__)
