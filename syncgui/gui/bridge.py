"""The GUI thread's connection to the service's scheduler and job pool: what they report on
worker threads becomes typed Qt signals on the GUI thread. No view state lives here.

:class:`SessionBridge` builds the worker pool (through :class:`~.jobs.JobRunner`, whose jobs
report their end on the GUI thread) and the service's
:class:`~syncgui.service.SessionScheduler` on it, runs each session on a worker (with a
throttled :class:`~.jobs.ProgressRelay` as its event sink), and turns the scheduler's
events into :attr:`~SessionBridge.run_started` / :attr:`~SessionBridge.run_ended` and the
relay's into :attr:`~SessionBridge.progress`. Run events and job ends travel through the
same queue to the GUI thread, so they arrive in the order they happened. After
:meth:`~SessionBridge.stop` nothing more is reported."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from syncgui.engine import Approval, CancelToken, Status
from syncgui.gui.jobs import JobRunner, ProgressRelay
from syncgui.gui.reads import HISTORY_LIMIT, Ran
from syncgui.service import (
    RunEnded,
    RunStarted,
    SchedulerEvent,
    SessionScheduler,
    SyncPort,
    Trigger,
)

__all__ = ["SessionBridge"]


class SessionBridge(QObject):
    """Owns the scheduler and the job pool; reports their events on the GUI thread."""

    run_started = Signal(object)  # RunStarted: a worker took a partnership's run
    run_ended = Signal(object)  # RunEnded[Ran]: it ended (done, failed or skipped)
    # (partnership, stage, done, total) while a session runs, throttled
    progress = Signal(str, str, int, int)

    def __init__(
        self, service: SyncPort, parent: QObject | None = None, *, progress_interval: float = 0.05
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.jobs = JobRunner(parent=self)  # every other slow call runs here too
        self._relay = ProgressRelay(progress_interval, self)
        # the relay emits on a worker thread: queued to this object's (the GUI) thread
        self._relay.progress.connect(self.progress)
        self.scheduler: SessionScheduler[Ran] = SessionScheduler(
            self.jobs.pool, self._session, self._on_event, completed=_completed
        )
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def pending(self) -> int:
        """Jobs of any kind submitted and not yet reported back."""
        return self.jobs.pending()

    def stop(self) -> None:
        """Cancel what runs and stop the workers; later events are dropped."""
        if self._stopped:
            return
        self._stopped = True
        self.scheduler.stop()
        self.jobs.stop()

    def _session(
        self, name: str, trigger: Trigger, approved: Approval | None, token: CancelToken
    ) -> Ran:  # worker thread
        s = self._service
        results = s.sync(
            [name], trigger=trigger, approved_deletes=approved, emit=self._relay, cancel=token
        )
        return Ran(results, s.conflict_counts(), s.sessions(limit=HISTORY_LIMIT), trigger)

    def _on_event(self, event: SchedulerEvent[Ran]) -> None:  # worker thread
        self.jobs.post(lambda: self._emit(event))

    def _emit(self, event: SchedulerEvent[Ran]) -> None:  # GUI thread
        if self._stopped:
            return
        if isinstance(event, RunStarted):
            self.run_started.emit(event)
        elif isinstance(event, RunEnded):
            self._relay.forget(event.name)
            self.run_ended.emit(event)


def _completed(ran: Ran) -> bool:
    """A session counts as a partnership's first sync unless the guard stopped it or the
    user cancelled it (one with a few unreadable cards does count)."""
    stopped = (Status.BLOCKED, Status.CANCELLED)
    return bool(ran.results) and all(r.status not in stopped for r in ran.results)
