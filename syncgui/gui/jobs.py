"""The one background helper: a single thread that runs every slow service call in order.

The GUI thread submits a job (a plain callable) with what to do when it ends; the worker
thread runs it and reports back through Qt signals of a QObject that lives on the GUI
thread, connected to its own slots, so ``done``/``failed`` always run on the GUI thread.
Widgets never see engine objects while a worker uses them.

Sessions report progress through :class:`ProgressRelay`: the engine calls it on the worker
thread for every item; it keeps only the latest value and lets at most one update per
partnership through every ``interval`` seconds (and every change of stage), so a
10,000-item session cannot flood the GUI's event loop."""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from syncgui.engine.errors import SyncError
from syncgui.engine.events import CancelToken, Event, Progress

__all__ = ["Job", "JobRunner", "ProgressRelay", "describe_error"]

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[str], None]


def describe_error(err: BaseException) -> str:
    """A message a user can read: syncgui errors carry one; anything else is a bug and
    says what it was."""
    if isinstance(err, SyncError):
        return err.message
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


@dataclass(eq=False)
class Job:
    """One piece of work for the background thread. ``token`` cancels it: a job cancelled
    before it starts is skipped (``skipped`` runs instead of ``done``)."""

    id: int
    label: str
    work: Callable[[], Any]
    done: Done
    failed: Failed
    skipped: Callable[[], None] | None = None
    token: CancelToken = field(default_factory=CancelToken)


_STOP = object()


@contextmanager
def full_collections_deferred() -> Iterator[None]:
    """No full garbage collection while a job runs.

    A full collection walks every object and holds the GIL throughout: in the middle of a
    10,000-contact session it takes 50-90 ms, and the GUI thread freezes that long. Young
    generations are still collected; the full one runs after the job, when the session's
    objects are gone and it is quick."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


class JobRunner(QObject):
    """Runs jobs one at a time on one thread, in the order they were submitted."""

    # worker thread -> GUI thread (queued: this object lives on the GUI thread)
    _job_done = Signal(int, object)
    _job_failed = Signal(int, str)
    _job_skipped = Signal(int)
    job_started = Signal(int)  # job id: the worker took it up
    idle = Signal()  # nothing queued or running any more

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._jobs: dict[int, Job] = {}  # GUI thread only: submitted, not yet reported
        self._ids = itertools.count(1)
        self._current: Job | None = None
        self._job_done.connect(self._on_job_done)
        self._job_failed.connect(self._on_job_failed)
        self._job_skipped.connect(self._on_job_skipped)
        self._thread = threading.Thread(target=self._run, name="syncgui-jobs", daemon=True)
        self._thread.start()

    # -- GUI thread ------------------------------------------------------------------------
    def submit(
        self,
        work: Callable[[], Any],
        done: Done,
        failed: Failed,
        *,
        label: str = "",
        skipped: Callable[[], None] | None = None,
        token: CancelToken | None = None,
    ) -> Job:
        """Queue ``work``; ``done(result)``, ``failed(message)`` or ``skipped()`` runs on
        the GUI thread when it ends."""
        job = Job(next(self._ids), label or getattr(work, "__name__", "job"), work, done, failed)
        job.skipped = skipped
        if token is not None:
            job.token = token
        self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def pending(self) -> int:
        """Jobs submitted and not yet reported back."""
        return len(self._jobs)

    @property
    def worker(self) -> threading.Thread:
        """The thread jobs run on."""
        return self._thread

    def stop(self, timeout: float = 5.0) -> bool:
        """Cancel every job, let the running one end, stop the thread. True if it ended."""
        for job in list(self._jobs.values()):
            job.token.cancel()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        if alive:
            log.warning("the background job did not end within %.0f s", timeout)
        return not alive

    @Slot(int, object)
    def _on_job_done(self, job_id: int, result: object) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None:
            self._report(job, lambda: job.done(result))

    @Slot(int, str)
    def _on_job_failed(self, job_id: int, message: str) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None:
            self._report(job, lambda: job.failed(message))

    @Slot(int)
    def _on_job_skipped(self, job_id: int) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None and job.skipped is not None:
            self._report(job, job.skipped)

    def _report(self, job: Job, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:  # a bug in a GUI callback must not stop later reports
            log.exception("handling the end of job %s failed", job.label)
        if not self._jobs:
            self.idle.emit()

    # -- worker thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            job: Job = item
            if job.token.cancelled:
                if not self._say(self._job_skipped, job.id):
                    return
                continue
            if not self._say(self.job_started, job.id) or not self._say(*self._do(job)):
                return

    def _do(self, job: Job) -> tuple[Any, ...]:
        """Run ``job``: the signal that reports how it ended, with its arguments."""
        try:
            with full_collections_deferred():
                result = job.work()
        except Exception as err:  # reported to the GUI, never swallowed
            if isinstance(err, SyncError):
                log.warning("%s failed: %s", job.label, err)
            else:
                log.exception("%s failed", job.label)
            return (self._job_failed, job.id, describe_error(err))
        return (self._job_done, job.id, result)

    def _say(self, signal: Any, *args: Any) -> bool:
        """Emit ``signal``; False when this object is gone already (the interpreter is
        ending with a job still running): there is no one left to tell, so stop."""
        try:
            signal.emit(*args)
        except RuntimeError:
            log.debug("the job runner is gone: the job thread stops")
            return False
        return True


class ProgressRelay(QObject):
    """Passes engine Progress events from the worker thread to the GUI thread, throttled
    to one update per partnership every ``interval`` seconds (stage changes always pass)."""

    progress = Signal(str, str, int, int)  # partnership, stage, done, total

    def __init__(self, interval: float = 0.05, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval
        self._last: dict[str, tuple[float, str]] = {}  # worker thread only
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        """The engine's event sink (worker thread): cheap, no Qt call unless it passes."""
        if not isinstance(event, Progress):
            return
        now = time.monotonic()
        with self._lock:
            last = self._last.get(event.partnership)
            final = event.total > 0 and event.done >= event.total
            if (
                last is not None
                and last[1] == event.stage
                and now - last[0] < self.interval
                and not final
            ):
                return
            self._last[event.partnership] = (now, event.stage)
        # the relay may be gone (the interpreter is ending): then there is no one to tell
        with contextlib.suppress(RuntimeError):
            self.progress.emit(event.partnership, event.stage, event.done, event.total)

    def forget(self, partnership: str) -> None:
        with self._lock:
            self._last.pop(partnership, None)
