"""The Qt side of background work: the service's job pool, with results on the GUI thread.

Work runs on the service's :class:`~syncgui.service.jobs.JobPool` (workers keyed by the
resources a job touches); :class:`JobRunner` submits it with what to do when it ends, and
reports the end back through a queued signal of a QObject that lives on the GUI thread
(:class:`GuiThread`), so ``done``/``failed``/``skipped`` always run on the GUI thread.
Widgets never see engine objects while a worker uses them.

Sessions report progress through :class:`ProgressRelay`: the engine calls it on the worker
thread for every item; it keeps only the latest value and lets at most one update per
partnership through every ``interval`` seconds (and every change of stage), so a
10,000-item session cannot flood the GUI's event loop."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from syncgui.engine import CancelToken, Event, Progress
from syncgui.service import Done, Failed, Job, JobEnd, JobError, JobPool, Resource

__all__ = ["CALLS", "GuiThread", "JobRunner", "ProgressRelay"]

log = logging.getLogger(__name__)

Done_ = Callable[[Any], None]
Failed_ = Callable[[JobError], None]

#: what a job that declares nothing touches: such jobs run one after the other (as they
#: always did), and beside sessions, resolves and the jobs that declare their resources
CALLS: frozenset[Resource] = frozenset({Resource("calls", "gui")})


class GuiThread(QObject):
    """Runs callables on the thread this object lives on (the GUI thread), in the order
    they were posted from any thread."""

    _call = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call.connect(self._on_call)

    def post(self, call: Callable[[], None]) -> bool:
        """Run ``call`` on the GUI thread; False when this object is gone already (the
        interpreter is ending): there is no one left to tell."""
        try:
            self._call.emit(call)
        except RuntimeError:
            log.debug("the GUI side is gone: a report is dropped")
            return False
        return True

    @Slot(object)
    def _on_call(self, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:  # a bug in a GUI callback must not stop later reports
            log.exception("handling the end of job failed")


class JobRunner(GuiThread):
    """Submits work to the service's job pool; its end is reported on the GUI thread."""

    job_started = Signal(int)  # job id: a worker took it up
    idle = Signal()  # nothing submitted here is waiting, running or unreported any more

    def __init__(self, pool: JobPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or JobPool()
        self._pending: set[object] = set()  # GUI thread only: submitted, not yet reported

    def submit(
        self,
        work: Callable[[], Any],
        done: Done_,
        failed: Failed_,
        *,
        label: str = "",
        skipped: Callable[[], None] | None = None,
        token: CancelToken | None = None,
        resources: Iterable[Resource] = CALLS,
    ) -> Job:
        """Queue ``work``; ``done(result)``, ``failed(error)`` or ``skipped()`` runs on the
        GUI thread when it ends. ``resources``: what it touches (jobs sharing one run in
        order; by default it is in line with the other undeclared jobs)."""
        key = object()
        self._pending.add(key)

        def report(end: JobEnd[Any]) -> None:
            if isinstance(end, Done):
                self._finish(key, lambda: done(end.result))
            elif isinstance(end, Failed):
                self._finish(key, lambda: failed(end.error))
            else:
                self._finish(key, skipped or (lambda: None))

        def ended(end: JobEnd[Any]) -> None:  # worker thread
            if not self.post(lambda: report(end)):
                self.pool.stop(timeout=None)  # nobody listens: let the threads end

        def started(job: Job) -> None:  # worker thread
            with contextlib.suppress(RuntimeError):
                self.job_started.emit(job.id)

        return self.pool.submit(
            work, ended, resources=resources, label=label, token=token, on_start=started
        )

    def pending(self) -> int:
        """Jobs submitted here and not yet reported back."""
        return len(self._pending)

    def stop(self, timeout: float = 5.0) -> bool:
        """Cancel every job, let the running ones end, stop the threads. True if they did."""
        return self.pool.stop(timeout)

    def _finish(self, key: object, call: Callable[[], None]) -> None:
        self._pending.discard(key)
        try:
            call()
        except Exception:  # a bug in a GUI callback must not stop later reports
            log.exception("handling the end of a job failed")
        if not self._pending:
            self.idle.emit()


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
