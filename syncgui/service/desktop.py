"""The service as the desktop app uses it (:class:`syncgui.gui.port.DesktopPort`): the sync
service and the device service together, with schedules, session records, conflict
details, places on phones for the wizard and the autostart entry. No Qt here."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from syncgui.engine.conflicts import Keep
from syncgui.engine.errors import SyncError
from syncgui.engine.events import Approval, CancelToken, Direction, EventSink, Policy, SessionResult
from syncgui.providers.mtp.phone.location import parse_mtp, parse_virtual
from syncgui.service import autostart
from syncgui.service.config import Partnership
from syncgui.service.devices import (
    BackendFactory,
    DeviceEvent,
    DeviceListing,
    DeviceReport,
    DeviceService,
    libmtp_backend,
)
from syncgui.service.facade import SyncService
from syncgui.service.paths import Paths
from syncgui.service.places import count_cards, is_virtual, places
from syncgui.service.records import ConflictDetail, Place, Schedule, SessionRecord, Trigger
from syncgui.service.schedule import ScheduleBook
from syncgui.service.stores import StoreSpec, parse_spec
from syncgui.service.views import ConflictView

log = logging.getLogger(__name__)


class DesktopService:
    """Implements :class:`~syncgui.gui.port.DesktopPort`. Every method may block (disk, a
    phone); the app calls the slow ones from its job thread.

    ``devices`` is the device service to use (tests pass one with a fake backend);
    ``real_backend`` makes the backend for USB phones (None: no USB phones)."""

    def __init__(
        self,
        paths: Paths,
        *,
        demo: bool = False,
        devices: DeviceService | None = None,
        real_backend: BackendFactory | None = libmtp_backend,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._paths = paths
        self._demo = demo
        self.sync_service = SyncService(paths)
        self.devices = devices or DeviceService(paths, real_backend=real_backend)
        self._real_backend = real_backend
        self._schedules = ScheduleBook(paths.schedules_file)
        self._env = env  # for the autostart entry: XDG_CONFIG_HOME (None: os.environ)

    @property
    def paths(self) -> Paths:
        return self._paths

    @property
    def is_demo(self) -> bool:
        """True for the demo profile (sample stores, apart from the user's own)."""
        return self._demo

    # -- partnerships and schedules -------------------------------------------------------

    def partnerships(self) -> list[Partnership]:
        return self.sync_service.partnerships()

    def add_partnership(
        self,
        name: str,
        a: str,
        b: str,
        direction: Direction,
        policy: Policy,
        schedule: Schedule,
    ) -> tuple[Partnership, list[str]]:
        """Add a partnership with its schedule; returns it and notes on stores created."""
        added = self.sync_service.add_partnership(name, a, b, direction, policy)
        self._schedules.set(name, schedule)
        self.devices.rescan()  # a virtual phone it uses is now watched
        return added

    def remove_partnership(self, name: str) -> None:
        """Forget the partnership, its conflicts and its schedule (stores are not touched)."""
        self.sync_service.remove_partnership(name)
        self.devices.rescan()

    def schedule(self, name: str) -> Schedule:
        self.sync_service.book.get(name)  # an unknown name is an error
        return self._schedules.get(name)

    def set_schedule(self, name: str, schedule: Schedule) -> None:
        self.sync_service.book.get(name)
        self._schedules.set(name, schedule)

    # -- sessions -------------------------------------------------------------------------

    def sync(
        self,
        names: Sequence[str],
        *,
        trigger: Trigger = "manual",
        dry_run: bool = False,
        allow_mass_delete: bool = False,
        approved_deletes: Approval | None = None,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> list[SessionResult]:
        return self.sync_service.sync(
            names,
            trigger=trigger,
            dry_run=dry_run,
            allow_mass_delete=allow_mass_delete,
            approved_deletes=approved_deletes,
            emit=emit,
            cancel=cancel,
        )

    def sessions(self, name: str | None = None, limit: int = 200) -> list[SessionRecord]:
        return self.sync_service.sessions(name, limit)

    # -- conflicts ------------------------------------------------------------------------

    def conflict_counts(self) -> dict[str, int]:
        return self.sync_service.conflict_counts()

    def conflicts(self, name: str | None = None) -> list[ConflictView]:
        return self.sync_service.conflicts(name)

    def conflict_detail(
        self, conflict_id: str, *, partnership: str | None = None
    ) -> ConflictDetail:
        """Given ``partnership``, only its stores are opened."""
        return self.sync_service.conflict_detail(conflict_id, partnership=partnership)

    def resolve(
        self,
        conflict_id: str,
        keep: Keep,
        prefer: Mapping[str, Literal["a", "b"]] | None = None,
        *,
        partnership: str | None = None,
    ) -> ConflictView:
        """Given ``partnership``, only its stores are opened and locked."""
        return self.sync_service.resolve(conflict_id, keep, prefer, partnership=partnership)

    # -- stores and devices ---------------------------------------------------------------

    def count_cards(self, spec: str) -> int | None:
        """Cards in the store ``spec`` now; None when it cannot be read now."""
        return count_cards(parse_spec(spec))

    def places(self, device: DeviceReport) -> list[Place]:
        """Each storage of ``device`` with its folders and ``.vcf`` files, for the wizard;
        raises StoreUnavailable (with what to do) when the phone cannot be opened now."""
        if is_virtual(device):
            return places(device, self._real_backend)
        with self.devices.scans_held():
            return places(device, self._real_backend)

    def watched_paths(self, name: str) -> list[Path]:
        """The files and folders on this computer whose changes should start a sync of
        ``name``: a vdir folder, a vcf file (phones have none)."""
        p = self.sync_service.book.get(name)
        return [Path(spec.location) for spec in (p.spec_a, p.spec_b) if spec.scheme in _LOCAL]

    def partnerships_using(self, device: DeviceReport) -> list[str]:
        """Partnerships with a store on ``device``: a virtual phone by its folder, a USB
        phone by its serial number (or any USB phone for ``mtp:first/...``)."""
        return [
            p.name
            for p in self.partnerships()
            if any(_on_device(spec, device) for spec in (p.spec_a, p.spec_b))
        ]

    def list_devices(self) -> DeviceListing:
        return self.devices.list_devices()

    def subscribe_devices(self, callback: Callable[[DeviceEvent], None]) -> Callable[[], None]:
        return self.devices.subscribe(callback)

    def start_device_monitor(self) -> None:
        self.devices.start_monitor()

    def stop_device_monitor(self) -> None:
        self.devices.stop_monitor()

    def current_devices(self) -> list[DeviceReport]:
        return self.devices.current_devices()

    def device_notes(self) -> tuple[str, ...]:
        return self.devices.notes

    # -- start at login -------------------------------------------------------------------

    def autostart_enabled(self) -> bool:
        return autostart.autostart_enabled(self._env)

    def set_autostart(self, enabled: bool, command: Sequence[str]) -> None:
        """Start ``command`` (with ``--background``) at login, or no longer."""
        autostart.set_autostart(enabled, command, self._env)


_LOCAL = frozenset({"vdir", "vcf"})


def _on_device(spec: StoreSpec, device: DeviceReport) -> bool:
    try:
        if spec.scheme == "virtual":
            root = parse_virtual(spec.location).device
            return is_virtual(device) and os.path.abspath(device.location) == root
        if spec.scheme == "mtp":
            wanted = parse_mtp(spec.location).device
            if is_virtual(device):
                return False
            return wanted.lower() == "first" or (bool(device.serial) and wanted == device.serial)
    except SyncError as err:  # a spec that does not parse names no device
        log.debug("%s: %s", spec, err.message)
    return False
