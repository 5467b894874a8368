"""The service layer's public API: the one facade, :class:`SyncService`, the Protocol the GUI
needs of it, :class:`SyncPort`, and the plain values both cross into the CLI and the GUI.

The desktop app and ``syncgui-cli`` import this package only, never its submodules (an
import-linter contract in pyproject.toml). No Qt here, and no native library: importing it
loads neither PySide6 nor libmtp (a phone's native code loads when a phone is first used).
The values may be defined in a submodule; this is where their clients find them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncgui.engine.lazy import lazy_names

if TYPE_CHECKING:
    from syncgui.service.accounts import Account, AddedAccount, OnlineBook
    from syncgui.service.config import Partnership, has_partnerships
    from syncgui.service.demo import DEMO_NAME, ensure_demo, run_demo
    from syncgui.service.devices import (
        NO_DEVICES_HINT,
        DeviceEvent,
        DeviceListing,
        DeviceReport,
    )
    from syncgui.service.errors import AlreadySyncing, ConfigError
    from syncgui.service.facade import SyncService
    from syncgui.service.history import HistoryEntry, HistoryUsage
    from syncgui.service.jobs import Done, Failed, Job, JobEnd, JobError, JobPool, Skipped
    from syncgui.service.logs import setup_logging
    from syncgui.service.paths import Paths, demo_paths, resolve_paths
    from syncgui.service.port import SyncPort
    from syncgui.service.records import (
        ConflictDetail,
        Counts,
        FieldRow,
        FieldState,
        ItemNote,
        MatchedItem,
        Place,
        Schedule,
        SessionRecord,
        Trigger,
    )
    from syncgui.service.resources import (
        Resource,
        device_resources,
        partnership_resources,
        store_resources,
        unknown_partnership,
    )
    from syncgui.service.scheduler import (
        USER_TRIGGERS,
        Admission,
        Answer,
        Request,
        RunEnded,
        RunStarted,
        SchedulerEvent,
        SessionScheduler,
        SessionWork,
        Ticket,
    )
    from syncgui.service.secrets import (
        KeyringFailed,
        NoKeyring,
        PasswordCommandFailed,
        PasswordMissing,
        SecretError,
        parse_password_command,
    )
    from syncgui.service.stores import account_of
    from syncgui.service.undoing import UndoAction, UndoOutcome, UndoPlan, UndoStep
    from syncgui.service.views import ConflictView

# where each public name lives: loaded on first use, so that `syncgui-cli sync` does not
# pay for the device listing, the job pool or the scheduler it never touches
_HOMES: dict[str, str] = {
    "Account": "syncgui.service.accounts",
    "AddedAccount": "syncgui.service.accounts",
    "Admission": "syncgui.service.scheduler",
    "AlreadySyncing": "syncgui.service.errors",
    "Answer": "syncgui.service.scheduler",
    "ConfigError": "syncgui.service.errors",
    "ConflictDetail": "syncgui.service.records",
    "ConflictView": "syncgui.service.views",
    "Counts": "syncgui.service.records",
    "DEMO_NAME": "syncgui.service.demo",
    "DeviceEvent": "syncgui.service.devices",
    "DeviceListing": "syncgui.service.devices",
    "DeviceReport": "syncgui.service.devices",
    "Done": "syncgui.service.jobs",
    "Failed": "syncgui.service.jobs",
    "FieldRow": "syncgui.service.records",
    "FieldState": "syncgui.service.records",
    "HistoryEntry": "syncgui.service.history",
    "HistoryUsage": "syncgui.service.history",
    "ItemNote": "syncgui.service.records",
    "Job": "syncgui.service.jobs",
    "JobEnd": "syncgui.service.jobs",
    "JobError": "syncgui.service.jobs",
    "JobPool": "syncgui.service.jobs",
    "KeyringFailed": "syncgui.service.secrets",
    "MatchedItem": "syncgui.service.records",
    "NO_DEVICES_HINT": "syncgui.service.devices",
    "NoKeyring": "syncgui.service.secrets",
    "OnlineBook": "syncgui.service.accounts",
    "Partnership": "syncgui.service.config",
    "PasswordCommandFailed": "syncgui.service.secrets",
    "PasswordMissing": "syncgui.service.secrets",
    "Paths": "syncgui.service.paths",
    "Place": "syncgui.service.records",
    "Request": "syncgui.service.scheduler",
    "Resource": "syncgui.service.resources",
    "RunEnded": "syncgui.service.scheduler",
    "RunStarted": "syncgui.service.scheduler",
    "Schedule": "syncgui.service.records",
    "SchedulerEvent": "syncgui.service.scheduler",
    "SecretError": "syncgui.service.secrets",
    "SessionRecord": "syncgui.service.records",
    "SessionScheduler": "syncgui.service.scheduler",
    "SessionWork": "syncgui.service.scheduler",
    "Skipped": "syncgui.service.jobs",
    "SyncPort": "syncgui.service.port",
    "SyncService": "syncgui.service.facade",
    "Ticket": "syncgui.service.scheduler",
    "Trigger": "syncgui.service.records",
    "USER_TRIGGERS": "syncgui.service.scheduler",
    "UndoAction": "syncgui.service.undoing",
    "UndoOutcome": "syncgui.service.undoing",
    "UndoPlan": "syncgui.service.undoing",
    "UndoStep": "syncgui.service.undoing",
    "demo_paths": "syncgui.service.paths",
    "device_resources": "syncgui.service.resources",
    "ensure_demo": "syncgui.service.demo",
    "has_partnerships": "syncgui.service.config",
    "parse_password_command": "syncgui.service.secrets",
    "partnership_resources": "syncgui.service.resources",
    "account_of": "syncgui.service.stores",
    "resolve_paths": "syncgui.service.paths",
    "run_demo": "syncgui.service.demo",
    "setup_logging": "syncgui.service.logs",
    "store_resources": "syncgui.service.resources",
    "unknown_partnership": "syncgui.service.resources",
}


__getattr__ = lazy_names(__name__, _HOMES, globals())


__all__ = [
    "DEMO_NAME",
    "NO_DEVICES_HINT",
    "USER_TRIGGERS",
    "Account",
    "AddedAccount",
    "Admission",
    "AlreadySyncing",
    "Answer",
    "ConfigError",
    "ConflictDetail",
    "ConflictView",
    "Counts",
    "DeviceEvent",
    "DeviceListing",
    "DeviceReport",
    "Done",
    "Failed",
    "FieldRow",
    "FieldState",
    "HistoryEntry",
    "HistoryUsage",
    "ItemNote",
    "Job",
    "JobEnd",
    "JobError",
    "JobPool",
    "KeyringFailed",
    "MatchedItem",
    "NoKeyring",
    "OnlineBook",
    "Partnership",
    "PasswordCommandFailed",
    "PasswordMissing",
    "Paths",
    "Place",
    "Request",
    "Resource",
    "RunEnded",
    "RunStarted",
    "Schedule",
    "SchedulerEvent",
    "SecretError",
    "SessionRecord",
    "SessionScheduler",
    "SessionWork",
    "Skipped",
    "SyncPort",
    "SyncService",
    "Ticket",
    "Trigger",
    "UndoAction",
    "UndoOutcome",
    "UndoPlan",
    "UndoStep",
    "account_of",
    "demo_paths",
    "device_resources",
    "ensure_demo",
    "has_partnerships",
    "parse_password_command",
    "partnership_resources",
    "resolve_paths",
    "run_demo",
    "setup_logging",
    "store_resources",
    "unknown_partnership",
]

if TYPE_CHECKING:  # mypy checks here that the facade is what the GUI needs

    def _facade_is_the_port(service: SyncService) -> SyncPort:
        return service
