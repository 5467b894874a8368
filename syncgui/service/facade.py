"""The sync service: the one facade the CLI and the GUI use (:class:`~.port.SyncPort` is
what the GUI needs of it, and what its tests fake).

It owns partnerships and their schedules, opens each store once as a replica (one metadata
database per store, shared by every partnership the store is in), runs sessions under locks
and records each finished one (:mod:`.sessions`), lists and resolves conflicts and history,
and answers the desktop's questions about devices, places on them, the local paths to watch
and start at login. No Qt here; every method may block (disk, a phone)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from syncgui.engine.events import (
    Approval,
    CancelToken,
    Direction,
    EventSink,
    PassCounts,
    Policy,
    SessionResult,
    Side,
)
from syncgui.engine.matching import MatchLevel
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.provider import release
from syncgui.engine.simple import SimpleReplica
from syncgui.service import autostart
from syncgui.service.accounts import Account, Accounts, AddedAccount, CardDavApi, OnlineBook
from syncgui.service.config import (
    Pair,
    Partnership,
    PartnershipBook,
    check_name,
)
from syncgui.service.editing import (
    edit_partnership,
    open_metadata,
    partnership_locked,
    reset_partnership,
)
from syncgui.service.errors import ConfigError
from syncgui.service.history import (
    HistoryEntry,
    HistoryLog,
    HistoryUsage,
    history_usage,
    keep_within,
)
from syncgui.service.paths import Paths
from syncgui.service.records import ConflictDetail, Place, Schedule, SessionRecord, Trigger
from syncgui.service.restoring import keys_in, restore_entry
from syncgui.service.running import Guard, SessionRunner, UndoRun
from syncgui.service.schedule import ScheduleBook
from syncgui.service.sessions import SessionLog
from syncgui.service.settings import load_settings
from syncgui.service.stores import (
    LOCAL_SCHEMES,
    StoreSpec,
    is_url,
    open_store,
    parse_spec,
    prepare_store,
    undo_prepared,
)
from syncgui.service.views import ConflictView

if TYPE_CHECKING:  # the device modules load when devices are first asked about
    from syncgui.engine.resolutions import Keep
    from syncgui.providers.mtp.backend import MtpBackend
    from syncgui.service.devices import (
        BackendFactory,
        DeviceEvent,
        DeviceListing,
        DeviceReport,
        DeviceService,
    )
    from syncgui.service.undoing import UndoOutcome

__all__ = ["SyncService"]

log = logging.getLogger(__name__)


def _libmtp_backend() -> MtpBackend:
    """Phones over USB (the default): the device modules load only when one is used."""
    from syncgui.service.devices import libmtp_backend

    return libmtp_backend()


class SyncService:
    """The sync manager over one configuration and data directory, for the CLI and the GUI.

    ``demo``: this is the demo profile. ``devices`` is the device service to use (tests pass
    one with a fake backend; None: made when first needed, so the CLI never starts one it
    does not use); ``real_backend`` makes the backend for USB phones (None: no USB phones);
    ``env`` is where the autostart entry finds XDG_CONFIG_HOME (None: os.environ);
    ``carddav`` talks to CardDAV servers (tests pass a fake; None: the CardDAV provider)."""

    def __init__(
        self,
        paths: Paths,
        *,
        demo: bool = False,
        devices: DeviceService | None = None,
        real_backend: BackendFactory | None = _libmtp_backend,
        env: Mapping[str, str] | None = None,
        carddav: CardDavApi | None = None,
    ) -> None:
        self.paths = paths
        self.book = PartnershipBook(paths.partnerships_file)
        self._demo = demo
        self._devices = devices
        self._devices_made = threading.Lock()  # the GUI asks from several threads
        self._real_backend = real_backend
        self._schedules = ScheduleBook(paths.schedules_file)
        self._env = env
        self._accounts = Accounts(paths.config_dir / "accounts.json", carddav)
        self._runner = SessionRunner(paths, self._accounts)

    @property
    def is_demo(self) -> bool:
        """True for the demo profile (sample stores, apart from the user's own)."""
        return self._demo

    @property
    def devices(self) -> DeviceService:
        """The device service (phones on USB, virtual phones in use), made on first use."""
        with self._devices_made:
            if self._devices is None:
                from syncgui.service.devices import DeviceService

                self._devices = DeviceService(self.paths, real_backend=self._real_backend)
            return self._devices

    # -- partnerships and schedules -------------------------------------------------------

    def partnerships(self) -> list[Partnership]:
        return self.book.load()

    def add_partnership(
        self,
        name: str,
        a: str,
        b: str,
        direction: Direction = Direction.TWO_WAY,
        policy: Policy = Policy.MERGE,
        schedule: Schedule | None = None,
        match: MatchLevel = MatchLevel.PEOPLE,
    ) -> tuple[Partnership, list[str]]:
        """Add a partnership (with ``schedule``; None: the default one; ``match``: how far
        contacts new to each other are matched when the stores meet); returns it and notes
        on stores created for it."""
        check_name(name)
        spec_a, spec_b = self._canonical(parse_spec(a)), self._canonical(parse_spec(b))
        if spec_a == spec_b:
            raise ConfigError("a partnership needs two different stores")
        items = self.book.load()
        if any(p.name == name for p in items):
            raise ConfigError(f"a partnership named {name!r} exists already")
        notes = self._prepare_stores(spec_a, spec_b)
        p = Partnership(name, str(spec_a), str(spec_b), direction, policy, match)
        self.book.save([*items, p])
        if schedule is not None:
            self._schedules.set(name, schedule)
        self._rescan_devices()  # a virtual phone it uses is now watched
        return p, notes

    def _prepare_stores(self, *specs: StoreSpec) -> list[str]:
        """Create the stores of a new partnership that are not there yet, then check that
        each can be read; returns notes on what was created. When one fails, what was
        created on this computer is removed again (a store already there is never touched),
        and a real phone's folder is created only after every other store was: a failed
        ``partnership add`` leaves nothing behind."""
        made: list[Path] = []
        notes: list[str] = []
        try:
            for spec in sorted(specs, key=lambda s: s.scheme == "mtp"):
                note = prepare_store(spec, made)
                if note:
                    notes.append(note)
            for spec in specs:
                store = open_store(spec, self._accounts)
                try:
                    store.list(None)  # raises StoreUnavailable with a clear message
                finally:
                    release(store)  # a phone: let the device go
        except BaseException:
            undo_prepared(made)
            raise
        return notes

    def remove_partnership(self, name: str) -> None:
        """Forget the partnership, its conflicts and its schedule (stores are not touched)."""
        p = self.book.get(name)
        with partnership_locked(self.paths, p):
            for spec in (p.spec_a, p.spec_b):
                meta = open_metadata(self.paths, spec)
                try:
                    for c in meta.conflicts(name):
                        with meta.transaction():
                            meta.drop_conflict(c.id)
                finally:
                    meta.close()
        self.book.save([q for q in self.book.load() if q.name != name])
        self._schedules.drop(name)
        self._rescan_devices()

    def set_partnership(
        self,
        name: str,
        *,
        new_name: str | None = None,
        direction: Direction | None = None,
        policy: Policy | None = None,
    ) -> Partnership:
        """Change the name, direction or conflict policy of ``name`` (None: keep it); the
        stores are not touched. Refused (AlreadySyncing) while the partnership syncs. A new
        name carries everything kept under the old one (:mod:`.editing`)."""
        changed = edit_partnership(
            self.paths,
            self.book,
            self._schedules,
            name,
            new_name=new_name,
            direction=direction,
            policy=policy,
        )
        self._rescan_devices()
        return changed

    def reset_partnership(self, name: str) -> None:
        """Forget what was synced between the stores of ``name`` so that its next sync
        matches contacts again as a first sync does; no contact is deleted, no store is
        touched; a store another partnership shares, or a phone, keeps its state
        (:func:`.editing.reset_partnership` says why)."""
        reset_partnership(self.paths, self.book, name)

    def refuse_matches(self, name: str, pairs: Iterable[Pair]) -> Partnership:
        """The user refused these matches of ``name`` (side A's item global id, side B's, as
        a dry run's ``SessionResult.matched`` gave them): its sessions never combine those
        two contacts, nor list them as possible duplicates. Returns the partnership."""
        p = self.book.get(name)
        new = frozenset(pairs) - p.refused_matches
        if not new:
            return p
        changed = p.refusing(new)
        self.book.save([changed if q.name == name else q for q in self.book.load()])
        log.info("%s: %d more match(es) refused", name, len(new))
        return changed

    def schedule(self, name: str) -> Schedule:
        """When the desktop app syncs ``name`` by itself (the CLI ignores this)."""
        self.book.get(name)  # an unknown name is an error
        return self._schedules.get(name)

    def set_schedule(self, name: str, schedule: Schedule) -> None:
        self.book.get(name)
        self._schedules.set(name, schedule)

    def _rescan_devices(self) -> None:
        """Partnerships changed: a device monitor in use looks again (none made: none)."""
        if self._devices is not None:
            self._devices.rescan()

    # -- sync -----------------------------------------------------------------------------

    def sync(
        self,
        names: Sequence[str],
        *,
        trigger: Trigger = "cli",
        dry_run: bool = False,
        allow_mass_delete: bool = False,
        approved_deletes: Approval | None = None,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> list[SessionResult]:
        """Run each partnership once; every finished session but a dry run is recorded in
        the session log (see :meth:`sessions`) with ``trigger``. ``allow_mass_delete`` lifts
        the mass-deletion guard; ``approved_deletes`` (the length of the blocked list the
        user approved, so meant for one partnership) lets a store lose at most that many,
        more blocks again."""
        chosen = [self.book.get(n) for n in names]
        guard = Guard(allow_mass_delete, approved_deletes)
        return [self._runner.run(p, trigger, dry_run, guard, emit, cancel) for p in chosen]

    def sessions(self, name: str | None = None, limit: int = 200) -> list[SessionRecord]:
        """The recorded sessions (of one partnership, or all), newest first."""
        if not self.paths.sessions_db.exists():
            return []
        session_log = SessionLog(self.paths.sessions_db)
        try:
            return session_log.records(name, limit)
        finally:
            session_log.close()

    def undo(
        self,
        session_id: int,
        *,
        include: Collection[bytes] | bool = False,
        dry_run: bool = False,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> UndoOutcome:
        """Undo session ``session_id`` (see :mod:`syncgui.service.undoing`): the contacts it
        overwrote or deleted come back and those it created are removed, in both stores,
        then the partnership syncs (recorded with trigger "undo"). Contacts changed since
        the session are left alone unless in ``include`` (True: all). ``dry_run``: only
        the plan, nothing written. Raises ConfigError for an unknown session, one recorded
        before sessions could be undone, or one whose partnership is gone."""
        from syncgui.service.undoing import UndoOutcome, undo_session  # only for an undo

        record = self._session(session_id)
        p = self.book.get(record.partnership)
        token = os.urandom(16).hex()
        plan, written = undo_session(
            self.paths, p, self._accounts, record, include=include, dry_run=dry_run, token=token
        )
        if dry_run or not written.counts:
            return UndoOutcome(plan, include, written, None, dry_run)
        run = UndoRun(
            token,
            record.id,
            written.counts.get(Side.A, PassCounts()),
            written.counts.get(Side.B, PassCounts()),
            tuple(written.problems),
            Policy.ASK if plan.asks(include) else None,
        )
        guard = Guard(approved_deletes=written.approval())
        result = self._runner.run(p, "undo", False, guard, emit, cancel, run)
        return UndoOutcome(plan, include, written, result)

    def _session(self, session_id: int) -> SessionRecord:
        found = None
        if self.paths.sessions_db.exists():
            session_log = SessionLog(self.paths.sessions_db)
            try:
                found = session_log.get(session_id)
            finally:
                session_log.close()
        if found is None:
            raise ConfigError(f"there is no session {session_id}; `log` lists them")
        return found

    @contextmanager
    def open_replicas(self, p: Partnership) -> Iterator[tuple[SimpleReplica, SimpleReplica]]:
        """Both stores of ``p`` as replicas, closed (a phone let go) on leaving."""
        with self._runner.open_replicas(p) as pair:
            yield pair

    def open_bases(self) -> AbstractContextManager[BaseStore]:
        """The merge bases every partnership shares."""
        return self._runner.open_bases()

    # -- conflicts ------------------------------------------------------------------------

    # conflict_detail's module (the field rows, the vCard merge) is imported by these
    # methods when used: a sync needs none of it

    def conflicts(self, name: str | None = None) -> list[ConflictView]:
        from syncgui.service.conflict_detail import conflict_view, sides

        chosen = [self.book.get(name)] if name else self.book.load()
        views: list[ConflictView] = []
        for p in chosen:
            with self.open_replicas(p) as (a, b):
                for side, holder in sides(a, b):
                    for c in holder.conflicts(p.name):
                        views.append(conflict_view(p, side, holder, c))
        return views

    def conflict_counts(self) -> dict[str, int]:
        """Conflicts waiting per partnership, from metadata only (no phone is opened)."""
        from syncgui.service.conflict_detail import conflict_counts

        return conflict_counts(self)

    def conflict_detail(
        self, conflict_id: str, *, partnership: str | None = None
    ) -> ConflictDetail:
        """A conflict field by field, for the conflict dialog (may open a phone). Given
        ``partnership``, only its stores are opened (None: each partnership's in turn)."""
        from syncgui.service.conflict_detail import conflict_detail

        return conflict_detail(self, conflict_id, partnership)

    def conflict_details(self, name: str | None = None) -> list[ConflictDetail]:
        """Every conflict of ``name`` (None: all partnerships) field by field, each
        partnership's stores opened once (may open a phone)."""
        from syncgui.service.conflict_detail import conflict_details

        return conflict_details(self, name)

    def resolve(
        self,
        conflict_id: str,
        keep: Keep,
        prefer: Mapping[str, Literal["a", "b"]] | None = None,
        *,
        partnership: str | None = None,
    ) -> ConflictView:
        """Apply the user's choice; the next sync carries it to the other side. Given
        ``partnership``, only its stores are opened and locked (None: each partnership's
        in turn until the conflict is found)."""
        from syncgui.engine.resolutions import resolve_stored
        from syncgui.service.conflict_detail import conflict_view

        chosen = [self.book.get(partnership)] if partnership else self.book.load()
        prefs = load_settings(self.paths.settings_file)  # damaged: said before any write
        for p in chosen:
            with (
                partnership_locked(self.paths, p),
                self.open_replicas(p) as (a, b),
                self.open_bases() as bases,
            ):
                for holder in (a, b):
                    found = [c for c in holder.conflicts(p.name) if c.id == conflict_id]
                    if not found:
                        continue
                    view = conflict_view(p, "a" if holder is a else "b", holder, found[0])
                    holder.detect()
                    history = HistoryLog(self.paths.history_db, key_of=keys_in(holder))
                    try:
                        resolve_stored(found[0], holder, keep, bases, history, prefer)
                        keep_within(history, prefs)
                    finally:
                        history.close()
                    return view
        raise ConfigError(f"there is no conflict {conflict_id!r}; `conflicts` lists them")

    # -- history --------------------------------------------------------------------------

    def history(self, name: str | None = None) -> list[HistoryEntry]:
        if name is not None:
            self.book.get(name)
        if not self.paths.history_db.exists():
            return []
        log_ = HistoryLog(self.paths.history_db)
        try:
            return log_.entries(name)
        finally:
            log_.close()

    def history_detail(self, entry_id: int) -> ConflictDetail:
        """History entry ``entry_id`` field by field (side A) beside its item as it is now
        in its store (side B: None when it is no longer there; ``view.unreachable`` when the
        store cannot be read now); opens that store only (:mod:`.history_detail`)."""
        from syncgui.service.history_detail import history_detail

        return history_detail(self.paths, self._accounts, entry_id)

    def restore(self, entry_id: int) -> HistoryEntry:
        """Put a kept version back into its store as a new local change (the next sync
        carries it on), under the name it had there (:mod:`.restoring`)."""
        prefs = load_settings(self.paths.settings_file)  # a damaged file stops it before
        entry = restore_entry(self.paths, self.book, self._accounts, entry_id)
        history = HistoryLog(self.paths.history_db)  # it kept the version it replaced
        try:
            keep_within(history, prefs)
        finally:
            history.close()
        return entry

    def history_usage(self) -> HistoryUsage:
        """How many versions the history keeps, the space its files take and the limits
        from the settings (reads the history database only; creates nothing)."""
        prefs = load_settings(self.paths.settings_file)
        return history_usage(self.paths.history_db, prefs.history_days, prefs.history_versions)

    # -- accounts on CardDAV servers -------------------------------------------------------

    def accounts(self) -> list[Account]:
        """The accounts, with the address books found at their last sign-in (no server is
        asked)."""
        return self._accounts.all()

    def add_account(
        self,
        name: str,
        url: str,
        user: str | None = None,
        *,
        password: str | None = None,
        password_command: Sequence[str] | None = None,
        ca_file: str | None = None,
    ) -> AddedAccount:
        """Sign in to the server at ``url`` and find its address books (with their counts);
        only then keep the account, its password in the OS keyring (or the command that
        prints it). Adding an account again (same name, server and user) signs in again and
        replaces its password."""
        return self._accounts.add(
            name,
            url,
            user,
            password=password,
            password_command=password_command,
            ca_file=ca_file,
        )

    def remove_account(self, name: str) -> Account:
        """Forget the account and its password in the keyring; refused while a partnership
        uses one of its address books (remove those first)."""
        specs = {p.name: (p.a, p.b) for p in self.book.load()}
        users = self._accounts.using(name, specs)
        if users:
            raise ConfigError(
                f"account {name!r} is used by the partnership(s) {', '.join(users)}; remove "
                "them first (`syncgui-cli partnership remove NAME`; no contact is deleted)"
            )
        return self._accounts.remove(name)

    def set_password(self, name: str, password: str) -> list[OnlineBook]:
        """Sign in to account ``name`` with a new password and keep it only if the server
        accepts it (the app asks for it when a sync's sign-in was refused)."""
        return self._accounts.set_password(name, password)

    def address_books(self, name: str) -> list[OnlineBook]:
        """Sign in to account ``name`` and list its address books with their counts."""
        return self._accounts.address_books(name)

    def check_keyring(self) -> None:
        """Raise (saying what to do instead) when no OS keyring can keep a password."""
        from syncgui.service.secrets import check_keyring

        check_keyring()

    def _canonical(self, spec: StoreSpec) -> StoreSpec:
        """``carddav:ACCOUNT/BOOK`` with BOOK as the last segment of the book's path, which
        stays when the book is renamed on the server; ``carddav:URL`` of an account's book
        the same (one address book is one store, however it was named); other specs as
        they are."""
        if spec.scheme != "carddav":
            return spec
        if is_url(spec.location):
            held = self._accounts.holding(spec.location)
            if held is None:
                return spec
            account, book = held
        else:
            account, book = self._accounts.resolve(spec.location)
        return StoreSpec(spec.scheme, f"{account.name}/{book.segment}")

    # -- stores and devices ---------------------------------------------------------------

    def count_cards(self, spec: str) -> int | None:
        """Cards in the store ``spec`` now; None when it cannot be read now."""
        from syncgui.service.places import count_cards

        parsed = parse_spec(spec)
        if parsed.scheme == "carddav" and not is_url(parsed.location):
            return self._accounts.count_cards(parsed.location)
        return count_cards(parsed)

    def places(self, device: DeviceReport) -> list[Place]:
        """Each storage of ``device`` with its folders and ``.vcf`` files, for the wizard;
        raises StoreUnavailable (with what to do) when the phone cannot be opened now."""
        from syncgui.service.places import is_virtual, places

        if is_virtual(device):
            return places(device, self._real_backend)
        with self.devices.scans_held():
            return places(device, self._real_backend)

    def watched_paths(self, name: str) -> list[Path]:
        """The files and folders on this computer whose changes should start a sync of
        ``name``: a vdir folder, a vcf file (phones have none)."""
        p = self.book.get(name)
        return [Path(s.location) for s in (p.spec_a, p.spec_b) if s.scheme in LOCAL_SCHEMES]

    def partnerships_using(self, device: DeviceReport) -> list[str]:
        """Partnerships with a store on ``device``: a virtual phone by its folder, a USB
        phone by its serial number (or any USB phone for ``mtp:first/...``)."""
        from syncgui.service.places import on_device

        return [
            p.name
            for p in self.partnerships()
            if any(on_device(spec, device) for spec in (p.spec_a, p.spec_b))
        ]

    def list_devices(self) -> DeviceListing:
        """Every device now: opened, read and closed again (takes a second or two)."""
        return self.devices.list_devices()

    def subscribe_devices(self, callback: Callable[[DeviceEvent], None]) -> Callable[[], None]:
        """``callback`` gets every device event on the monitor's thread; returns the
        unsubscriber."""
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
