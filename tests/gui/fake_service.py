"""An in-memory SyncPort for fast GUI tests: everything scriptable, every call recorded.

Typical use::

    fake = FakeDesktop()  # one partnership "phone" (vdir <-> virtual phone)
    fake.script("phone", status=Status.CONFLICTS, conflicts=[make_conflict("c1", "phone")])
    fake.gate = threading.Event()  # sessions wait here until fake.gate.set() (or cancel)

``sync`` runs on the caller's thread (the GUI's job thread): it records the thread it ran
on, emits Progress events through ``emit``, honours ``cancel`` and appends a
SessionRecord per session (``fake.ran``), as the real service's session log does."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from syncgui.engine import (
    Approval,
    CancelToken,
    Candidate,
    Direction,
    EventSink,
    HistoryRecord,
    ItemProblem,
    Keep,
    Match,
    MatchKeys,
    MatchRule,
    PassCounts,
    Policy,
    PossibleDuplicate,
    Progress,
    SessionResult,
    Status,
    SyncError,
)
from syncgui.engine.events import Stage
from syncgui.providers.mtp.discovery.devices import StorageReport
from syncgui.service import (
    ConfigError,
    ConflictDetail,
    ConflictView,
    Counts,
    DeviceEvent,
    DeviceListing,
    DeviceReport,
    FieldRow,
    HistoryEntry,
    HistoryUsage,
    ItemNote,
    MatchedItem,
    Partnership,
    Paths,
    Place,
    Schedule,
    SessionRecord,
    SyncPort,
    Trigger,
    UndoOutcome,
    UndoPlan,
)
from syncgui.service.undoing import UndoWritten
from tests.gui.fake_accounts import FakeAccounts

__all__ = [
    "FakeDesktop",
    "Scripted",
    "SyncCall",
    "make_conflict",
    "make_device",
    "make_kept",
    "make_match",
    "make_place",
    "make_possible",
]


class SyncCall(tuple[Any, ...]):
    """A recorded ``sync`` call. It compares as ``(names, trigger, dry_run,
    allow_mass_delete)``, as tests written before guard approvals expect; the approval
    is ``approved_deletes``."""

    approved_deletes: Approval | None

    def __new__(
        cls,
        names: list[str],
        trigger: Trigger,
        dry_run: bool,
        allow_mass_delete: bool,
        approved_deletes: Approval | None = None,
    ) -> SyncCall:
        call = super().__new__(cls, (names, trigger, dry_run, allow_mass_delete))
        call.approved_deletes = approved_deletes
        return call


def make_device(
    model: str = "Pixel 7",
    serial: str = "SER123",
    *,
    vendor: str = "Google",
    state: Literal["ready", "locked", "busy", "no-permission", "not-mtp"] = "ready",
    hint: str = "",
    location: str = "1-4",
) -> DeviceReport:
    """A phone as the device scan reports it (one 64 GB storage, contacts in it)."""
    storage = StorageReport(65537, "Internal shared storage", 64 * 10**9, 20 * 10**9)
    return DeviceReport(
        vendor,
        model,
        serial,
        state,
        hint,
        (storage,),
        location=location,
        contacts=("Internal shared storage/Contacts",),
    )


def make_place(name: str = "Contacts", spec: str = "mtp:SER123/Internal/Contacts") -> Place:
    child = Place("contacts.vcf", spec + "/contacts.vcf", "file", cards=12)
    return Place(name, spec, "folder", cards=3, children=(child,))


def make_conflict(
    conflict_id: str = "c1",
    partnership: str = "phone",
    item: str = "Grace Hopper",
    *,
    detected_at: float | None = None,
) -> ConflictDetail:
    """A conflict edited on both sides: same name, an A-only email, a "differ" phone, and a
    "clash" note (both sides changed it differently)."""
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{}\r\nNOTE:{}\r\nEND:VCARD\r\n"
    a = card.format(item, "Met at the conference").encode()
    b = card.format(item, "Call about COBOL").encode()
    view = ConflictView(
        id=conflict_id,
        partnership=partnership,
        kind="update-update",
        item=item,
        uid=f"uid-{conflict_id}",
        held_by="a",
        a=a,
        b=b,
        a_name="Address book",
        b_name="Pixel 7",
        detected_at=time.time() if detected_at is None else detected_at,
    )
    rows = (
        FieldRow("FN", "Name", item, item, "same"),
        FieldRow("EMAIL", "Email", "grace@example.org", None, "a-only"),
        FieldRow("TEL", "Phone", "+1 555 0100", "+1 555 0100, +1 555 0199", "differ"),
        FieldRow("NOTE", "Note", "Met at the conference", "Call about COBOL", "clash"),
    )
    now = time.time()
    return ConflictDetail(view, rows, now - 3600, now - 60, can_merge=True, clashes=("NOTE",))


def make_match(name: str, a_key: str, b_key: str, rule: MatchRule = MatchRule.PERSON) -> Match:
    """A match of side A's ``a_key`` and side B's ``b_key`` (global ids made from them)."""
    keys = MatchKeys("", name.casefold(), frozenset())
    a = Candidate(b"a:" + a_key.encode(), name, a_key, keys)
    b = Candidate(b"b:" + b_key.encode(), name, b_key, keys)
    return Match(a, b, rule)


def make_possible(name: str, a_keys: Sequence[str], b_keys: Sequence[str]) -> PossibleDuplicate:
    keys = MatchKeys("", name.casefold(), frozenset())
    return PossibleDuplicate(
        tuple(Candidate(b"a:" + k.encode(), name, k, keys) for k in a_keys),
        tuple(Candidate(b"b:" + k.encode(), name, k, keys) for k in b_keys),
    )


@dataclass
class Scripted:
    """What one scripted session of a partnership does."""

    status: Status | None = None  # None: CONFLICTS with conflicts, BLOCKED with a store, else OK
    created: int = 1  # cards created on side B
    conflicts: list[ConflictDetail] = field(default_factory=list)  # added to the store
    errors: list[ItemProblem] = field(default_factory=list)
    blocked_store: str | None = None
    blocked_items: list[str] = field(default_factory=list)
    emptied_store: str | None = None  # with blocked_store: the store that lists none now
    emptied_held: int = 0
    items: int = 3  # Progress "applying" events emitted: done = 1..items
    raises: Exception | None = None  # sync() raises this (a job failure)
    item_delay: float = 0.0  # seconds each item takes (a slow session)
    effect: Callable[[], None] | None = None  # runs while applying (e.g. writes a card)
    matched: list[Match] = field(default_factory=list)  # contacts matched as the same person
    possible: list[PossibleDuplicate] = field(default_factory=list)  # possible duplicates
    refused_sign_in: str = ""  # the account whose password the server refused


def make_kept(
    entry_id: int,
    label: str,
    partnership: str = "phone",
    *,
    store: str = "vdir:/tmp/book",
    reason: str = "overwritten",
    at: float = 1_700_000_000.0,
    current: str | None = "Now",
) -> tuple[HistoryEntry, ConflictDetail]:
    """A history entry of ``label`` and its detail: a note ``Before`` kept, ``current`` now
    (None: the contact is no longer in the store)."""
    data = f"BEGIN:VCARD\r\nFN:{label}\r\nNOTE:Before\r\nEND:VCARD\r\n".encode()
    now = None
    if current is not None:
        now = f"BEGIN:VCARD\r\nFN:{label}\r\nNOTE:{current}\r\nEND:VCARD\r\n".encode()
    record = HistoryRecord(
        store, "book", partnership, b"g%d" % entry_id, f"u{entry_id}", label, data, reason, at
    )
    view = ConflictView(
        str(entry_id),
        partnership,
        "history",
        label,
        f"u{entry_id}",
        "b",
        data,
        now,
        "book",
        "book",
        at,
    )
    rows = (
        FieldRow("FN", "Name", label, label if now else None, "same" if now else "a-only"),
        FieldRow("NOTE", "Note", "Before", current, "differ" if now else "a-only"),
    )
    return HistoryEntry(entry_id, record, f"{label}.vcf"), ConflictDetail(
        view, rows, at, at + 60 if now else None, False
    )


class FakeDesktop(FakeAccounts):
    """SyncPort in memory. Public attributes are the configuration tests change (accounts
    and their servers: :class:`~tests.gui.fake_accounts.FakeAccounts`)."""

    def __init__(
        self,
        partnerships: Sequence[Partnership] | None = None,
        *,
        root: Path | None = None,
        is_demo: bool = False,
    ) -> None:
        super().__init__()
        root = root or Path("/nonexistent/syncgui-fake")
        self._paths = Paths(root / "config", root / "data", root / "logs")
        self._is_demo = is_demo
        if partnerships is None:
            partnerships = [Partnership("phone", "vdir:/tmp/book", "virtual:/tmp/phone")]
        self.book: dict[str, Partnership] = {p.name: p for p in partnerships}
        self.damaged: str | None = None  # set: partnerships() raises ConfigError with it
        self.damaged_schedules: str | None = None  # set: schedule() raises ConfigError
        self.schedules: dict[str, Schedule] = {}
        self.details: dict[str, ConflictDetail] = {}
        self.ran: list[SessionRecord] = []  # the sessions run, oldest first
        self.kept_versions: list[HistoryEntry] = []  # the history's entries, oldest first
        self.kept_details: dict[int, ConflictDetail] = {}  # entry id -> history_detail
        self.restore_failures: dict[int, str] = {}  # entry id -> why restore(id) fails
        self.restored: list[int] = []
        # session id -> what undo(id) plans (the steps' ``changed_since`` as given); a
        # real undo records an "undo" session of the plan's partnership
        self.undo_plans: dict[int, UndoPlan] = {}
        self.history_size = 0  # bytes history_usage() reports
        self.devices: list[DeviceReport] = []
        self.notes: tuple[str, ...] = ()
        self.place_map: dict[str, list[Place]] = {}  # device key -> places
        self.counts: dict[str, int | None] = {}
        self.watched: dict[str, list[Path]] = {}
        self.using: dict[str, list[str]] = {}  # device key -> partnership names
        self.scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self.gate: threading.Event | None = None  # sessions wait on it when set
        self.autostart = False
        self.autostart_command: list[str] = []
        self.monitor_running = False
        self.calls: list[tuple[str, Any]] = []  # (method, arguments)
        self.sync_threads: list[threading.Thread] = []
        self.triggers: list[tuple[str, Trigger]] = []  # (partnership, trigger) per session
        # the ``partnership`` keyword of each resolve / conflict_detail call
        self.resolve_partnerships: list[str | None] = []
        self.detail_partnerships: list[str | None] = []
        self._subscribers: list[Callable[[DeviceEvent], None]] = []
        self._lock = threading.Lock()
        self._next_id = 1

    # -- test helpers ------------------------------------------------------------------------
    def script(self, name: str, **kwargs: Any) -> Scripted:
        """Queue what the next session of ``name`` does (default: an OK session)."""
        s = Scripted(**kwargs)
        self.scripts[name].append(s)
        return s

    def synced_before(self, *names: str) -> None:
        """Record an earlier OK session of each of ``names`` (not counted in ``triggers``):
        automatic syncs only run for partnerships synced before."""
        for name in names:
            self._finish(SessionResult(name), "manual", time.time() - 3600)

    def add_conflict(self, detail: ConflictDetail) -> None:
        self.details[detail.view.id] = detail

    def device_event(
        self, kind: Literal["added", "removed", "changed"], report: DeviceReport
    ) -> None:
        """Publish a device event from a monitor thread, as the real monitor does."""
        if kind == "added":
            self.devices.append(report)
        elif kind == "removed":
            self.devices = [d for d in self.devices if d.key != report.key]
        event = DeviceEvent(kind, report)
        thread = threading.Thread(target=self._publish, args=(event,), name="fake-monitor")
        thread.start()
        thread.join()

    def _publish(self, event: DeviceEvent) -> None:
        for callback in list(self._subscribers):
            callback(event)

    def called(self, method: str) -> list[Any]:
        return [args for m, args in self.calls if m == method]

    def _record(self, method: str, args: Any = None) -> None:
        with self._lock:
            self.calls.append((method, args))

    # -- SyncPort ---------------------------------------------------------------------------
    @property
    def paths(self) -> Paths:
        return self._paths

    @property
    def is_demo(self) -> bool:
        return self._is_demo

    def partnerships(self) -> list[Partnership]:
        self._record("partnerships")
        if self.damaged:
            raise ConfigError(self.damaged)
        return list(self.book.values())

    def add_partnership(
        self,
        name: str,
        a: str,
        b: str,
        direction: Direction,
        policy: Policy,
        schedule: Schedule,
    ) -> tuple[Partnership, list[str]]:
        self._record("add_partnership", (name, a, b, direction, policy, schedule))
        if name in self.book:
            raise ValueError(f"a partnership named {name!r} exists already")
        p = Partnership(name, a, b, direction, policy)
        self.book[name] = p
        self.schedules[name] = schedule
        return p, []

    def remove_partnership(self, name: str) -> None:
        self._record("remove_partnership", name)
        del self.book[name]
        self.schedules.pop(name, None)

    def set_partnership(
        self,
        name: str,
        *,
        new_name: str | None = None,
        direction: Direction | None = None,
        policy: Policy | None = None,
    ) -> Partnership:
        """As the service: change what is given; a new name keeps its schedule."""
        self._record("set_partnership", (name, new_name, direction, policy))
        p = self.book[name]
        if new_name is not None and new_name != name and new_name in self.book:
            raise ValueError(f"a partnership named {new_name!r} exists already")
        changed = replace(
            p,
            name=new_name or name,
            direction=direction or p.direction,
            policy=policy or p.policy,
        )
        self.book = {
            (changed.name if key == name else key): (changed if key == name else value)
            for key, value in self.book.items()
        }
        if changed.name != name and name in self.schedules:
            self.schedules[changed.name] = self.schedules.pop(name)
        return changed

    def reset_partnership(self, name: str) -> None:
        """As the service: forget what was synced (no store is touched)."""
        self._record("reset_partnership", name)
        if name not in self.book:
            raise KeyError(f"no partnership {name!r}")

    def refuse_matches(self, name: str, pairs: Iterable[tuple[bytes, bytes]]) -> Partnership:
        pairs = frozenset(pairs)
        self._record("refuse_matches", (name, pairs))
        p = self.book[name]
        self.book[name] = replace(p, refused_matches=p.refused_matches | pairs)
        return self.book[name]

    def schedule(self, name: str) -> Schedule:
        if self.damaged_schedules:
            raise ConfigError(self.damaged_schedules)
        return self.schedules.get(name, Schedule())

    def set_schedule(self, name: str, schedule: Schedule) -> None:
        self._record("set_schedule", (name, schedule))
        self.schedules[name] = schedule

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
        call = SyncCall(list(names), trigger, dry_run, allow_mass_delete, approved_deletes)
        self._record("sync", call)
        self.sync_threads.append(threading.current_thread())
        return [self._session(name, call, emit, cancel) for name in names]

    def _session(
        self, name: str, call: SyncCall, emit: EventSink | None, cancel: CancelToken | None
    ) -> SessionResult:
        _names, trigger, dry_run, allow_mass_delete = call
        if name not in self.book:
            raise KeyError(f"no partnership named {name!r}")
        self.triggers.append((name, trigger))
        s = self.scripts[name].popleft() if self.scripts[name] else Scripted()
        started = time.time()
        say: EventSink = emit or (lambda _e: None)
        say(Progress(name, Stage.DETECTING))
        if s.raises is not None:
            raise s.raises
        result = SessionResult(name, dry_run=dry_run)
        if self.gate is not None:
            while not self.gate.wait(0.01):
                if cancel is not None and cancel.cancelled:
                    break
        if cancel is not None and cancel.cancelled:
            result.status = Status.CANCELLED
            return self._finish(result, trigger, started)
        say(Progress(name, Stage.PLANNING))
        for done in range(1, s.items + 1):
            if cancel is not None and cancel.cancelled:
                result.status = Status.CANCELLED
                return self._finish(result, trigger, started)
            say(Progress(name, Stage.APPLYING, "a->b", done, s.items))
            if s.item_delay:
                time.sleep(s.item_delay)
        if s.effect is not None:
            s.effect()
        say(Progress(name, Stage.FINISHED))
        approved = call.approved_deletes
        if (s.status is Status.BLOCKED or s.blocked_store) and (
            allow_mass_delete
            or (
                approved is not None
                and approved.store == s.blocked_store
                and len(s.blocked_items) <= approved.count
            )
        ):  # as the engine: the guard lifted, or that store's list approved and not grown
            s = Scripted()
        result.status = s.status or (
            Status.BLOCKED if s.blocked_store else Status.CONFLICTS if s.conflicts else Status.OK
        )
        result.to_b = PassCounts(created=s.created)
        result.errors = list(s.errors)
        result.conflicts = len(s.conflicts)
        result.blocked_store = s.blocked_store
        result.blocked_items = list(s.blocked_items)
        result.emptied_store, result.emptied_held = s.emptied_store, s.emptied_held
        refused = self.book[name].refused_matches
        result.matched = [m for m in s.matched if (m.a.gid, m.b.gid) not in refused]
        result.possible_duplicates = list(s.possible)
        result.refused_sign_in = s.refused_sign_in
        if s.refused_sign_in:
            result.status = Status.FAILED
        if not dry_run:
            for detail in s.conflicts:
                self.add_conflict(detail)
        return self._finish(result, trigger, started)

    def _finish(self, result: SessionResult, trigger: Trigger, started: float) -> SessionResult:
        if result.dry_run:
            return result
        with self._lock:
            record = SessionRecord(
                id=self._next_id,
                partnership=result.partnership,
                started=started,
                finished=time.time(),
                trigger=trigger,
                status=result.status.value,
                to_b=Counts(result.to_b.created, result.to_b.updated, result.to_b.deleted),
                conflicts=result.conflicts,
                errors=tuple(ItemNote(e.item, e.message) for e in result.errors),
                blocked_store=result.blocked_store,
                blocked_items=tuple(result.blocked_items),
                matched=len(result.matched),
                matched_items=tuple(
                    MatchedItem(m.a.label, m.a.key, m.b.key) for m in result.matched
                ),
                possible_duplicates=tuple(d.label for d in result.possible_duplicates),
                token=f"session-{self._next_id}",  # as the real log: every one can be undone
            )
            self._next_id += 1
            self.ran.append(record)
        return result

    def sessions(self, name: str | None = None, limit: int = 200) -> list[SessionRecord]:
        found = [r for r in reversed(self.ran) if name is None or r.partnership == name]
        return found[:limit]

    def conflict_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self.details.values():
            counts[d.view.partnership] = counts.get(d.view.partnership, 0) + 1
        return counts

    def conflicts(self, name: str | None = None) -> list[ConflictView]:
        return [d.view for d in self.details.values() if name is None or d.view.partnership == name]

    def conflict_detail(
        self, conflict_id: str, *, partnership: str | None = None
    ) -> ConflictDetail:
        self._record("conflict_detail", conflict_id)
        self.detail_partnerships.append(partnership)
        detail = self.details.get(conflict_id)
        if detail is None or partnership not in (None, detail.view.partnership):
            raise KeyError(f"no conflict {conflict_id!r}")
        return detail

    def resolve(
        self,
        conflict_id: str,
        keep: Keep,
        prefer: Mapping[str, Literal["a", "b"]] | None = None,
        *,
        partnership: str | None = None,
    ) -> ConflictView:
        self._record("resolve", (conflict_id, keep, dict(prefer or {})))
        self.resolve_partnerships.append(partnership)
        detail = self.details.get(conflict_id)
        if detail is None or partnership not in (None, detail.view.partnership):
            raise KeyError(f"no conflict {conflict_id!r}")
        return self.details.pop(conflict_id).view

    def history(self, name: str | None = None) -> list[HistoryEntry]:
        self._record("history", name)
        return [e for e in self.kept_versions if name is None or e.record.partnership == name]

    def history_usage(self) -> HistoryUsage:
        """The kept versions counted; the size is ``history_size``, the limits the defaults."""
        self._record("history_usage")
        oldest = min((e.record.at for e in self.kept_versions), default=None)
        return HistoryUsage(len(self.kept_versions), self.history_size, oldest, 365.0, 20)

    def history_detail(self, entry_id: int) -> ConflictDetail:
        self._record("history_detail", entry_id)
        detail = self.kept_details.get(entry_id)
        if detail is None:
            raise ConfigError(f"there is no history entry {entry_id}; `history` lists them")
        return detail

    def restore(self, entry_id: int) -> HistoryEntry:
        self._record("restore", entry_id)
        entry = next((e for e in self.kept_versions if e.id == entry_id), None)
        if entry is None:
            raise ConfigError(f"there is no history entry {entry_id}; `history` lists them")
        why = self.restore_failures.get(entry_id)
        if why is not None:
            raise SyncError(why, item=entry.record.label)
        self.restored.append(entry_id)
        return entry

    def undo(
        self,
        session_id: int,
        *,
        include: Collection[bytes] | bool = False,
        dry_run: bool = False,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> UndoOutcome:
        self._record("undo", (session_id, include, dry_run))
        plan = self.undo_plans.get(session_id)
        if plan is None:
            raise ConfigError(f"there is no session {session_id}; `log` lists them")
        if dry_run:
            return UndoOutcome(plan, include, UndoWritten(), None, True)
        result = SessionResult(plan.session.partnership)
        self._finish(result, "undo", time.time())
        return UndoOutcome(plan, include, UndoWritten(), result)

    def count_cards(self, spec: str) -> int | None:
        self._record("count_cards", spec)
        return self.counts.get(spec)

    def places(self, device: DeviceReport) -> list[Place]:
        self._record("places", device.key)
        return list(self.place_map.get(device.key, []))

    def watched_paths(self, name: str) -> list[Path]:
        return list(self.watched.get(name, []))

    def partnerships_using(self, device: DeviceReport) -> list[str]:
        self._record("partnerships_using", device.key)
        return list(self.using.get(device.key, []))

    def list_devices(self) -> DeviceListing:
        self._record("list_devices")
        return DeviceListing(tuple(self.devices), self.notes)

    def subscribe_devices(self, callback: Callable[[DeviceEvent], None]) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def start_device_monitor(self) -> None:
        self._record("start_device_monitor")
        self.monitor_running = True

    def stop_device_monitor(self) -> None:
        self._record("stop_device_monitor")
        self.monitor_running = False

    def current_devices(self) -> list[DeviceReport]:
        return list(self.devices)

    def device_notes(self) -> tuple[str, ...]:
        return self.notes

    def autostart_enabled(self) -> bool:
        return self.autostart

    def set_autostart(self, enabled: bool, command: Sequence[str]) -> None:
        self._record("set_autostart", (enabled, list(command)))
        self.autostart = enabled
        self.autostart_command = list(command)


if TYPE_CHECKING:  # mypy: the fake is what the GUI needs of the service, as SyncService is

    def _fake_is_the_port(fake: FakeDesktop) -> SyncPort:
        return fake
