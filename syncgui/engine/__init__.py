"""The sync engine: knowledge, metadata, change detection, planning, conflicts, sessions.

Standard library only; no I/O of its own beyond the SQLite metadata files it is handed.
The names below are the public API the service, the CLI and the GUI use."""

from __future__ import annotations

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
