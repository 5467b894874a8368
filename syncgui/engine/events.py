"""Session settings, progress events, cancellation and results: the values that cross from
the engine to the service, CLI and GUI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from syncgui.engine.errors import ItemProblem
from syncgui.engine.matching import Match, MatchLevel, PossibleDuplicate


class Direction(Enum):
    TWO_WAY = "two-way"
    A_TO_B = "a-to-b"
    B_TO_A = "b-to-a"


class Policy(Enum):
    """How a concurrency conflict is settled."""

    MERGE = "merge"
    A_WINS = "a-wins"
    B_WINS = "b-wins"
    NEWEST = "newest"
    KEEP_BOTH = "keep-both"
    ASK = "ask"


class Side(StrEnum):
    """One side of a partnership (equal to the strings "a" and "b" it is stored as)."""

    A = "a"
    B = "b"

    @property
    def other(self) -> Side:
        return Side.B if self is Side.A else Side.A


class ConflictKind(StrEnum):
    """Concurrency conflict kinds, named from the destination's point of view."""

    UPDATE_UPDATE = "update-update"
    # the destination updated, the source deleted
    UPDATE_DELETE = "update-delete"
    # the destination deleted, the source updated
    DELETE_UPDATE = "delete-update"

    @property
    def seen_from_the_source(self) -> ConflictKind:
        """The same conflict named from the other side's point of view."""
        if self is ConflictKind.UPDATE_DELETE:
            return ConflictKind.DELETE_UPDATE
        if self is ConflictKind.DELETE_UPDATE:
            return ConflictKind.UPDATE_DELETE
        return self


class Stage(StrEnum):
    """Where a session is (see :class:`Progress`)."""

    DETECTING = "detecting"
    PLANNING = "planning"
    APPLYING = "applying"
    FINISHED = "finished"


class Outcome(StrEnum):
    """How a conflict was settled (see :class:`ConflictFound`)."""

    CONVERGED = "converged"  # both sides already held the same content
    MERGED = "merged"  # combined field by field
    KEPT_UPDATE = "kept-update"  # an edit against a delete: the edit stays
    A = "a"  # side A's version won
    B = "b"  # side B's version won
    BOTH = "both"  # one kept, the other as a marked copy
    DEFERRED = "deferred"  # left for the user


class Status(Enum):
    OK = "ok"
    CONFLICTS = "conflicts"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Approval:
    """The user saw the mass-deletion guard's list for ``store`` (``count`` items, as
    ``SessionResult.blocked_store``/``blocked_items`` gave them) and approved it."""

    store: str
    count: int


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """One partnership run's settings.

    ``allow_mass_delete`` lifts the mass-deletion guard. ``approved_deletes`` is narrower:
    the user saw the blocked list of one store and approved it, so that store may lose at
    most that many; more (the store changed since), or another store, blocks again."""

    partnership: str
    direction: Direction = Direction.TWO_WAY
    policy: Policy = Policy.MERGE
    dry_run: bool = False
    allow_mass_delete: bool = False
    guard_ratio: float = 0.5
    guard_minimum: int = 5
    batch_size: int = 500
    approved_deletes: Approval | None = None
    # how far items new to each other are matched before anything is copied, and the
    # matches the user refused (side A's global id, side B's)
    match: MatchLevel = MatchLevel.PEOPLE
    refused_matches: frozenset[tuple[bytes, bytes]] = frozenset()


@dataclass(frozen=True, slots=True)
class Progress:
    """Stage of a session; ``done``/``total`` count items while applying."""

    partnership: str
    stage: Stage
    direction: str | None = None  # "a->b" or "b->a"
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class ConflictFound:
    """A concurrency conflict and how it was settled."""

    partnership: str
    direction: str
    gid: bytes
    item: str
    kind: ConflictKind
    resolution: Outcome


Event = Progress | ConflictFound
EventSink = Callable[[Event], None]


class CancelToken:
    """Cooperative cancellation, checked between items."""

    def __init__(self) -> None:
        self._flag = threading.Event()

    def cancel(self) -> None:
        self._flag.set()

    @property
    def cancelled(self) -> bool:
        return self._flag.is_set()


@dataclass(slots=True)
class PassCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass(slots=True)
class SessionResult:
    """What one run of a partnership did (or, in a dry run, would do)."""

    partnership: str
    status: Status = Status.OK
    dry_run: bool = False
    to_a: PassCounts = field(default_factory=PassCounts)
    to_b: PassCounts = field(default_factory=PassCounts)
    conflicts: int = 0
    merged: int = 0
    errors: list[ItemProblem] = field(default_factory=list)
    # when blocked by the mass-deletion guard: the store and the items it would delete
    blocked_store: str | None = None
    blocked_items: list[str] = field(default_factory=list)
    # when blocked because a store that held contacts now lists none: that store and how
    # many contacts it held that the other side still holds (the guard stops this whatever
    # the counts; blocked_store is then the other side, which would lose them)
    emptied_store: str | None = None
    emptied_held: int = 0
    recovered: bool = False  # a full enumeration replaced incremental sync
    # items new to each other found to be the same contact (combined into one), and those
    # that look alike but could not be matched one to one (left for the user)
    matched: list[Match] = field(default_factory=list)
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)
    # when a store's server refused the sign-in: the account (or server) whose password the
    # app asks for again (set by the service, which knows the accounts; "" otherwise)
    refused_sign_in: str = ""
