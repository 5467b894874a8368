"""The app's state and actions on the GUI thread: the one object every view talks to.

The signatures and signals below are the contract between the views (main window, dialogs,
wizard, tray) and the core (the service's scheduler, auto-sync); views only use what is
declared here.

When sessions run is the service's :class:`~syncgui.service.SessionScheduler`'s to decide
(one per partnership, requests merged, pause, first syncs); this object asks it and follows
what it reports. The connection to the scheduler and the worker pool (their events on
worker threads turned into Qt signals on the GUI thread) is :mod:`.bridge`; other slow calls
run as jobs of the same pool (:mod:`.jobs`), beside sessions that touch other stores. What a
refresh reads is in :mod:`.reads`, the window's copy of each run in :mod:`.runs`, the
problems list and what a finished session means for it in :mod:`.problems`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from syncgui.engine import Approval, Keep, SessionResult
from syncgui.gui import wording
from syncgui.gui.bridge import SessionBridge
from syncgui.gui.catalog import Catalog
from syncgui.gui.jobs import CALLS, JobRunner
from syncgui.gui.problems import Note, ProblemBook
from syncgui.gui.reads import Config, Loaded, Ran, read_all, read_config
from syncgui.gui.runs import RunBoard
from syncgui.gui.sign_in import AUTOMATIC, SignIns, accounts_of
from syncgui.gui.state import Overall, PartnershipRow, Problem, Progress
from syncgui.service import (
    Account,
    DeviceEvent,
    DeviceReport,
    Done,
    Failed,
    JobError,
    Partnership,
    Resource,
    RunEnded,
    RunStarted,
    Schedule,
    SessionRecord,
    SyncPort,
    Trigger,
)

Done_ = Callable[[Any], None]
Failed_ = Callable[[str], None]

log = logging.getLogger(__name__)


class AppController(QObject):
    # partnerships list, schedule, activity, last result, next run or conflict count changed
    partnerships_changed = Signal()
    # (partnership, stage, done, total) while a session runs
    progress_changed = Signal(str, str, int, int)
    devices_changed = Signal()
    sessions_changed = Signal()  # the activity (history of sessions) grew
    problems_changed = Signal()
    # after every finished session and resolve: reload any open conflict list (a conflict's
    # data may have changed even when the counts did not)
    conflicts_changed = Signal()
    overall_changed = Signal(str)  # Overall value: idle, syncing, conflicts, error
    paused_changed = Signal(bool)
    # (title, message, kind) kind: "conflict", "error" or "info": the tray shows it
    notify = Signal(str, str, str)
    # (partnership, store, items, emptied, held): the mass-deletion guard stopped a session
    # the user started; the window asks the user and calls sync([name], approved_deletes=
    # len(items)) to go on (more deletions than that stop it again, with this signal and the
    # new list). ``emptied`` is the other store when it stopped because that store now lists
    # no contacts, having held ``held`` (else "" and 0). A blocked automatic session is a
    # problem instead (no dialog per timed run).
    guard_blocked = Signal(str, str, list, str, int)
    accounts_changed = Signal()  # the accounts, or which wait for a password, changed
    # (account, message): a server refused the account's password; the window asks for it
    # (once: until a password is accepted, automatic syncs that use it do not start)
    sign_in_needed = Signal(str, str)

    def __init__(
        self,
        service: SyncPort,
        parent: QObject | None = None,
        *,
        progress_interval: float = 0.05,
        load: bool = True,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self._bridge = SessionBridge(service, self, progress_interval=progress_interval)
        self._bridge.run_started.connect(self._on_run_started)
        self._bridge.run_ended.connect(self._on_run_ended)
        self._bridge.progress.connect(self._on_progress)
        self._jobs = self._bridge.jobs
        self._scheduler = self._bridge.scheduler
        self._runs = RunBoard()  # what the window knows of each run
        self._data = Catalog()  # the service's data as last read
        self._book = ProblemBook()  # problems, partnerships in error
        self._sign_ins = SignIns()  # accounts waiting for a password
        self._devices: list[DeviceReport] = []
        self._notes: tuple[str, ...] = ()
        self._paused_until: float | None = None
        self._resume_timer = QTimer(self)
        self._resume_timer.setSingleShot(True)
        self._resume_timer.timeout.connect(self.resume)
        self._overall = Overall.IDLE
        if load:
            self._load_config()
            self.refresh()

    # -- what the views read (cheap, GUI thread) --------------------------------------------
    def rows(self) -> list[PartnershipRow]:
        return [self._row(p) for p in self._data.partnerships]

    def row(self, name: str) -> PartnershipRow | None:
        p = self._data.find(name)
        return None if p is None else self._row(p)

    def _row(self, p: Partnership) -> PartnershipRow:
        return PartnershipRow(
            partnership=p,
            schedule=self._data.schedules.get(p.name, Schedule()),
            activity=self._runs.activity(p.name),
            progress=self._runs.progress(p.name),
            last=self._data.last.get(p.name),
            next_run=self._data.next_run.get(p.name),
            conflicts=self._data.counts.get(p.name, 0),
        )

    def devices(self) -> list[DeviceReport]:
        return list(self._devices)

    def store_name(self, spec: str) -> str:
        """A store's friendly name (a phone's model, an online book's own name)."""
        return wording.store_name(spec, self._devices, self._data.accounts)

    def accounts(self) -> list[Account]:
        """The accounts on CardDAV servers, as last read (a config file)."""
        return list(self._data.accounts)

    def password_wanted(self, account: str) -> str | None:
        """Why ``account`` waits for a password (the server's message), or None."""
        return self._sign_ins.waiting(account)

    def users_of(self, account: str) -> list[str]:
        """The partnerships that use an address book of ``account``."""
        return [p.name for p in self._data.partnerships if account in accounts_of(p)]

    def password_accepted(self, account: str) -> None:
        """The user entered a password the server accepted: the partnerships that use the
        account sync again (as the user's request)."""
        waited = self._sign_ins.accepted(account)
        self.accounts_changed.emit()
        if waited:
            self.sync(self.users_of(account))

    def device_notes(self) -> tuple[str, ...]:
        return self._notes

    def sessions(self) -> list[SessionRecord]:
        return list(self._data.sessions)

    def problems(self) -> list[Problem]:
        return self._book.list.items()

    def clear_problems(self) -> None:
        """Forget the listed problems; the error state they caused is acknowledged too
        (the tray stops showing an error the user has dismissed)."""
        self._book.clear()
        self.problems_changed.emit()
        self._update_overall()

    def report_problem(self, partnership: str, item: str, message: str) -> None:
        """A failed action of a window (a schedule not saved, a removal): kept in the one
        Problems list with the rest, without a notification (the user is looking)."""
        self._add_problems([Problem(time.time(), partnership, item, message)])

    def conflict_total(self) -> int:
        return sum(self._data.counts.values())

    def overall(self) -> Overall:
        return self._overall

    def is_paused(self) -> bool:
        return self._scheduler.paused

    def paused_until(self) -> float | None:
        return self._paused_until if self._scheduler.paused else None

    def is_busy(self, name: str) -> bool:
        return self._runs.is_busy(name)

    def has_synced(self, name: str) -> bool:
        """Whether ``name`` has a recorded session (automatic syncs never start the first)."""
        return self._scheduler.has_synced(name)

    def pending_work(self) -> int:
        """Work not done yet: jobs of any kind queued or running (sessions, resolves,
        refreshes, the wizard's and dialogs' calls) and follow-up sessions asked for. Quit
        asks first when this is not 0: quitting drops it."""
        return self._bridge.pending() + len(self._runs) + self._runs.followups()

    def schedules(self) -> dict[str, Schedule]:
        """Each partnership's schedule, as last loaded (for auto-sync)."""
        return dict(self._data.schedules)

    def set_next_run(self, name: str, when: float | None) -> None:
        """Auto-sync tells when the next timed sync of ``name`` is due."""
        if self._data.set_next_run(name, when):
            self.partnerships_changed.emit()

    def job_runner(self) -> JobRunner:
        return self._jobs

    # -- actions ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload partnerships, schedules, conflict counts and sessions (on the job thread)."""
        service = self.service
        self._jobs.submit(
            lambda: read_all(service), self._on_loaded, self._on_job_failed, label="refresh"
        )

    def resources(self, name: str | None) -> frozenset[Resource]:
        """What a session of ``name`` touches (any store while its stores are not known);
        None: every partnership (e.g. listing all conflicts, which reads every store)."""
        return self._data.resources(name)

    def config_error(self) -> str | None:
        """Why the partnerships could not be read (a damaged file), or None."""
        return self._data.config_error

    def sync(
        self,
        names: Sequence[str] | None = None,
        *,
        trigger: Trigger = "manual",
        approved_deletes: Approval | None = None,
    ) -> list[str]:
        """Queue a session for each partnership (None: all). ``approved_deletes``: the user
        approved a blocked list of that many deletions (the guard dialog); the session may
        delete that many from a store, more stops it again. A request for a partnership
        already queued merges into that run (the user's trigger over an automatic one, the
        approval of the latest user request; automatic ones carry none); while one runs,
        into one run after it. A paused app queues nothing for triggers other than "manual"
        and "resolve", and automatic triggers never start a partnership's first sync (the
        service's scheduler decides). Returns the names newly queued."""
        if self._bridge.stopped:
            return []
        wanted = [p.name for p in self._data.partnerships] if names is None else list(names)
        if trigger in AUTOMATIC:  # not while a server waits for its password
            wanted = [n for n in wanted if not self._waits_for_password(n)]
        queued = [n for n in dict.fromkeys(wanted) if self._request(n, trigger, approved_deletes)]
        if queued:
            self.partnerships_changed.emit()
            self._update_overall()
        return queued

    def _waits_for_password(self, name: str) -> bool:
        p = self._data.find(name)
        return p is not None and self._sign_ins.blocks(p)

    def _request(self, name: str, trigger: Trigger, approved_deletes: Approval | None) -> bool:
        answer = self._scheduler.request(name, self.resources(name), trigger, approved_deletes)
        return self._runs.answered(name, answer)

    def cancel(self, name: str | None = None) -> None:
        """Cancel one partnership's queued or running session (None: all)."""
        for n in self._scheduler.cancel(name):  # those that had not started
            self._runs.forget_unstarted(n)
        self.partnerships_changed.emit()
        self._update_overall()

    def pause(self, seconds: int | None = 3600) -> None:
        """Stop automatic syncs for ``seconds`` (None: until resumed)."""
        dropped = self._scheduler.pause()  # automatic runs not started yet
        for name in dropped:
            self._runs.forget_unstarted(name)
        if seconds is None:
            self._paused_until = None
            self._resume_timer.stop()
        else:
            self._paused_until = time.time() + seconds
            self._resume_timer.start(max(0, seconds) * 1000)
        log.info("paused automatic syncs (%s s)", seconds)
        if dropped:
            self.partnerships_changed.emit()
            self._update_overall()
        self.paused_changed.emit(True)

    def resume(self) -> None:
        self._resume_timer.stop()
        was = self._scheduler.paused
        self._scheduler.resume()
        self._paused_until = None
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
        done: Done_ | None = None,
        failed: Failed_ | None = None,
    ) -> None:
        """Resolve on a worker (in line with that partnership's sessions), then sync that
        partnership so the result spreads. ``done(view)``/``failed(message)`` are told too
        (the conflict dialog's feedback)."""
        choice = dict(prefer) if prefer else None

        def work() -> tuple[object, dict[str, int]]:  # job thread
            view = self.service.resolve(conflict_id, keep, choice, partnership=partnership)
            return view, self.service.conflict_counts()

        def resolved(result: tuple[object, dict[str, int]]) -> None:
            self._set_counts(result[1], announce=True)
            self.sync([partnership], trigger="resolve")
            if done is not None:
                done(result[0])

        def not_resolved(error: JobError) -> None:
            self._add_problems([Problem.of(time.time(), partnership, "", error)])
            self.conflicts_changed.emit()  # it may be gone: the list shows what is left
            if failed is not None:
                failed(error.message)

        self._jobs.submit(
            work,
            resolved,
            not_resolved,
            label=f"resolve {conflict_id}",
            resources=self.resources(partnership),
        )

    def call(
        self,
        work: Callable[[SyncPort], Any],
        done: Done_,
        failed: Failed_,
        *,
        resources: Iterable[Resource] | None = None,
    ) -> None:
        """As :meth:`call_job`, with only the failure's message for ``failed``."""
        self.call_job(work, done, lambda error: failed(error.message), resources=resources)

    def call_job(
        self,
        work: Callable[[SyncPort], Any],
        done: Done_,
        failed: Callable[[JobError], None],
        *,
        resources: Iterable[Resource] | None = None,
    ) -> None:
        """Run ``work(service)`` on a worker; ``done(result)`` or ``failed(message)`` is
        called on the GUI thread. For the wizard (places, counts, adding, a preview) and
        the conflict dialog (loading details). ``resources``: what ``work`` touches (see
        :meth:`resources`; :func:`syncgui.service.device_resources`); jobs
        sharing one run in order, the others at the same time. None: in line with the
        other calls that declare nothing, beside every session."""
        service = self.service
        self._jobs.submit(
            lambda: work(service),
            done,
            failed,
            label="call",
            resources=CALLS if resources is None else resources,
        )

    def shutdown(self) -> None:
        """Cancel what runs, stop the job thread and the device monitor (at quit)."""
        if self._bridge.stopped:
            return
        self._resume_timer.stop()
        self._bridge.stop()
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
        window shows its rows from the start (refresh() reports a damaged file)."""
        self._set_config(read_config(self.service), report=False)

    def _set_config(self, config: Config, *, report: bool = True) -> None:
        accounts_before = self._data.accounts
        now = time.time()
        for error in self._data.set_config(config, report=report):
            self._add_problems([Problem(now, "", self.tr("settings"), error)])
        if config.accounts != accounts_before:
            self._sign_ins.forget_except({a.name for a in config.accounts})
            self.accounts_changed.emit()

    # -- runs (the bridge's signals, GUI thread) ----------------------------------------------
    @Slot(object)
    def _on_run_started(self, event: RunStarted) -> None:
        if self._runs.started(event):
            self.partnerships_changed.emit()
            self._update_overall()

    @Slot(object)
    def _on_run_ended(self, event: RunEnded[Ran]) -> None:
        self._runs.ended(event)
        if isinstance(event.end, Done):
            self._on_session_done(event.name, event.end.result)
        elif isinstance(event.end, Failed):
            self._on_session_failed(event.name, event.end.error)
        self.partnerships_changed.emit()
        self._update_overall()

    @Slot(str, str, int, int)
    def _on_progress(self, name: str, stage: str, done: int, total: int) -> None:
        if self._runs.progressed(name, Progress(stage, done, total)):
            self.progress_changed.emit(name, stage, done, total)

    def _on_loaded(self, loaded: Loaded) -> None:
        self._set_config(loaded.config)
        self._scheduler.note_synced(loaded.synced)
        self._devices, self._notes = loaded.devices, loaded.notes
        self._set_sessions(loaded.sessions)
        self._set_counts(loaded.counts)
        self.partnerships_changed.emit()
        self.devices_changed.emit()
        self._update_overall()

    def _on_session_done(self, name: str, ran: Ran) -> None:
        before = self._data.counts.get(name, 0)
        self._set_sessions(ran.sessions)
        self._set_counts(ran.counts, announce=True)
        for result in ran.results:
            new_conflicts = self._data.counts.get(result.partnership, 0) - before
            outcome = self._book.result(result, ran.trigger, new_conflicts, time.time())
            self._problems_changed(outcome.notes)
            if outcome.guard is not None:
                self.guard_blocked.emit(*outcome.guard)
            if result.refused_sign_in:
                self._sign_in_refused(result, ran.trigger)

    def _sign_in_refused(self, result: SessionResult, trigger: Trigger) -> None:
        """Ask for the account's password: the first time its server refuses it, and
        again whenever a sync the user asked for is refused."""
        account = result.refused_sign_in
        if account not in {a.name for a in self._data.accounts}:
            return  # a carddav:URL store: no account keeps a password for it
        message = result.errors[0].message if result.errors else ""
        first = self._sign_ins.refused(account, message)
        log.info("%s: the server refused the password of %s", result.partnership, account)
        if first:
            self.accounts_changed.emit()
        if first or trigger == "manual":
            self.sign_in_needed.emit(account, message)

    def _on_session_failed(self, name: str, error: JobError) -> None:
        self._problems_changed(self._book.failed(name, error, time.time()))
        self.conflicts_changed.emit()

    def _on_job_failed(self, error: JobError) -> None:
        self._add_problems([Problem.of(time.time(), "", error.item or "", error)])

    def _problems_changed(self, notes: list[Note]) -> None:
        self.problems_changed.emit()
        self._update_overall()
        for note in notes:
            self.notify.emit(*note)

    def _add_problems(self, problems: list[Problem]) -> list[Problem]:
        """List ``problems`` (newest session first, its items in order); returns the new
        ones (a problem listed already only gets its new time)."""
        new = self._book.list.add(problems)
        self.problems_changed.emit()
        self._update_overall()
        return new

    def _set_sessions(self, sessions: list[SessionRecord]) -> None:
        if self._data.set_sessions(sessions):
            self._scheduler.note_synced(list(self._data.last))
            self.sessions_changed.emit()

    def _set_counts(self, counts: dict[str, int], *, announce: bool = False) -> None:
        """New conflict counts; ``announce``: tell open conflict lists to reload even if
        the counts are the same (a session or resolve may have changed a conflict)."""
        changed = self._data.set_counts(counts)
        if changed or announce:
            self.conflicts_changed.emit()
        if changed:
            self.partnerships_changed.emit()
            self._update_overall()

    def _update_overall(self) -> None:
        if self._book.erred:
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
