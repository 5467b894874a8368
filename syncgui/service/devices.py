"""Devices for the CLI and the GUI: the phones on USB and the virtual phones in use.

Real phones are reached through the helper process that owns USB (``RemoteBackend``), which
loads libmtp; when that is impossible (libmtp missing, the helper failing) the listing says
why in its notes instead of failing, and still shows the phones sysfs sees without MTP.
Virtual phones are those that configured partnerships use (``virtual:FOLDER[#PATH]``).

One scan at a time per service: two scans would fight over the USB devices.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from syncgui.engine.errors import SyncError
from syncgui.providers.mtp.backend import MtpBackend, MtpError
from syncgui.providers.mtp.discovery import usbinfo
from syncgui.providers.mtp.discovery.devices import (
    NO_DEVICES_HINT,
    DeviceReport,
    not_mtp_reports,
    scan,
)
from syncgui.providers.mtp.discovery.hotplug import DeviceEvent, DeviceMonitor
from syncgui.providers.mtp.phone.location import parse_virtual
from syncgui.providers.mtp.virtual import VirtualBackend
from syncgui.service.config import PartnershipBook
from syncgui.service.errors import ConfigError
from syncgui.service.paths import Paths

__all__ = [
    "NO_DEVICES_HINT",
    "DeviceEvent",
    "DeviceListing",
    "DeviceReport",
    "DeviceService",
    "libmtp_backend",
]

log = logging.getLogger(__name__)

BackendFactory = Callable[[], MtpBackend]


@dataclass(frozen=True, slots=True)
class DeviceListing:
    """The devices found, and ``notes``: why some could not be looked for, with what to
    do (e.g. how to install libmtp), in the user's words."""

    devices: tuple[DeviceReport, ...]
    notes: tuple[str, ...] = ()


def libmtp_backend() -> MtpBackend:
    """The real phones, through the helper process that owns USB and loads libmtp."""
    from syncgui.providers.mtp.helper.remote import RemoteBackend  # loaded only when used

    return RemoteBackend("libmtp")


class DeviceService:
    """Lists devices now (:meth:`list_devices`) and watches for them (:meth:`start_monitor`).

    ``real_backend`` makes the backend for USB phones (tests pass a fake; None: no USB
    phones at all); ``usb_root`` is where sysfs, procfs and /dev are read from."""

    def __init__(
        self,
        paths: Paths,
        *,
        real_backend: BackendFactory | None = libmtp_backend,
        usb_root: str | os.PathLike[str] = "/",
        poll_interval: float = 3.0,
        use_udev: bool | None = None,
    ) -> None:
        self.paths = paths
        self._real_backend = real_backend
        self.usb_root = usb_root
        self._scan_lock = threading.Lock()
        self._notes: tuple[str, ...] = ()
        self._monitor = DeviceMonitor(
            self._scan_for_monitor,
            probe=self._probe,
            interval=poll_interval,
            use_udev=use_udev,
        )

    # -- listing --------------------------------------------------------------------------

    def list_devices(self) -> DeviceListing:
        """Every device now: opened, read and closed again (takes a second or two)."""
        with self._scan_lock:
            notes: list[str] = []
            reports = self._usb_devices(notes)
            for root in self.virtual_roots(notes):
                reports += self._virtual_devices(root, notes)
            self._notes = tuple(notes)
            return DeviceListing(tuple(reports), tuple(notes))

    @property
    def notes(self) -> tuple[str, ...]:
        """The notes of the last listing (the monitor's too)."""
        return self._notes

    def virtual_roots(self, notes: list[str] | None = None) -> list[str]:
        """The folders of the virtual phones that partnerships use, each once."""
        try:
            partnerships = PartnershipBook(self.paths.partnerships_file).load()
        except ConfigError as err:
            if notes is not None:
                notes.append(f"Virtual phones were not looked for: {err.message}")
            return []
        roots: list[str] = []
        for p in partnerships:
            for spec in (p.a, p.b):
                scheme, _, location = spec.partition(":")
                if scheme != "virtual":
                    continue
                try:
                    root = parse_virtual(location).device
                except SyncError as err:
                    log.warning("partnership %s: %s", p.name, err.message)
                    continue
                if root not in roots:
                    roots.append(root)
        return roots

    @contextmanager
    def scans_held(self) -> Iterator[None]:
        """Hold off device scans while a phone is opened for something else (the wizard
        browsing its folders): two openers at once would fight over the USB device."""
        with self._scan_lock:
            yield

    def _usb_devices(self, notes: list[str]) -> list[DeviceReport]:
        if self._real_backend is None:
            return []
        try:
            backend = self._real_backend()
        except ImportError as err:
            log.info("MTP support is not available: %s", err)
            notes.append(f"Phones over USB cannot be used: this installation lacks MTP ({err}).")
            return not_mtp_reports(self.usb_root)
        except MtpError as err:  # libmtp missing (LibmtpMissing says how to install it)...
            notes.append(str(err))
            return not_mtp_reports(self.usb_root)
        try:
            return scan(backend, usb_root=self.usb_root)
        except MtpError as err:  # ...or detection itself failed
            log.info("detecting phones failed: %s", err)
            notes.append(f"Phones could not be looked for: {err}")
            return not_mtp_reports(self.usb_root)
        finally:
            _close(backend)

    def _virtual_devices(self, root: str, notes: list[str]) -> list[DeviceReport]:
        try:
            return scan(VirtualBackend(root), usb_root=self.usb_root, include_not_mtp=False)
        except MtpError as err:
            notes.append(f"The virtual phone {root} could not be looked at: {err}")
            return []

    # -- watching -------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[DeviceEvent], None]) -> Callable[[], None]:
        """``callback`` gets every device event, on the monitor's thread (a GUI must pass
        it on to its own thread); returns the unsubscriber."""
        return self._monitor.subscribe(callback)

    def start_monitor(self) -> None:
        """Scan now (every device present is announced as added), then watch for changes."""
        self._monitor.start()

    def stop_monitor(self) -> None:
        self._monitor.stop()

    def rescan(self) -> None:
        """Have the monitor look again soon (call after partnerships change)."""
        self._monitor.rescan()

    def current_devices(self) -> list[DeviceReport]:
        """The devices as the monitor last saw them."""
        return self._monitor.devices()

    def _scan_for_monitor(self) -> list[DeviceReport]:
        return list(self.list_devices().devices)

    def _probe(self) -> object:
        """A cheap look at what is connected: the monitor rescans when this changes."""
        usb: object = usbinfo.snapshot(self.usb_root)
        if usb is None and self._real_backend is not None:  # no sysfs: ask the backend
            with self._scan_lock:
                usb = self._detected_locations()
        roots = self.virtual_roots()
        return usb, tuple((root, os.path.isdir(root)) for root in roots)

    def _detected_locations(self) -> frozenset[str] | None:
        assert self._real_backend is not None
        try:
            backend = self._real_backend()
        except (ImportError, MtpError):
            return None
        try:
            return frozenset(raw.location for raw in backend.detect())
        except MtpError:
            return None
        finally:
            _close(backend)


def _close(backend: MtpBackend) -> None:
    """Backends that own a resource (the helper process) have ``close``."""
    close = getattr(backend, "close", None)
    if callable(close):
        try:
            close()
        except (MtpError, OSError) as err:
            log.debug("closing %r: %s", backend, err)
