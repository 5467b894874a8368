"""The app's state and actions on the GUI thread: the one object every view talks to.

The signatures and signals below are the contract between the views (main window, dialogs,
wizard, tray) and the core (job thread, auto-sync); views only use what is declared here.

Every slow call to the service runs on the one background job thread (:mod:`.jobs`);
results come back to this object on the GUI thread and are announced by the signals."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from syncgui.engine.conflicts import Keep
from syncgui.engine.events import CancelToken, SessionResult, Status
from syncgui.gui import format as fmt
from syncgui.gui.jobs import Job, JobRunner, ProgressRelay
from syncgui.gui.port import DesktopPort
from syncgui.gui.state import Activity, Overall, PartnershipRow, Problem, Progress
from syncgui.service.config import Partnership
from syncgui.service.devices import DeviceEvent, DeviceReport
from syncgui.service.errors import ConfigError
from syncgui.service.records import Schedule, SessionRecord, Trigger

Done = Callable[[Any], None]
Failed = Callable[[str], None]

log = logging.getLogger(__name__)

#: triggers that run even while the app is paused (the user asked for them)
USER_TRIGGERS: frozenset[str] = frozenset({"manual", "resolve"})
HISTORY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What a refresh reads on the job thread."""

    partnerships: list[Partnership]
    schedules: dict[str, Schedule]
    counts: dict[str, int]
    sessions: list[SessionRecord]
    devices: list[DeviceReport]
    notes: tuple[str, ...]
    config_error: str | None = None  # the partnerships could not be read: why


@dataclass(frozen=True, slots=True)
class _Ran:
    """What a session job returns: the results, and the state they changed."""

    results: list[SessionResult]
    counts: dict[str, int]
    sessions: list[SessionRecord]


@dataclass(slots=True)
class _Run:
    """A session queued or running."""

    trigger: Trigger
    job: Job
    token: CancelToken
    followup: tuple[Trigger, bool] | None = None  # one more run asked for while running
    started: bool = False


class AppController(QObject):
    # partnerships list, schedule, activity, last result, next run or conflict count changed
    partnerships_changed = Signal()
    # (partnership, stage, done, total) while a session runs
    progress_changed = Signal(str, str, int, int)
    devices_changed = Signal()
    sessions_changed = Signal()  # the activity (history of sessions) grew
    problems_changed = Signal()
    conflicts_changed = Signal()  # counts changed: reload any open conflict list
    overall_changed = Signal(str)  # Overall value: idle, syncing, conflicts, error
    paused_changed = Signal(bool)
    # (title, message, kind) kind: "conflict", "error" or "info": the tray shows it
    notify = Signal(str, str, str)
    # (partnership, store, items): the mass-deletion guard stopped a session; the window
    # asks the user and calls sync([name], allow_mass_delete=True) to go on
    guard_blocked = Signal(str, str, list)

    def __init__(
        self,
        service: DesktopPort,
        parent: QObject | None = None,
        *,
        progress_interval: float = 0.05,
        load: bool = True,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self._jobs = JobRunner(self)
        self._jobs.job_started.connect(self._on_job_started)
        self._relay = ProgressRelay(progress_interval, self)
        self._relay.progress.connect(self._on_progress)
        self._partnerships: list[Partnership] = []
        self._schedules: dict[str, Schedule] = {}
        self._runs: dict[str, _Run] = {}
        self._progress: dict[str, Progress] = {}
        self._last: dict[str, SessionRecord] = {}
        self._counts: dict[str, int] = {}
        self._next_run: dict[str, float | None] = {}
        self._sessions: list[SessionRecord] = []
        self._problems: list[Problem] = []
        self._erred: set[str] = set()
        self._devices: list[DeviceReport] = []
        self._notes: tuple[str, ...] = ()
        self._paused = False
        self._paused_until: float | None = None
        self._resume_timer = QTimer(self)
        self._resume_timer.setSingleShot(True)
        self._resume_timer.timeout.connect(self.resume)
        self._overall = Overall.IDLE
        self._stopped = False
        self._config_error: str | None = None
        self._reported_config_error: str | None = None
        if load:
            self._load_config()
            self.refresh()

    # -- what the views read (cheap, GUI thread) --------------------------------------------
    def rows(self) -> list[PartnershipRow]:
        return [self._row(p) for p in self._partnerships]

    def row(self, name: str) -> PartnershipRow | None:
        for p in self._partnerships:
            if p.name == name:
                return self._row(p)
        return None

    def _row(self, p: Partnership) -> PartnershipRow:
        return PartnershipRow(
            partnership=p,
            schedule=self._schedules.get(p.name, Schedule()),
            activity=self._activity(p.name),
            progress=self._progress.get(p.name),
            last=self._last.get(p.name),
            next_run=self._next_run.get(p.name),
            conflicts=self._counts.get(p.name, 0),
        )

    def _activity(self, name: str) -> Activity:
        run = self._runs.get(name)
        if run is None:
            return Activity.IDLE
        if run.token.cancelled:
            return Activity.CANCELLING
        return Activity.SYNCING if run.started else Activity.QUEUED

    def devices(self) -> list[DeviceReport]:
        return list(self._devices)

    def device_notes(self) -> tuple[str, ...]:
        return self._notes

    def sessions(self) -> list[SessionRecord]:
        return list(self._sessions)

    def problems(self) -> list[Problem]:
        return list(self._problems)

    def clear_problems(self) -> None:
        """Forget the listed problems; the error state they caused is acknowledged too
        (the tray stops showing an error the user has dismissed)."""
        self._problems.clear()
        self._erred.clear()
        self.problems_changed.emit()
        self._update_overall()

    def conflict_total(self) -> int:
        return sum(self._counts.values())

    def overall(self) -> Overall:
        return self._overall

    def is_paused(self) -> bool:
        return self._paused

    def paused_until(self) -> float | None:
        return self._paused_until if self._paused else None

    def is_busy(self, name: str) -> bool:
        return name in self._runs and not self._runs[name].token.cancelled

    def schedules(self) -> dict[str, Schedule]:
        """Each partnership's schedule, as last loaded (for auto-sync)."""
        return dict(self._schedules)

    def set_next_run(self, name: str, when: float | None) -> None:
        """Auto-sync tells when the next timed sync of ``name`` is due."""
        if self._next_run.get(name) != when:
            self._next_run[name] = when
            self.partnerships_changed.emit()

    def job_runner(self) -> JobRunner:
        return self._jobs

    # -- actions ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload partnerships, schedules, conflict counts and sessions (on the job thread)."""
        self._jobs.submit(self._read_all, self._on_loaded, self._on_job_failed, label="refresh")

    def _read_all(self) -> _Loaded:  # job thread
        s = self.service
        try:
            partnerships = s.partnerships()
            schedules = {p.name: s.schedule(p.name) for p in partnerships}
            counts = s.conflict_counts()
        except ConfigError as err:  # a damaged file: show why; the rest still loads
            return _Loaded(
                [], {}, {}, s.sessions(limit=HISTORY_LIMIT), s.current_devices(),
                s.device_notes(), err.message,
            )  # fmt: skip
        return _Loaded(
            partnerships,
            schedules,
            counts,
            s.sessions(limit=HISTORY_LIMIT),
            s.current_devices(),
            s.device_notes(),
        )

    def config_error(self) -> str | None:
        """Why the partnerships could not be read (a damaged file), or None."""
        return self._config_error

    def sync(
        self,
        names: Sequence[str] | None = None,
        *,
        trigger: Trigger = "manual",
        allow_mass_delete: bool = False,
    ) -> list[str]:
        """Queue a session for each partnership (None: all). A partnership already queued
        or syncing is not queued twice. A paused app queues nothing for triggers other
        than "manual" and "resolve". Returns the names queued."""
        if self._stopped or (self._paused and trigger not in USER_TRIGGERS):
            return []
        wanted = [p.name for p in self._partnerships] if names is None else list(names)
        queued = [n for n in dict.fromkeys(wanted) if self._queue(n, trigger, allow_mass_delete)]
        if queued:
            self.partnerships_changed.emit()
            self._update_overall()
        return queued

    def _queue(self, name: str, trigger: Trigger, allow_mass_delete: bool) -> bool:
        run = self._runs.get(name)
        if run is not None:  # queued: dropped; running (or cancelling): one run after it
            if run.started and run.followup is None:
                run.followup = (trigger, allow_mass_delete)
            return False
        token = CancelToken()

        def work() -> _Ran:  # job thread
            results = self.service.sync(
                [name],
                trigger=trigger,
                allow_mass_delete=allow_mass_delete,
                emit=self._relay,
                cancel=token,
            )
            s = self.service
            return _Ran(results, s.conflict_counts(), s.sessions(limit=HISTORY_LIMIT))

        job = self._jobs.submit(
            work,
            lambda ran: self._on_session_done(name, job, ran),
            lambda message: self._on_session_failed(name, job, message),
            label=f"sync {name}",
            skipped=lambda: self._on_session_skipped(name, job),
            token=token,
        )
        self._runs[name] = _Run(trigger, job, token)
        log.info("queued a sync of %s (%s)", name, trigger)
        return True

    def cancel(self, name: str | None = None) -> None:
        """Cancel one partnership's queued or running session (None: all)."""
        names = list(self._runs) if name is None else [name]
        for n in names:
            run = self._runs.get(n)
            if run is None:
                continue
            run.token.cancel()
            run.followup = None
            if not run.started:  # the job thread will skip it
                del self._runs[n]
                self._progress.pop(n, None)
            log.info("cancelled the sync of %s", n)
        self.partnerships_changed.emit()
        self._update_overall()

    def pause(self, seconds: int | None = 3600) -> None:
        """Stop automatic syncs for ``seconds`` (None: until resumed)."""
        self._paused = True
        for name, run in list(self._runs.items()):  # automatic runs not started yet
            if not run.started and run.trigger not in USER_TRIGGERS:
                self.cancel(name)
        if seconds is None:
            self._paused_until = None
            self._resume_timer.stop()
        else:
            self._paused_until = time.time() + seconds
            self._resume_timer.start(max(0, seconds) * 1000)
        log.info("paused automatic syncs (%s s)", seconds)
        self.paused_changed.emit(True)

    def resume(self) -> None:
        self._resume_timer.stop()
        was, self._paused, self._paused_until = self._paused, False, None
        if was:
            log.info("resumed automatic syncs")
            self.paused_changed.emit(False)

    def resolve(
        self,
        conflict_id: str,
        partnership: str,
        keep: Keep,
        prefer: Mapping[str, Literal["a", "b"]] | None = None,
        *,
        done: Done | None = None,
        failed: Failed | None = None,
    ) -> None:
        """Resolve on the job thread, then sync that partnership so the result spreads.
        ``done(view)``/``failed(message)`` are told too (the conflict dialog's feedback)."""
        choice = dict(prefer) if prefer else None

        def work() -> tuple[object, dict[str, int]]:  # job thread
            view = self.service.resolve(conflict_id, keep, choice)
            return view, self.service.conflict_counts()

        def resolved(result: tuple[object, dict[str, int]]) -> None:
            self._set_counts(result[1])
            self.sync([partnership], trigger="resolve")
            if done is not None:
                done(result[0])

        def not_resolved(message: str) -> None:
            self._add_problems([Problem(time.time(), partnership, "", message)])
            if failed is not None:
                failed(message)

        self._jobs.submit(work, resolved, not_resolved, label=f"resolve {conflict_id}")

    def call(self, work: Callable[[DesktopPort], Any], done: Done, failed: Failed) -> None:
        """Run ``work(service)`` on the job thread; ``done(result)`` or ``failed(message)``
        is called on the GUI thread. For the wizard (places, counts, adding, a preview) and
        the conflict dialog (loading details)."""
        service = self.service
        self._jobs.submit(lambda: work(service), done, failed, label="call")

    def shutdown(self) -> None:
        """Cancel what runs, stop the job thread and the device monitor (at quit)."""
        if self._stopped:
            return
        self._stopped = True
        self._resume_timer.stop()
        for run in self._runs.values():
            run.token.cancel()
        self._jobs.stop()
        try:
            self.service.stop_device_monitor()
        except Exception:
            log.exception("stopping the device monitor failed")

    # -- devices (GUI thread; auto-sync forwards the monitor's events) --------------------
    def device_event(self, event: DeviceEvent) -> None:
        others = [d for d in self._devices if d.key != event.key]
        self._devices = others if event.kind == "removed" else [*others, event.report]
        self.devices_changed.emit()

    # -- results (GUI thread) ----------------------------------------------------------------
    def _load_config(self) -> None:
        """Partnerships and schedules are config files (fast): read them at once, so the
        window shows its rows from the start."""
        try:
            self._partnerships = self.service.partnerships()
            self._schedules = {p.name: self.service.schedule(p.name) for p in self._partnerships}
        except ConfigError as err:  # refresh() reads again and reports it in one place
            log.warning("the partnerships cannot be read: %s", err.message)
            self._config_error = err.message

    @Slot(int)
    def _on_job_started(self, job_id: int) -> None:
        for name, run in self._runs.items():
            if run.job.id == job_id:
                run.started = True
                self._progress[name] = Progress("detecting")
                self.partnerships_changed.emit()
                self._update_overall()
                return

    @Slot(str, str, int, int)
    def _on_progress(self, name: str, stage: str, done: int, total: int) -> None:
        if name not in self._runs:
            return
        self._progress[name] = Progress(stage, done, total)
        self.progress_changed.emit(name, stage, done, total)

    def _on_loaded(self, loaded: _Loaded) -> None:
        if loaded.config_error and loaded.config_error != self._reported_config_error:
            self._add_problems([Problem(time.time(), "", self.tr("settings"), loaded.config_error)])
        self._config_error = self._reported_config_error = loaded.config_error
        self._partnerships = loaded.partnerships
        self._schedules = loaded.schedules
        self._devices, self._notes = loaded.devices, loaded.notes
        self._set_sessions(loaded.sessions)
        self._set_counts(loaded.counts)
        self.partnerships_changed.emit()
        self.devices_changed.emit()
        self._update_overall()

    def _on_session_done(self, name: str, job: Job, ran: _Ran) -> None:
        run = self._finish_run(name, job)
        before = self._counts.get(name, 0)
        self._set_sessions(ran.sessions)
        self._set_counts(ran.counts)
        for result in ran.results:
            self._take_result(result, self._counts.get(result.partnership, 0) - before)
        self._after_run(name, run)

    def _on_session_failed(self, name: str, job: Job, message: str) -> None:
        run = self._finish_run(name, job)
        self._erred.add(name)
        self._add_problems([Problem(time.time(), name, name, message)])
        self.notify.emit(
            self.tr("Sync failed"),
            self.tr("%1: %2").replace("%1", name).replace("%2", message),
            "error",
        )
        self._after_run(name, run)

    def _on_session_skipped(self, name: str, job: Job) -> None:
        self._finish_run(name, job)
        self._update_overall()

    def _on_job_failed(self, message: str) -> None:
        self._add_problems([Problem(time.time(), "", "", message)])

    def _finish_run(self, name: str, job: Job) -> _Run | None:
        """Forget the run that ``job`` was (if a newer one replaced it, keep that)."""
        self._relay.forget(name)
        run = self._runs.get(name)
        if run is None or run.job is not job:
            return None
        del self._runs[name]
        self._progress.pop(name, None)
        return run

    def _after_run(self, name: str, run: _Run | None) -> None:
        self.partnerships_changed.emit()
        self._update_overall()
        if run is not None and run.followup is not None:
            trigger, allow = run.followup
            self.sync([name], trigger=trigger, allow_mass_delete=allow)

    def _take_result(self, result: SessionResult, new_conflicts: int) -> None:
        name = result.partnership
        problems = [Problem(time.time(), name, e.item, e.message) for e in result.errors]
        if result.status is Status.FAILED and not problems:
            problems.append(Problem(time.time(), name, name, self.tr("The sync failed.")))
        if problems:
            self._erred.add(name)
            self._add_problems(problems)
            self.notify.emit(self.tr("Sync problems"), self._problem_text(name, problems), "error")
        elif result.status in (Status.OK, Status.CONFLICTS):
            self._erred.discard(name)
        if result.status is Status.BLOCKED:
            self.guard_blocked.emit(name, result.blocked_store or "", list(result.blocked_items))
        elif new_conflicts > 0 and not problems:
            text = fmt.plural(
                new_conflicts,
                "1 new conflict in %1 to resolve.",
                "{n} new conflicts in %1 to resolve.",
            )
            self.notify.emit(self.tr("Conflicts"), text.replace("%1", name), "conflict")

    def _problem_text(self, name: str, problems: list[Problem]) -> str:
        if len(problems) == 1:
            p = problems[0]
            return self.tr("%1: %2").replace("%1", p.item or name).replace("%2", p.message)
        text = fmt.plural(
            len(problems),
            "1 item could not be synced in %1.",
            "{n} items could not be synced in %1.",
        )
        return text.replace("%1", name)

    def _add_problems(self, problems: list[Problem]) -> None:
        self._problems[:0] = problems  # newest session first, its items in order
        self.problems_changed.emit()
        self._update_overall()

    def _set_sessions(self, sessions: list[SessionRecord]) -> None:
        if sessions == self._sessions:
            return
        self._sessions = sessions
        self._last = {}
        for record in sessions:  # newest first
            self._last.setdefault(record.partnership, record)
        self.sessions_changed.emit()

    def _set_counts(self, counts: dict[str, int]) -> None:
        counts = {k: v for k, v in counts.items() if v}
        if counts != self._counts:
            self._counts = counts
            self.conflicts_changed.emit()
            self.partnerships_changed.emit()
            self._update_overall()

    def _update_overall(self) -> None:
        if self._erred:
            state = Overall.ERROR
        elif self.conflict_total():
            state = Overall.CONFLICTS
        elif self._runs:
            state = Overall.SYNCING
        else:
            state = Overall.IDLE
        if state is not self._overall:
            self._overall = state
            self.overall_changed.emit(state.value)
