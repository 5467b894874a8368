"""Values the desktop app shows that the headless contract does not need: session records
(the activity view), schedules (auto-sync), conflict details (the conflict dialog) and
browsable places on a store (the partnership wizard). Plain data, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from syncgui.engine.errors import problem_text
from syncgui.service.views import ConflictView

Trigger = Literal["manual", "schedule", "device", "change", "resolve", "cli", "preview", "undo"]


@dataclass(frozen=True, slots=True)
class Counts:
    """What one pass wrote into one side."""

    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.deleted


@dataclass(frozen=True, slots=True)
class ItemNote:
    """One item a session reported about: an error, or how a conflict was settled."""

    item: str  # the contact's name (or the store, for a store-wide error)
    message: str

    @property
    def text(self) -> str:
        """``item: message``, without repeating a name the message starts with."""
        return problem_text(self.item, self.message)


@dataclass(frozen=True, slots=True)
class MatchedItem:
    """A contact a session found on both sides under different identities and combined:
    its name and each side's name for it (a file name, a card's name in a .vcf file)."""

    name: str
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One finished session of a partnership, as the activity view lists it."""

    id: int
    partnership: str
    started: float  # time.time()
    finished: float
    trigger: Trigger
    status: str  # engine Status value: ok, conflicts, failed, blocked, cancelled
    to_a: Counts = Counts()
    to_b: Counts = Counts()
    conflicts: int = 0  # left for the user
    merged: int = 0
    errors: tuple[ItemNote, ...] = ()
    settled: tuple[ItemNote, ...] = ()  # conflicts settled by policy: item and how
    blocked_store: str | None = None
    blocked_items: tuple[str, ...] = ()
    # contacts matched as the same person and combined (``matched`` counts them), and the
    # names of those that looked alike but could not be matched one to one
    matched: int = 0
    matched_items: tuple[MatchedItem, ...] = ()
    possible_duplicates: tuple[str, ...] = ()
    # what names the session's writes in the history, for an undo (None: recorded before
    # sessions could be undone); for an undo, the session it undid
    token: str | None = None
    undid: int | None = None

    @property
    def can_undo(self) -> bool:
        """Whether the session wrote something an undo can take back (what is still kept
        decides what it can do)."""
        return self.token is not None and (self.to_a.total + self.to_b.total) > 0


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the desktop app syncs a partnership by itself (the CLI ignores this)."""

    interval_minutes: int = 0  # 0: no timed sync
    on_connect: bool = True  # when a device the partnership uses is connected
    on_change: bool = True  # when a local store (folder or .vcf file) changes

    def to_json(self) -> dict[str, int | bool]:
        return {
            "interval_minutes": self.interval_minutes,
            "on_connect": self.on_connect,
            "on_change": self.on_change,
        }


FieldState = Literal["same", "a-only", "b-only", "differ", "clash"]


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field of a conflicting contact, both sides' display text (None: absent).

    ``state`` "clash" marks a field a merge cannot settle by itself (both sides changed
    it differently): the conflict dialog asks which side to keep for it. Other differing
    fields are combined by the merge on their own ("differ", "a-only", "b-only")."""

    field: str  # vCard property name: "NOTE", "TEL", ...
    label: str  # in the user's words: "Note", "Phone"
    a: str | None
    b: str | None
    state: FieldState


@dataclass(frozen=True, slots=True)
class ConflictDetail:
    """A conflict with what the dialog shows: both sides field by field, when each side
    last changed, and whether a field-by-field merge is possible (both sides exist)."""

    view: ConflictView
    rows: tuple[FieldRow, ...]
    a_changed: float | None  # time.time() of the last change on that side, if known
    b_changed: float | None
    can_merge: bool
    clashes: tuple[str, ...] = ()  # the fields of the "clash" rows


@dataclass(frozen=True, slots=True)
class Place:
    """A place on a store's device or disk the wizard can offer: a folder of cards or a
    single .vcf file. ``spec`` is the store spec that names it (``mtp:...``, ``virtual:...``,
    ``vdir:...``, ``vcf:...``); ``cards`` counts the cards there when known."""

    name: str
    spec: str
    kind: Literal["folder", "file"]
    cards: int | None = None
    children: tuple[Place, ...] = field(default=())
