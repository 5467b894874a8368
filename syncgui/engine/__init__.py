"""The sync engine: knowledge, metadata, change detection, planning, conflicts, sessions.

Standard library only; no I/O of its own beyond the SQLite metadata files it is handed.
The names below are the public API the service, the CLI and the GUI use; each is loaded
from its module when first used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncgui.engine.lazy import lazy_names

if TYPE_CHECKING:
    from syncgui.engine.clock import ClockVector
    from syncgui.engine.errors import (
        BadItem,
        ItemProblem,
        ItemRejected,
        ItemUnreadable,
        ItemVanished,
        SignInFailed,
        StoreUnavailable,
        SyncCancelled,
        SyncError,
    )
    from syncgui.engine.events import (
        Approval,
        CancelToken,
        ConflictFound,
        ConflictKind,
        Direction,
        Event,
        EventSink,
        PassCounts,
        Policy,
        Progress,
        SessionResult,
        SessionSettings,
        Status,
    )
    from syncgui.engine.ids import Version
    from syncgui.engine.itemformat import (
        FieldClash,
        FieldPair,
        ItemFormat,
        ItemInfo,
        MatchKeys,
        MergeOutcome,
    )
    from syncgui.engine.items import ItemMeta, StoredConflict
    from syncgui.engine.knowledge import Knowledge
    from syncgui.engine.matching import Candidate, Match, MatchLevel, MatchRule, PossibleDuplicate
    from syncgui.engine.memory import MemoryReplica
    from syncgui.engine.merge_bases import BaseStore
    from syncgui.engine.metadata import MetadataStore
    from syncgui.engine.provider import Capabilities, Entry, Listing, SimpleStore, Written
    from syncgui.engine.replica import HistoryRecord, HistorySink, Replica, WriteKind, WriteRecord
    from syncgui.engine.resolutions import ConflictGone, Keep, resolve_stored
    from syncgui.engine.session import SyncSession
    from syncgui.engine.simple import SimpleReplica

# where each public name is defined: imported when first used (PEP 562), so that a command
# that needs a few of them (syncgui-cli --help needs only the enums) does not load the rest
_HOMES = {
    "Approval": "syncgui.engine.events",
    "BadItem": "syncgui.engine.errors",
    "BaseStore": "syncgui.engine.merge_bases",
    "CancelToken": "syncgui.engine.events",
    "Candidate": "syncgui.engine.matching",
    "Capabilities": "syncgui.engine.provider",
    "ClockVector": "syncgui.engine.clock",
    "ConflictFound": "syncgui.engine.events",
    "ConflictGone": "syncgui.engine.resolutions",
    "ConflictKind": "syncgui.engine.events",
    "Direction": "syncgui.engine.events",
    "Entry": "syncgui.engine.provider",
    "Event": "syncgui.engine.events",
    "EventSink": "syncgui.engine.events",
    "FieldClash": "syncgui.engine.itemformat",
    "FieldPair": "syncgui.engine.itemformat",
    "HistoryRecord": "syncgui.engine.replica",
    "HistorySink": "syncgui.engine.replica",
    "ItemFormat": "syncgui.engine.itemformat",
    "ItemInfo": "syncgui.engine.itemformat",
    "ItemMeta": "syncgui.engine.items",
    "ItemProblem": "syncgui.engine.errors",
    "ItemRejected": "syncgui.engine.errors",
    "ItemUnreadable": "syncgui.engine.errors",
    "ItemVanished": "syncgui.engine.errors",
    "Keep": "syncgui.engine.resolutions",
    "Knowledge": "syncgui.engine.knowledge",
    "Listing": "syncgui.engine.provider",
    "Match": "syncgui.engine.matching",
    "MatchKeys": "syncgui.engine.itemformat",
    "MatchLevel": "syncgui.engine.matching",
    "MatchRule": "syncgui.engine.matching",
    "MemoryReplica": "syncgui.engine.memory",
    "MergeOutcome": "syncgui.engine.itemformat",
    "MetadataStore": "syncgui.engine.metadata",
    "PassCounts": "syncgui.engine.events",
    "Policy": "syncgui.engine.events",
    "PossibleDuplicate": "syncgui.engine.matching",
    "Progress": "syncgui.engine.events",
    "Replica": "syncgui.engine.replica",
    "SessionResult": "syncgui.engine.events",
    "SessionSettings": "syncgui.engine.events",
    "SignInFailed": "syncgui.engine.errors",
    "SimpleReplica": "syncgui.engine.simple",
    "SimpleStore": "syncgui.engine.provider",
    "Status": "syncgui.engine.events",
    "StoreUnavailable": "syncgui.engine.errors",
    "StoredConflict": "syncgui.engine.items",
    "SyncCancelled": "syncgui.engine.errors",
    "SyncError": "syncgui.engine.errors",
    "SyncSession": "syncgui.engine.session",
    "Version": "syncgui.engine.ids",
    "WriteKind": "syncgui.engine.replica",
    "WriteRecord": "syncgui.engine.replica",
    "Written": "syncgui.engine.provider",
    "resolve_stored": "syncgui.engine.resolutions",
}


__getattr__ = lazy_names(__name__, _HOMES, globals())


__all__ = [
    "Approval",
    "BadItem",
    "BaseStore",
    "CancelToken",
    "Candidate",
    "Capabilities",
    "ClockVector",
    "ConflictFound",
    "ConflictGone",
    "ConflictKind",
    "Direction",
    "Entry",
    "Event",
    "EventSink",
    "FieldClash",
    "FieldPair",
    "HistoryRecord",
    "HistorySink",
    "ItemFormat",
    "ItemInfo",
    "ItemMeta",
    "ItemProblem",
    "ItemRejected",
    "ItemUnreadable",
    "ItemVanished",
    "Keep",
    "Knowledge",
    "Listing",
    "Match",
    "MatchKeys",
    "MatchLevel",
    "MatchRule",
    "MemoryReplica",
    "MergeOutcome",
    "MetadataStore",
    "PassCounts",
    "Policy",
    "PossibleDuplicate",
    "Progress",
    "Replica",
    "SessionResult",
    "SessionSettings",
    "SignInFailed",
    "SimpleReplica",
    "SimpleStore",
    "Status",
    "StoreUnavailable",
    "StoredConflict",
    "SyncCancelled",
    "SyncError",
    "SyncSession",
    "Version",
    "WriteKind",
    "WriteRecord",
    "Written",
    "resolve_stored",
]
