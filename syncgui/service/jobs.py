"""Background jobs on a small pool of worker threads, keyed by the resources they touch.

A job is a callable with the resources it uses (:mod:`.resources`). Jobs that share no
resource run at the same time (up to ``workers`` at once); jobs that share one run strictly
in the order they were submitted. Each job ends in exactly one of :class:`Done` (its typed
result), :class:`Failed` (a :class:`JobError`: title, message, what to do) or
:class:`Skipped` (cancelled before it started), handed to the ``on_end`` callback the caller
gave, on the worker thread (a GUI marshals it to its own thread). No Qt here."""

from __future__ import annotations

import gc
import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from syncgui.engine.errors import SignInFailed, StoreUnavailable, SyncCancelled, SyncError
from syncgui.engine.events import CancelToken
from syncgui.service.errors import AlreadySyncing, ConfigError
from syncgui.service.resources import Resource, overlap

__all__ = [
    "Done",
    "Failed",
    "Job",
    "JobEnd",
    "JobError",
    "JobPool",
    "Skipped",
    "full_collections_deferred",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: what to do, by the kind of error (the first class in an error's MRO that is listed)
_ACTIONS: dict[type[BaseException], str] = {
    AlreadySyncing: "Wait for the other sync to finish, then try again.",
    SyncCancelled: "Sync again to go on where it stopped.",
    SignInFailed: "Enter the account's password again.",
    StoreUnavailable: (
        "Connect the phone, bring the folder or file back, or check the connection to the "
        "server; then sync again."
    ),
    ConfigError: "Check the partnership's settings.",
    SyncError: "Sync again; if it keeps failing, the log has the details.",
}
_BUG_ACTION = "This is a bug in syncgui: please report it with the log."


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed, for the user: after maestral's errors, a title, a message and what
    to do; ``item`` names the contact or store it concerns (None: the whole job);
    ``sign_in``: a server refused the password (the app asks for it again)."""

    title: str
    message: str
    action: str = ""
    item: str | None = None
    sign_in: bool = False

    @classmethod
    def from_exception(cls, err: BaseException) -> JobError:
        """The one place an exception becomes a user-facing error: syncgui errors carry
        their title and message; anything else is a bug and says what it was."""
        action = next((a for t, a in _ACTIONS.items() if isinstance(err, t)), _BUG_ACTION)
        if isinstance(err, SyncError):
            return cls(err.title, err.message, action, err.item, isinstance(err, SignInFailed))
        text = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        return cls("Unexpected error", text, action)


@dataclass(eq=False)
class Job:
    """A submitted job: its id, what it is (for logs), what it touches, how to cancel it."""

    id: int
    label: str
    resources: frozenset[Resource]
    token: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    job: Job
    result: T


@dataclass(frozen=True, slots=True)
class Failed:
    job: Job
    error: JobError


@dataclass(frozen=True, slots=True)
class Skipped:
    """Cancelled before it started: the work never ran."""

    job: Job


JobEnd = Done[T] | Failed | Skipped


@dataclass(eq=False, slots=True)
class _Entry(Generic[T]):
    job: Job
    work: Callable[[], T]
    on_end: Callable[[JobEnd[T]], None]
    on_start: Callable[[Job], None] | None


class _Deferral:
    """How many jobs hold full collections off now, and the thresholds to put back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.saved = gc.get_threshold()

    def enter(self) -> None:
        with self.lock:
            if self.holders == 0:
                self.saved = gc.get_threshold()
                young, middle, _old = self.saved
                gc.set_threshold(young, middle, 1_000_000)
            self.holders += 1

    def leave(self) -> None:
        with self.lock:
            self.holders -= 1
            if self.holders == 0:
                gc.set_threshold(*self.saved)


_deferral = _Deferral()


@contextmanager
def full_collections_deferred() -> Iterator[None]:
    """No full garbage collection while a job runs.

    A full collection walks every object and holds the GIL throughout: in the middle of a
    10,000-contact session it takes 50-90 ms, and a GUI thread freezes that long. Young
    generations are still collected; the full one runs after the last running job, when
    the session's objects are gone and it is quick. Counted, so jobs that overlap in time
    restore the thresholds only when the last of them ends."""
    _deferral.enter()
    try:
        yield
    finally:
        _deferral.leave()


class JobPool:
    """Runs jobs on up to ``workers`` threads, started as they are needed."""

    def __init__(self, workers: int = 4, *, name: str = "syncgui-jobs") -> None:
        if workers < 1:
            raise ValueError("a job pool needs at least one worker")
        self.workers = workers
        self._name = name
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._waiting: list[_Entry[Any]] = []  # submission order
        self._running: list[_Entry[Any]] = []
        self._threads: list[threading.Thread] = []
        self._idle = 0  # threads waiting for work
        self._stopping = False

    def submit(
        self,
        work: Callable[[], T],
        on_end: Callable[[JobEnd[T]], None],
        *,
        resources: Iterable[Resource] = (),
        label: str = "",
        token: CancelToken | None = None,
        on_start: Callable[[Job], None] | None = None,
    ) -> Job:
        """Queue ``work``; ``on_start(job)`` and ``on_end(end)`` run on the worker thread.
        After :meth:`stop` the job is skipped at once (``on_end`` on this thread)."""
        job = Job(next(self._ids), label or getattr(work, "__name__", "job"), frozenset(resources))
        if token is not None:
            job.token = token
        entry = _Entry(job, work, on_end, on_start)
        with self._cond:
            if not self._stopping:
                self._waiting.append(entry)
                self._wake()
                return job
        _report(entry, Skipped(job))
        return job

    def threads(self) -> list[threading.Thread]:
        """The worker threads started so far."""
        with self._cond:
            return list(self._threads)

    def busy(self) -> int:
        """Jobs waiting or running."""
        with self._cond:
            return len(self._waiting) + len(self._running)

    def stop(self, timeout: float | None = 5.0) -> bool:
        """Cancel every job (those waiting are skipped), let the running ones end and the
        threads stop. ``timeout`` None: do not wait. True if every thread ended."""
        with self._cond:
            self._stopping = True
            for entry in [*self._waiting, *self._running]:
                entry.job.token.cancel()
            self._cond.notify_all()
            threads = list(self._threads)
        if timeout is None:
            return False
        for thread in threads:
            thread.join(timeout)
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            log.warning("background jobs did not end within %.0f s: %s", timeout, alive)
        return not alive

    # -- under the lock -----------------------------------------------------------------------
    def _wake(self) -> None:
        """A job was queued: wake the idle threads, and start one more while more jobs
        wait than threads are idle (a woken thread counts as idle until it takes one)."""
        if len(self._waiting) > self._idle and len(self._threads) < self.workers:
            thread = threading.Thread(
                target=self._serve, name=f"{self._name}-{len(self._threads) + 1}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        self._cond.notify_all()

    def _next(self) -> _Entry[Any] | None:
        """The first waiting job free to start: none of its resources is used by a running
        job or by a job submitted before it and still waiting. A cancelled one is free at
        once (it is only reported as skipped)."""
        held: list[Resource] = [r for e in self._running for r in e.job.resources]
        for entry in self._waiting:
            if entry.job.token.cancelled:
                return entry
            if not overlap(entry.job.resources, held):
                return entry
            held.extend(entry.job.resources)
        return None

    def _take(self) -> tuple[_Entry[Any], bool] | None:
        """Wait for a job to start, and whether to run it (False: it was cancelled, only
        report it as skipped). None: the pool stops and nothing is left."""
        with self._cond:
            while True:
                entry = self._next()
                if entry is not None:
                    self._waiting.remove(entry)
                    run = not entry.job.token.cancelled
                    if run:
                        self._running.append(entry)
                    return entry, run
                if self._stopping and not self._waiting:
                    return None
                self._idle += 1
                self._cond.wait()
                self._idle -= 1

    # -- worker threads -----------------------------------------------------------------------
    def _serve(self) -> None:
        while (taken := self._take()) is not None:
            entry, run = taken
            if not run:
                _report(entry, Skipped(entry.job))
                continue
            try:
                _report(entry, _run(entry))
            finally:
                with self._cond:
                    self._running.remove(entry)
                    self._cond.notify_all()


def _run(entry: _Entry[T]) -> JobEnd[T]:
    job = entry.job
    if entry.on_start is not None:
        try:
            entry.on_start(job)
        except Exception:  # a bug in a caller's callback must not stop the job
            log.exception("reporting the start of job %s failed", job.label)
    try:
        with full_collections_deferred():
            result = entry.work()
    except (Exception, SystemExit) as err:  # reported to the caller, never swallowed
        # (SystemExit too: a library calling sys.exit() must not kill the worker unheard)
        if isinstance(err, SyncError):
            log.warning("%s failed: %s", job.label, err)
        else:
            log.exception("%s failed", job.label)
        return Failed(job, JobError.from_exception(err))
    return Done(job, result)


def _report(entry: _Entry[T], end: JobEnd[T]) -> None:
    try:
        entry.on_end(end)
    except Exception:  # a bug in a caller's callback must not stop the worker
        log.exception("reporting the end of job %s failed", entry.job.label)
