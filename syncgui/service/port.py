"""What the desktop app needs of the service, as one Protocol: :class:`SyncPort`.

The service's facade, :class:`~syncgui.service.facade.SyncService`, satisfies it (mypy checks
that in :mod:`syncgui.service`); the GUI's tests drive real widgets against a fake that
implements it. Every method may block (disk, a phone): the GUI calls the slow ones only as
jobs on the service's scheduler, never on its own thread."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, Protocol

from syncgui.engine.events import Approval, CancelToken, Direction, EventSink, Policy, SessionResult
from syncgui.engine.resolutions import Keep
from syncgui.service.accounts import Account, AddedAccount, OnlineBook
from syncgui.service.config import Partnership
from syncgui.service.devices import DeviceEvent, DeviceListing, DeviceReport
from syncgui.service.history import HistoryEntry, HistoryUsage
from syncgui.service.paths import Paths
from syncgui.service.records import ConflictDetail, Place, Schedule, SessionRecord, Trigger
from syncgui.service.undoing import UndoOutcome
from syncgui.service.views import ConflictView

__all__ = ["SyncPort"]


class SyncPort(Protocol):
    """The service as the GUI sees it (see SyncService for what each method does)."""

    @property
    def paths(self) -> Paths: ...

    @property
    def is_demo(self) -> bool: ...

    # partnerships and schedules (fast: config files)
    def partnerships(self) -> list[Partnership]: ...

    def add_partnership(
        self,
        name: str,
        a: str,
        b: str,
        direction: Direction,
        policy: Policy,
        schedule: Schedule,
    ) -> tuple[Partnership, list[str]]: ...

    def remove_partnership(self, name: str) -> None: ...

    def refuse_matches(self, name: str, pairs: Iterable[tuple[bytes, bytes]]) -> Partnership: ...

    def set_partnership(
        self,
        name: str,
        *,
        new_name: str | None = None,
        direction: Direction | None = None,
        policy: Policy | None = None,
    ) -> Partnership: ...

    def reset_partnership(self, name: str) -> None: ...

    def schedule(self, name: str) -> Schedule: ...

    def set_schedule(self, name: str, schedule: Schedule) -> None: ...

    # sessions (slow: run as jobs). The GUI always says what started a session.
    def sync(
        self,
        names: Sequence[str],
        *,
        trigger: Trigger,
        dry_run: bool = False,
        allow_mass_delete: bool = False,
        approved_deletes: Approval | None = None,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> list[SessionResult]: ...

    def sessions(self, name: str | None = None, limit: int = 200) -> list[SessionRecord]: ...

    # conflicts
    def conflict_counts(self) -> dict[str, int]: ...

    def conflicts(self, name: str | None = None) -> list[ConflictView]: ...

    def conflict_detail(
        self, conflict_id: str, *, partnership: str | None = None
    ) -> ConflictDetail: ...

    def resolve(
        self,
        conflict_id: str,
        keep: Keep,
        prefer: Mapping[str, Literal["a", "b"]] | None = None,
        *,
        partnership: str | None = None,
    ) -> ConflictView: ...

    # history: history() and history_usage() read one database (fast); history_detail()
    # reads the entry's store and restore() writes it (slow: run them as jobs with that
    # store's resources)
    def history(self, name: str | None = None) -> list[HistoryEntry]: ...

    def history_usage(self) -> HistoryUsage: ...

    def history_detail(self, entry_id: int) -> ConflictDetail: ...

    def restore(self, entry_id: int) -> HistoryEntry: ...

    # undo a session (slow: both its stores, then a sync; run as a job with the
    # partnership's resources)
    def undo(
        self,
        session_id: int,
        *,
        include: Collection[bytes] | bool = False,
        dry_run: bool = False,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> UndoOutcome: ...

    # stores and devices
    def count_cards(self, spec: str) -> int | None: ...

    def places(self, device: DeviceReport) -> list[Place]: ...

    def watched_paths(self, name: str) -> list[Path]: ...

    def partnerships_using(self, device: DeviceReport) -> list[str]: ...

    def list_devices(self) -> DeviceListing: ...

    def subscribe_devices(self, callback: Callable[[DeviceEvent], None]) -> Callable[[], None]: ...

    def start_device_monitor(self) -> None: ...

    def stop_device_monitor(self) -> None: ...

    def current_devices(self) -> list[DeviceReport]: ...

    def device_notes(self) -> tuple[str, ...]: ...

    # start at login
    def autostart_enabled(self) -> bool: ...

    def set_autostart(self, enabled: bool, command: Sequence[str]) -> None: ...

    # accounts on CardDAV servers: accounts() reads a config file (fast); the others sign in
    # (slow: run them as jobs)
    def accounts(self) -> list[Account]: ...

    def add_account(
        self,
        name: str,
        url: str,
        user: str | None = None,
        *,
        password: str | None = None,
        password_command: Sequence[str] | None = None,
        ca_file: str | None = None,
    ) -> AddedAccount: ...

    def remove_account(self, name: str) -> Account: ...

    def set_password(self, name: str, password: str) -> list[OnlineBook]: ...

    def address_books(self, name: str) -> list[OnlineBook]: ...

    def check_keyring(self) -> None: ...
