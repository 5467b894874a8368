"""Automatic syncs: on a timer, when a phone is connected, when a local store changes.

AutoSync only asks the controller for sessions (``controller.sync(..., trigger=...)``); the
controller keeps one session per partnership and starts nothing while paused. Each
partnership's :class:`Schedule` says which triggers apply to it.

Device events arrive on the device monitor's thread: they are re-emitted through a signal
of this GUI-thread object, so everything here runs on the GUI thread. Local changes are
debounced (one sync a few seconds after the last change). A change seen while the
partnership syncs, or in the quiet moment after, may be our own session's writing or the
user's edit: it is not dropped, it marks the partnership "changed meanwhile", and when the
quiet moment ends ONE "change" sync runs (our own writes cost one sync that finds nothing
to do, writes nothing, and so ends there; the session log does not list such a sync, so
Activity shows each sync once: ``nothing_done`` in :mod:`syncgui.service.sessions`).
Changes seen while paused make one "change" sync on resume. The controller never lets an
automatic trigger start a partnership's first sync."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from syncgui.gui.controller import AppController
from syncgui.gui.state import Activity
from syncgui.service import DeviceEvent, Schedule, SyncPort

__all__ = ["AutoSync"]

log = logging.getLogger(__name__)

#: cards watched one by one in a folder (a folder itself reports cards added or removed,
#: not cards edited in place); beyond this, edits in place wait for another trigger
FILE_WATCH_LIMIT = 2_000


def _with_files(paths: list[Path]) -> list[Path]:
    """``paths`` and the cards in those that are folders (job thread: lists folders)."""
    found = list(paths)
    for path in paths:
        try:
            if path.is_dir():
                cards = sorted(p for p in path.iterdir() if p.suffix.lower() == ".vcf")
                found += cards[:FILE_WATCH_LIMIT]
        except OSError as err:
            log.warning("cannot list %s: %s", path, err)
    return found


class AutoSync(QObject):
    """Drives ``controller.sync`` from timers, device connections and file changes.

    ``minute_ms``, ``debounce_ms`` and ``quiet_ms`` are the length of a schedule's minute,
    the wait after the last local change, and how long after its own session a
    partnership's changes are ignored (tests shorten them). Devices announced within
    ``startup_ms`` of :meth:`start` were connected before the app started (the monitor's
    first scan): they show, but do not count as being connected now."""

    _device_seen = Signal(object)  # DeviceEvent, re-emitted on the GUI thread
    change_detected = Signal(str)  # a partnership's local store changed

    def __init__(
        self,
        controller: AppController,
        parent: QObject | None = None,
        *,
        minute_ms: int = 60_000,
        debounce_ms: int = 5_000,
        quiet_ms: int = 2_000,
        startup_ms: int = 0,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.minute_ms = minute_ms
        self.debounce_ms = debounce_ms
        self.quiet_ms = quiet_ms
        self.startup_ms = startup_ms
        self._started_at = 0.0
        self._schedules: dict[str, Schedule] = {}
        self._timers: dict[str, QTimer] = {}
        self._debounce: dict[str, QTimer] = {}
        self._watched: dict[str, list[str]] = {}  # path -> partnerships
        self._busy: set[str] = set()
        self._quiet_until: dict[str, float] = {}  # time.monotonic()
        self._quiet: dict[str, QTimer] = {}  # ends a partnership's quiet moment
        self._changed_meanwhile: set[str] = set()  # changes seen while busy, quiet or paused
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_path_changed)
        self._watcher.fileChanged.connect(self._on_path_changed)
        self._device_seen.connect(self._on_device_event)
        self._unsubscribe: Callable[[], None] | None = None
        self._started = False

    # -- life ----------------------------------------------------------------------------
    def start(self) -> None:
        """Follow the controller's partnerships and the device monitor's events."""
        if self._started:
            return
        self._started = True
        self._started_at = time.monotonic()
        self.controller.partnerships_changed.connect(self._on_partnerships_changed)
        self.controller.paused_changed.connect(self._on_paused_changed)
        self._unsubscribe = self.controller.service.subscribe_devices(self._device_seen.emit)
        self._on_partnerships_changed()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for timer in [*self._timers.values(), *self._debounce.values(), *self._quiet.values()]:
            timer.stop()
        if self._started:
            self.controller.partnerships_changed.disconnect(self._on_partnerships_changed)
            self.controller.paused_changed.disconnect(self._on_paused_changed)
            self._started = False

    def watched(self) -> dict[str, list[str]]:
        """The paths watched for local changes, and whose they are."""
        return {path: list(names) for path, names in self._watched.items()}

    # -- schedules -------------------------------------------------------------------------
    @Slot()
    def _on_partnerships_changed(self) -> None:
        self._note_activity()
        schedules = self.controller.schedules()
        if schedules == self._schedules:
            return
        old, self._schedules = self._schedules, schedules
        for name in set(old) | set(schedules):
            if old.get(name) != schedules.get(name):
                self._set_timer(name, schedules.get(name))
        self._load_watches()

    def _set_timer(self, name: str, schedule: Schedule | None) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.stop()
            timer.deleteLater()
        if schedule is None or schedule.interval_minutes <= 0:
            self.controller.set_next_run(name, None)
            return
        timer = QTimer(self)
        timer.setInterval(schedule.interval_minutes * self.minute_ms)
        timer.timeout.connect(lambda n=name: self._on_interval(n))
        timer.start()
        self._timers[name] = timer
        self._plan_next(name)

    def _plan_next(self, name: str) -> None:
        timer = self._timers.get(name)
        when = time.time() + timer.interval() / 1000 if timer is not None else None
        self.controller.set_next_run(name, when)

    def _on_interval(self, name: str) -> None:
        log.info("timed sync of %s", name)
        self._plan_next(name)
        self.controller.sync([name], trigger="schedule")

    # -- devices ---------------------------------------------------------------------------
    @Slot(object)
    def _on_device_event(self, event: DeviceEvent) -> None:
        self.controller.device_event(event)
        if event.kind != "added" or self.controller.is_paused():
            return
        report = event.report
        if time.monotonic() - self._started_at < self.startup_ms / 1000:
            log.info("%s was connected before the app started: not syncing", report.name)
            return
        self.controller.call(
            lambda service: service.partnerships_using(report),
            self._sync_on_connect,
            lambda message: log.warning("which partnerships use %s: %s", report.name, message),
        )

    def _sync_on_connect(self, names: Sequence[str]) -> None:
        wanted = [n for n in names if self._schedule(n).on_connect]
        if wanted:
            log.info("device connected: syncing %s", ", ".join(wanted))
            self.controller.sync(wanted, trigger="device")

    def _schedule(self, name: str) -> Schedule:
        return self._schedules.get(name, Schedule())

    # -- local changes -----------------------------------------------------------------------
    def _load_watches(self) -> None:
        names = [n for n, s in self._schedules.items() if s.on_change]

        def paths(service: SyncPort) -> dict[str, list[Path]]:  # job thread
            return {n: _with_files(service.watched_paths(n)) for n in names}

        self.controller.call(
            paths,
            self._set_watches,
            lambda message: log.warning("cannot watch the local stores: %s", message),
        )

    def _set_watches(self, paths: dict[str, list[Path]]) -> None:
        watched: dict[str, list[str]] = {}
        for name, found in paths.items():
            for path in found:
                watched.setdefault(str(path), []).append(name)
        gone = [p for p in self._watched if p not in watched]
        if gone:
            self._watcher.removePaths(gone)
        new = [p for p in watched if p not in self._watched and Path(p).exists()]
        if new:
            self._watcher.addPaths(new)
        self._watched = watched

    @Slot(str)
    def _on_path_changed(self, path: str) -> None:
        unwatched = path not in self._watcher.files() + self._watcher.directories()
        if unwatched and Path(path).exists():  # a file replaced by a rename is dropped
            self._watcher.addPath(path)
        for name in self._watched.get(path, []):
            if self._hold(name):
                continue
            self.change_detected.emit(name)
            self._debounced(name).start()

    def _debounced(self, name: str) -> QTimer:
        timer = self._debounce.get(name)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda n=name: self._on_settled(n))
            self._debounce[name] = timer
        timer.setInterval(self.debounce_ms)
        return timer

    def _on_settled(self, name: str) -> None:
        self._load_watches()  # a folder may have new cards to watch
        if self._schedule(name).on_change and not self._hold(name):
            log.info("local change: syncing %s", name)
            self.controller.sync([name], trigger="change")

    def _hold(self, name: str) -> bool:
        """Whether a change of ``name`` seen now must wait (it is marked instead): the
        partnership syncs or just did (the change may be its own writing), or auto-sync
        is paused."""
        if name in self._busy or time.monotonic() < self._quiet_until.get(name, 0.0):
            reason = "while it syncs"
        elif self.controller.is_paused():
            reason = "while paused"
        else:
            return False
        if name not in self._changed_meanwhile:
            log.debug("%s changed %s: one sync when it can", name, reason)
        self._changed_meanwhile.add(name)
        return True

    def _note_activity(self) -> None:
        busy = {
            r.partnership.name for r in self.controller.rows() if r.activity is not Activity.IDLE
        }
        for name in self._busy - busy:  # just finished: its own writes may still arrive
            self._quiet_until[name] = time.monotonic() + self.quiet_ms / 1000
            self._quiet_timer(name).start()
        self._busy = busy

    def _quiet_timer(self, name: str) -> QTimer:
        timer = self._quiet.get(name)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda n=name: self._on_quiet_over(n))
            self._quiet[name] = timer
        timer.setInterval(self.quiet_ms)
        return timer

    def _on_quiet_over(self, name: str) -> None:
        """The quiet moment after ``name``'s session ended: sync once if it changed."""
        self._quiet_until.pop(name, None)  # (a coarse timer may fire a little early)
        if name in self._busy or self.controller.is_paused():
            return  # it runs again (it ends with a new quiet moment), or resume syncs it
        self._sync_changed([name])

    @Slot(bool)
    def _on_paused_changed(self, paused: bool) -> None:
        if not paused:
            self._sync_changed([n for n in self._changed_meanwhile if n not in self._busy])

    def _sync_changed(self, names: list[str]) -> None:
        wanted = [n for n in names if n in self._changed_meanwhile]
        self._changed_meanwhile.difference_update(wanted)
        wanted = [n for n in wanted if n in self._schedules and self._schedules[n].on_change]
        if wanted:
            log.info(
                "changed during or after a sync, or while paused: syncing %s", ", ".join(wanted)
            )
            self.controller.sync(wanted, trigger="change")
