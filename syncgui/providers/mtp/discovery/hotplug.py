"""Hot-plug: tell subscribers when phones come, go, or change state.

A :class:`DeviceMonitor` runs one background thread. On Linux with pyudev it waits for udev
to announce USB devices added or removed and rescans a moment after the last one (a phone
switching mode re-enumerates in a burst of events); elsewhere it polls a cheap ``probe``
every few seconds and rescans when its answer changes. While a device is locked or busy it
rescans at the polling interval too, so the user sees it become ready.

Callbacks run on the monitor's thread: a GUI must hand events to its own thread.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from syncgui.providers.mtp.discovery.devices import DeviceReport

log = logging.getLogger(__name__)

EventKind = Literal["added", "removed", "changed"]
Scanner = Callable[[], Sequence[DeviceReport]]
Probe = Callable[[], object]
Callback = Callable[["DeviceEvent"], None]

_UDEV_POLL = 0.2  # seconds the udev loop waits for an event before checking for stop
_RECHECKED_STATES = frozenset({"locked", "busy"})  # states the user clears without replugging


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """``added``/``changed``: the device as now scanned; ``removed``: as last seen."""

    kind: EventKind
    report: DeviceReport

    @property
    def key(self) -> str:
        return self.report.key


class DeviceMonitor:
    """Publishes :class:`DeviceEvent` s from a background thread.

    ``scan`` lists the devices (opening them: see :func:`devices.scan`); ``probe`` is a
    cheap look at the bus whose answer changes when devices come or go (without one, every
    poll is a full scan). ``use_udev``: None picks udev when on Linux and pyudev imports.
    """

    def __init__(
        self,
        scan: Scanner,
        *,
        probe: Probe | None = None,
        interval: float = 3.0,
        debounce: float = 1.0,
        use_udev: bool | None = None,
    ) -> None:
        self._scan = scan
        self._probe = probe
        self.interval = interval
        self.debounce = debounce
        self._use_udev = use_udev
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()
        self._devices: dict[str, DeviceReport] = {}
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._rescan_asked = threading.Event()
        self._thread: threading.Thread | None = None
        self.mode: Literal["udev", "polling", ""] = ""

    # -- public ---------------------------------------------------------------------------

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback`` for every event from now on; returns the unsubscriber."""
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def devices(self) -> list[DeviceReport]:
        """The devices as last scanned (each was announced by an ``added`` event)."""
        with self._lock:
            return list(self._devices.values())

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Scan once, announcing every device present, then watch (in the background)."""
        if self.running:
            return
        self._stopping.clear()
        self._wake.clear()
        udev = self._udev_monitor() if self._use_udev is not False else None
        self.mode = "udev" if udev is not None else "polling"
        self._thread = threading.Thread(
            target=self._run, args=(udev,), name="syncgui-device-monitor", daemon=True
        )
        self._thread.start()
        log.info("device monitor started (%s)", self.mode)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; returns once the thread has ended (or ``timeout`` passed: a scan
        in progress is not interrupted)."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("device monitor still scanning after %.1f s", timeout)

    def rescan(self) -> None:
        """Scan again soon (e.g. after partnerships with a virtual device changed)."""
        self._rescan_asked.set()
        self._wake.set()

    # -- the thread -----------------------------------------------------------------------

    def _run(self, udev: Any) -> None:
        self._scan_and_publish()
        if udev is not None:
            self._run_udev(udev)
        else:
            self._run_polling()
        log.info("device monitor stopped")

    def _run_polling(self) -> None:
        last = self._safe_probe()
        while not self._sleep(self.interval):
            now = self._safe_probe()
            asked = self._rescan_asked.is_set()
            if self._probe is None or now != last or asked or self._needs_recheck():
                self._scan_and_publish()
            last = now

    def _run_udev(self, udev: Any) -> None:
        due: float | None = None
        recheck_at = time.monotonic() + self.interval
        while not self._stopping.is_set():
            try:
                event = self._udev_event(udev)
            except Exception:
                log.exception("reading udev events failed; polling for devices instead")
                self.mode = "polling"
                self._run_polling()
                return
            if event:
                due = time.monotonic() + self.debounce
            now = time.monotonic()
            if self._rescan_asked.is_set():
                due = now
            recheck = self._needs_recheck() and now >= recheck_at
            if (due is not None and now >= due) or recheck:
                self._scan_and_publish()
                due, recheck_at = None, time.monotonic() + self.interval

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` or until woken; True when stopping."""
        self._wake.wait(seconds)
        self._wake.clear()
        return self._stopping.is_set()

    def _safe_probe(self) -> object:
        if self._probe is None:
            return None
        try:
            return self._probe()
        except Exception:  # a probe failing must not end hot-plug; the next one may work
            log.exception("device probe failed")
            return None

    def _needs_recheck(self) -> bool:
        with self._lock:
            return any(r.state in _RECHECKED_STATES for r in self._devices.values())

    def _scan_and_publish(self) -> None:
        self._rescan_asked.clear()
        try:
            reports = list(self._scan())
        except Exception:  # keep what we knew; the next scan may work
            log.exception("device scan failed")
            return
        if self._stopping.is_set():
            return
        events = self._update(reports)
        for event in events:
            self._publish(event)

    def _update(self, reports: Sequence[DeviceReport]) -> list[DeviceEvent]:
        new = {r.key: r for r in reports}
        with self._lock:
            old, self._devices = self._devices, new
        events = [DeviceEvent("removed", r) for k, r in old.items() if k not in new]
        for key, report in new.items():
            if key not in old:
                events.append(DeviceEvent("added", report))
            elif old[key] != report:
                events.append(DeviceEvent("changed", report))
        return events

    def _publish(self, event: DeviceEvent) -> None:
        log.info("device %s: %s (%s)", event.kind, event.report.name, event.report.state)
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # one subscriber's bug must not stop the others or the monitor
                log.exception("device event callback %r failed", callback)

    # -- udev -----------------------------------------------------------------------------

    def _udev_monitor(self) -> Any:
        """A started pyudev monitor of USB devices, or None (then: polling)."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            pyudev = importlib.import_module("pyudev")  # optional: the [udev] extra
        except ImportError:
            log.info("pyudev is not installed; polling for devices every %.0f s", self.interval)
            return None
        try:
            monitor = pyudev.Monitor.from_netlink(pyudev.Context())
            monitor.filter_by(subsystem="usb", device_type="usb_device")
            monitor.start()
        except Exception as err:  # no netlink (containers), no libudev: poll instead
            log.info("udev is not usable (%s); polling for devices", err)
            return None
        return monitor

    def _udev_event(self, udev: Any) -> bool:
        """Wait briefly for a USB device to be added or removed."""
        device = udev.poll(timeout=_UDEV_POLL)
        if device is None:
            return False
        return getattr(device, "action", None) in {"add", "remove"}
