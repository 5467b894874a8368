"""Change detection for simple providers: full enumeration of a store other programs edit.

Each listed item's stamp (size, mtime, inode, ETag, hash) is compared with the one seen
last; only when it differs is the item read and hashed, and only a different hash is a
change, which gets a fresh local version. A store whose items were all seen before is
never read. An item that changed and cannot be read is a change we do not understand: it
is reported, keeps its last known state, and is named in ``DetectReport.damaged`` so that
nothing from elsewhere overwrites or deletes it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from syncgui.engine.errors import BadItem, ItemProblem, ItemVanished, StoreUnavailable, SyncError
from syncgui.engine.forked import ForkedPieces, can_fork
from syncgui.engine.ids import content_hash, gid_for_uid, synthesize_uid
from syncgui.engine.itemformat import ItemInfo
from syncgui.engine.items import ItemMeta
from syncgui.engine.metadata import Brief, ItemRow, MetadataStore
from syncgui.engine.provider import Entry, Listing, ReadsInChild, SimpleStore, StampedEntries
from syncgui.engine.replica import DetectReport

log = logging.getLogger(__name__)

# notes kept with the replica: the unreadable keys of unknown identity seen last, and the
# items not taken as deleted because of them (key -> the keys they may be)
_STRANGERS = "detection.strangers"
_HELD = "detection.held"


def _load_json(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _dump_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class ReadCache:
    """Bytes read by change detection, kept for the session's passes up to a budget, so a
    first sync does not read every new card twice (photos are mostly left out)."""

    BUDGET = 24 * 1024 * 1024
    ITEM_LIMIT = 16 * 1024

    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._size = 0

    def keep(self, gid: bytes, data: bytes) -> None:
        if len(data) <= self.ITEM_LIMIT and self._size + len(data) <= self.BUDGET:
            self.drop(gid)
            self._data[gid] = data
            self._size += len(data)

    def peek(self, gid: bytes) -> bytes | None:
        """The cached bytes of ``gid`` (kept for their use), or None."""
        return self._data.get(gid)

    def take(self, gid: bytes) -> bytes | None:
        """The cached bytes of ``gid`` (forgotten here: each is used once), or None."""
        data = self._data.pop(gid, None)
        if data is not None:
            self._size -= len(data)
        return data

    def drop(self, gid: bytes) -> None:
        self.take(gid)

    def clear(self) -> None:
        self._data.clear()
        self._size = 0


class _Owners:
    """The key of each live item by its global id, as this detection leaves them: the items
    it has seen so far over what the metadata holds. Without ``meta`` the ``known`` items are
    all there are; with it, another item is looked up when first asked for (a few changes
    among many items load only what they need)."""

    def __init__(self, known: dict[str, Brief], meta: MetadataStore | None) -> None:
        self._keys: dict[bytes, str | None] = {brief[1]: key for key, brief in known.items()}
        self._meta = meta

    def get(self, gid: bytes) -> str | None:
        if gid in self._keys or self._meta is None:
            return self._keys.get(gid)
        key = self._keys[gid] = self._meta.live_key(gid)
        return key

    def __setitem__(self, gid: bytes, key: str) -> None:
        self._keys[gid] = key


class _Saved:
    """The rows a detection found, saved as they come (in its one transaction), a few
    hundred at a time: when a child read and described part of the items, the last save
    then follows the child's last items at once, instead of a whole store's rows after
    them. The detection does not read back what it saved meanwhile: an item's key, once
    seen, is kept in _Owners, and the vanished items are read before the first rename is
    found."""

    EVERY = 500

    def __init__(self, meta: MetadataStore) -> None:
        self._meta = meta
        self._rows: list[ItemRow] = []
        self._gids: set[bytes] = set()

    def add(self, row: ItemRow) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.EVERY:
            self._save()

    def done(self) -> set[bytes]:
        """Save what is left; the global ids of every row saved."""
        self._save()
        return self._gids

    def _save(self) -> None:
        self._meta.save_many(self._rows)
        self._gids.update(row.meta.gid for row in self._rows)
        self._rows = []


class ChangeDetector:
    """Finds what changed in ``store`` since ``meta`` last saw it."""

    # fewer changed items than 1/FEW_CHANGES of those seen: only theirs are loaded
    FEW_CHANGES = 16

    def __init__(self, store: SimpleStore, meta: MetadataStore, cache: ReadCache) -> None:
        self.store = store
        self.meta = meta
        self.cache = cache
        self._known: dict[str, Brief] = {}
        self._vanished: dict[str, ItemRow] | None = None

    def detect(self) -> DetectReport:
        """Compare the store's listing with the stamps seen last; record every change."""
        listing = self.store.list(self.meta.token)
        report = DetectReport(problems=list(listing.problems))
        if listing.entries is None:
            return report
        seen = self._seen(listing)
        if seen is None:
            return report  # a folder as it was: nothing to read, nothing to write
        compared = self._compare(listing, listing.entries, seen)
        if compared is None:
            return report  # the common case: nothing to read, nothing to write
        changed, listed = compared
        known, owners = self._load(changed, seen, listed, listing.unreadable)
        self._vanished = None  # by UID, read when first needed
        self._known = known
        # unreadable items this replica never held: one of them may be a known item whose
        # identity (a UID, a card's key) the damage changed
        strangers = sorted(k for k in listing.unreadable if k not in known)
        for key in listing.unreadable:
            if key in known:
                report.damaged[known[key][1]] = key
        saved = _Saved(self.meta)
        rows = self.meta.rows(known[e.key][1] for e in changed if e.key in known)
        with self.meta.transaction(), _PartAhead.start(self, changed, known, rows) as ahead:
            for index, entry in enumerate(changed):
                brief = known.get(entry.key)
                row = None if brief is None else rows.get(brief[1])
                try:
                    found = self._detect_one(entry, row, owners, listed, ahead.get(index))
                except StoreUnavailable:
                    raise
                except ItemVanished as err:
                    report.problems.append(ItemProblem(err.item or entry.key, err.message))
                    continue
                except SyncError as err:
                    report.problems.append(ItemProblem(err.item or entry.key, err.message))
                    if brief is not None:
                        report.damaged[brief[1]] = entry.key
                    else:
                        strangers.append(entry.key)
                    continue
                if found is not None:
                    new_row, data = found
                    saved.add(new_row)
                    self.cache.keep(new_row.meta.gid, data)
                    report.changes += new_row.meta.version.replica == self.meta.replica_id
            moved = saved.done()
            gone = {k: b[1] for k, b in known.items() if k not in listed and b[1] not in moved}
            if not listing.complete:  # the store has said what it could not list
                report.damaged.update((gid, key) for key, gid in gone.items())
                gone = {}
            elif gone or strangers or _load_json(self.meta.note(_STRANGERS)):
                gone = self._hold_back(gone, set(strangers), report)
            report.changes += self._detect_deletes(gone.values())
            self.meta.token = None if report.problems else listing.token
        return report

    def _seen(self, listing: Listing) -> Mapping[str, str | None] | None:
        """The stamps seen last, ``key -> stamp``; None when ``listing`` is a folder's listed
        byte for byte as the snapshot of those stamps, under the same token: unchanged."""
        stamped = listing.entries if isinstance(listing.entries, StampedEntries) else None
        seen = self.meta.live_stamp_map(stamped.encoded if stamped is not None else None)
        if seen is None and stamped is not None and listing.token != self.meta.token:
            return stamped.stamps  # (never for a folder: it has no token)
        return seen

    def _compare(
        self, listing: Listing, entries: Sequence[Entry], seen: Mapping[str, str | None]
    ) -> tuple[list[Entry], set[str]] | None:
        """The entries whose stamps differ from those seen last, and every key listed
        (unreadable ones too); None in the common case, when every item is listed as seen
        last, none is gone and the token is the same. The stamps seen are then kept in one
        piece for the next no-op (see :meth:`MetadataStore.keep_stamp_map`)."""
        if isinstance(entries, StampedEntries):  # a folder: its stamps compared whole
            unchanged = entries.stamps == seen
            changed = [] if unchanged else entries.differing(seen)
            keys: Iterable[str] = entries.stamps
        else:
            changed = [e for e in entries if seen.get(e.key) != e.stamp]
            unchanged = not changed and len(entries) == len(seen)
            keys = (e.key for e in entries)
        if unchanged and listing.token == self.meta.token:
            # a folder's map in its listing order: the next no-op compares it byte for byte
            stamped = entries if isinstance(entries, StampedEntries) else None
            self.meta.keep_stamp_map(seen if stamped is None else stamped.encoded)
            return None
        return changed, set(keys).union(listing.unreadable)

    def _load(
        self,
        changed: list[Entry],
        seen: Mapping[str, str | None],
        listed: set[str],
        unreadable: Iterable[str],
    ) -> tuple[dict[str, Brief], _Owners]:
        """The briefs of the items this detection looks at: all, or with few changes among
        many items only those changed, gone or unreadable (the others are looked up by id
        when needed)."""
        if len(changed) * self.FEW_CHANGES < len(seen):
            wanted = {e.key for e in changed} | {k for k in seen if k not in listed}
            known = self.meta.live_stamps(wanted.union(unreadable))
            return known, _Owners(known, self.meta)
        known = self.meta.live_stamps()
        return known, _Owners(known, None)

    def _hold_back(
        self, gone: dict[str, bytes], strangers: set[str], report: DetectReport
    ) -> dict[str, bytes]:
        """The items in ``gone`` (key -> gid) to take as deleted. An item that vanished in
        the listing where an unreadable item of unknown identity (a stranger) appeared may
        be that stranger, damaged: it is held back (kept, reported, named in
        ``report.damaged``) as long as one of those strangers stays unreadable. A stranger
        that was there before the item vanished explains nothing."""
        seen = set(_load_json(self.meta.note(_STRANGERS)) or [])
        held_before: dict[str, list[str]] = _load_json(self.meta.note(_HELD)) or {}
        appeared = sorted(strangers - seen)
        held: dict[str, list[str]] = {}
        deleted: dict[str, bytes] = {}
        for key, gid in gone.items():
            suspects = [s for s in held_before.get(key, []) if s in strangers] or appeared
            if not suspects:
                deleted[key] = gid
                continue
            held[key] = suspects
            report.damaged[gid] = key
            row = self.meta.row(gid)
            label = row.meta.label if row is not None else key
            report.problems.append(
                ItemProblem(
                    label,
                    f"{label} ({key}) is no longer in {self.store.name}, but "
                    f"{', '.join(suspects[:3])} cannot be read and may be this contact, "
                    "damaged; it is not taken as deleted until that is fixed or removed",
                )
            )
        self.meta.set_note(_STRANGERS, _dump_json(sorted(strangers)))
        self.meta.set_note(_HELD, _dump_json(held))
        return deleted

    def _detect_one(
        self,
        entry: Entry,
        row: ItemRow | None,
        owners: _Owners,
        listed: set[str],
        ready: _Ready | None = None,
    ) -> tuple[ItemRow, bytes] | None:
        """The new row (and the bytes read) for a listed item whose stamp changed, or None
        when it was only touched. ``ready``: what a child process read and found for it."""
        if ready is not None and not ready.data and (row is None or row.hash != ready.digest):
            ready = None  # found touched there but not by this row (cannot be): read it here
        if ready is not None:
            data, digest = ready.data, ready.digest
        else:
            data = entry.data if entry.data is not None else self.store.read(entry.key)
            digest = content_hash(data)
        if row is not None and row.hash == digest:
            self.meta.set_stamp(row.meta.gid, entry.stamp)
            return None
        if ready is not None and ready.info is not None:
            info = ready.info
        else:
            info = self._describe(entry, data)
        when = entry.mtime if entry.mtime is not None else time.time()
        if row is None:
            row = self._renamed(info.uid, owners, listed)
            if row is not None and row.hash == digest:  # moved, not edited
                return ItemRow(row.meta, entry.key, entry.stamp, digest, row.own_uid), data
        own_uid = None
        if row is not None:
            r = row.meta
            version = self.meta.next_version()
            meta = ItemMeta(r.gid, r.uid, info.label, r.created, version, False, when)
            own_uid = row.own_uid
        else:
            meta = self._new_item(entry.key, info.uid, info.label, when, owners)
        owners[meta.gid] = entry.key
        return ItemRow(meta, entry.key, entry.stamp, digest, own_uid), data

    def _describe(self, entry: Entry, data: bytes) -> ItemInfo:
        try:
            return self.store.format.describe(data)
        except BadItem as err:
            raise BadItem(f"{entry.key}: {err.message}", item=entry.key) from err
        except Exception as err:  # a format's bug must not stop the whole store
            log.warning("%s: describing %s failed", self.store.name, entry.key, exc_info=True)
            raise BadItem(
                f"{entry.key}: the card could not be understood ({type(err).__name__})",
                item=entry.key,
            ) from err

    def _renamed(self, uid: str | None, owners: _Owners, listed: set[str]) -> ItemRow | None:
        """The row of a card that another program renamed (same UID as the store keeps
        for it, old name gone), so a rename is not taken for a delete and a create."""
        if uid is None:
            return None
        if self._vanished is None:
            gone = [b[1] for k, b in self._known.items() if k not in listed]
            self._vanished = {r.store_uid: r for r in self.meta.rows(gone).values()}
        row = self._vanished.get(uid)
        if row is None or owners.get(row.meta.gid) != row.key:
            return None  # not vanished, or already claimed by another card of this listing
        return row

    def _new_item(
        self, key: str, uid: str | None, label: str, when: float, owners: _Owners
    ) -> ItemMeta:
        uid = uid or synthesize_uid(self.meta.replica_id + key.encode())
        gid = gid_for_uid(uid)
        holder = owners.get(gid)
        if holder is not None:
            log.warning(
                "%s: %s has the same UID as %s; kept as separate items",
                self.store.name,
                key,
                holder,
            )
            gid = gid_for_uid(f"{uid}\x00{self.store.identity}\x00{key}")
        version = self.meta.next_version()
        # A card that comes back after a delete is a new creation, so that replicas that
        # cleaned up their tombstone do not take it for the deleted one.
        return ItemMeta(gid, uid, label, version, version, False, when)

    def _detect_deletes(self, gone_gids: Iterable[bytes]) -> int:
        """Tombstones for the items no longer listed; how many."""
        gone = self.meta.rows(gone_gids)
        now = time.time()
        for row in gone.values():
            m = row.meta
            tomb = ItemMeta(m.gid, m.uid, m.label, m.created, self.meta.next_version(), True, now)
            self.meta.save(ItemRow(tomb, None, None, None))
        return len(gone)


# -- a large batch of changed items, read and described partly in a child process ------------


class _Ready(NamedTuple):
    """What a child process found for one changed item: its bytes (empty when it found the
    item only touched, its digest the one seen last), their digest, and its description."""

    data: bytes
    digest: str
    info: ItemInfo | None


# what the child sends for an item: data, digest, uid, label (None: it could not do it)
_Found = tuple[bytes, str, str | None, str | None] | None


class _PartAhead:
    """The last part of a large batch of changed items read, hashed and described in a child
    process (:mod:`syncgui.engine.forked`) while the detection does the first part itself,
    then takes the child's items a piece at a time as they come. An item the child could
    not do (it could not be read, or the child failed before it) is done in place, which
    reports any problem as always; what is found is the same either way, only the time
    differs (10,000 new cards on two processors: ≈ 0.6 → 0.35 s with the child's findings
    taken once it had ended; 0.47 → 0.40 s of a slower hour taking them as they come, the
    child doing 70 instead of 55 %)."""

    MIN_ITEMS = 400  # a fork costs ≈ 1 ms: fewer changed items are done in place
    CHILD_SHARE = 0.7  # the parent makes and saves each item's metadata besides
    FRAME = 200  # items per piece the child hands on (the parent waits for a whole one)

    def __init__(self, work: ForkedPieces | None, first: int) -> None:
        self._work = work
        self._next = first  # index (in the batch) of the child's next item
        self._found: Iterator[_Found] | None = None

    @classmethod
    @contextmanager
    def start(
        cls,
        detector: ChangeDetector,
        changed: Sequence[Entry],
        known: Mapping[str, Brief],
        rows: Mapping[bytes, ItemRow],
    ) -> Iterator[_PartAhead]:
        """The child for ``changed`` when the store and this process allow one and the batch
        is worth it; stopped on leaving if still running."""
        store = detector.store
        work = None
        first = len(changed) - int(len(changed) * cls.CHILD_SHARE)
        if (
            len(changed) >= cls.MIN_ITEMS
            and isinstance(store, ReadsInChild)
            and store.reads_in_child()
            and can_fork()
        ):
            part = changed[first:]

            def hash_seen(key: str) -> str | None:
                brief = known.get(key)
                row = None if brief is None else rows.get(brief[1])
                return None if row is None else row.hash

            try:
                work = ForkedPieces(lambda put: _do_part(store, part, hash_seen, put))
            except OSError as err:
                log.debug("%s: reading in place: %s", store.name, err)
        ahead = cls(work, first)
        try:
            yield ahead
        finally:
            ahead.close()

    def get(self, index: int) -> _Ready | None:
        """What the child found for item ``index`` of the batch (asked in order), or None."""
        if index != self._next or (self._work is None and self._found is None):
            return None
        self._next += 1
        if self._found is None and self._work is not None:
            self._found = _items(self._work)
        found = next(self._found, None) if self._found is not None else None
        if found is None:
            return None
        data, digest, uid, label = found
        return _Ready(data, digest, None if label is None else ItemInfo(uid, label))

    def close(self) -> None:
        if self._work is not None:
            self._work.discard()
            self._work = None


def _items(work: ForkedPieces) -> Iterator[_Found]:
    """The child's items as its pieces come (those of a child that failed midway up to
    where it stopped: the rest are done in place)."""
    try:
        for piece in work.pieces():
            yield from piece
    except Exception as err:  # (cannot be) the rest in place
        log.warning("the child's findings cannot be read: %s", err)
    if work.ended_well is False:
        log.debug("the child reading changed items stopped before the end")


def _do_part(
    store: SimpleStore,
    entries: Sequence[Entry],
    hash_seen: Callable[[str], str | None],
    put: Callable[[list[_Found]], None],
) -> None:  # pragma: no cover  (runs in the child, where coverage is not kept)
    """The child's work: each entry read, hashed and (unless only touched) described, handed
    on a piece at a time."""
    piece: list[_Found] = []
    for entry in entries:
        try:
            data = entry.data if entry.data is not None else store.read(entry.key)
            digest = content_hash(data)
            if digest == hash_seen(entry.key):
                piece.append((b"", digest, None, None))
            else:
                info = store.format.describe(data)
                piece.append((data, digest, info.uid, info.label))
        except Exception:  # the parent does it again and says what is wrong
            piece.append(None)
        if len(piece) == _PartAhead.FRAME:
            put(piece)
            piece = []
    if piece:
        put(piece)
