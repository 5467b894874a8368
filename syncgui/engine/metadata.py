"""The metadata store: one SQLite database per replica.

It keeps the replica id, tick counter, knowledge and forgotten knowledge, one row per item
(global id, the provider's key, creation and change versions, tombstone flag, the stamp and
hash seen last, the store's own UID for an item matched to another store's) and the
conflicts deferred for the user. Every batch is one transaction, so knowledge is never
saved without the item rows it covers. A snapshot of the live items' stamps, one blob,
spares a no-op sync reading every row; triggers drop it with any change to the rows.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncgui.engine.events import ConflictKind, Side
from syncgui.engine.ids import Version, new_replica_id
from syncgui.engine.items import ItemMeta, StoredConflict
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.provider import decode_stamps, encode_stamps
from syncgui.engine.sqlite import connect

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replica(
    one INTEGER PRIMARY KEY CHECK (one = 1),
    id BLOB NOT NULL, identity TEXT NOT NULL, tick INTEGER NOT NULL,
    knowledge BLOB NOT NULL, forgotten BLOB NOT NULL, token TEXT,
    schema INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS item(
    gid BLOB PRIMARY KEY, key TEXT, uid TEXT NOT NULL, label TEXT NOT NULL,
    cre_rep BLOB NOT NULL, cre_tick INTEGER NOT NULL,
    chg_rep BLOB NOT NULL, chg_tick INTEGER NOT NULL,
    deleted INTEGER NOT NULL, changed_at REAL NOT NULL,
    stamp TEXT, hash TEXT, own_uid TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS item_key ON item(key);
CREATE INDEX IF NOT EXISTS item_tombstone ON item(changed_at) WHERE deleted=1;
CREATE INDEX IF NOT EXISTS item_change ON item(chg_rep, chg_tick);
CREATE TABLE IF NOT EXISTS conflict(
    id TEXT PRIMARY KEY, gid BLOB NOT NULL, partnership TEXT NOT NULL, kind TEXT NOT NULL,
    source_side TEXT NOT NULL, source_name TEXT NOT NULL,
    uid TEXT NOT NULL, label TEXT NOT NULL,
    cre_rep BLOB NOT NULL, cre_tick INTEGER NOT NULL,
    chg_rep BLOB NOT NULL, chg_tick INTEGER NOT NULL,
    deleted INTEGER NOT NULL, changed_at REAL NOT NULL,
    data BLOB, knowledge BLOB NOT NULL, detected_at REAL NOT NULL,
    UNIQUE (gid, partnership));
CREATE TABLE IF NOT EXISTS note(name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS stamp_snapshot(
    one INTEGER PRIMARY KEY CHECK (one = 1), map BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS stamp_snapshot_delete AFTER DELETE ON item
    BEGIN DELETE FROM stamp_snapshot; END;
CREATE TRIGGER IF NOT EXISTS stamp_snapshot_update AFTER UPDATE OF key, stamp, deleted ON item
    BEGIN DELETE FROM stamp_snapshot; END;
"""

# key, gid, stamp, hash of a live item: what change detection needs of it
Brief = tuple[str, bytes, str | None, str | None]
_IN_CHUNK = 500  # values per ``IN (...)`` (SQLite allows 999 parameters on old builds)
_FEW_CHANGES = 1000  # up to this many items above a floor are looked up by index
_ITEM_COLS = "gid, key, uid, label, cre_rep, cre_tick, chg_rep, chg_tick, deleted, changed_at"


@dataclass(frozen=True, slots=True)
class ItemRow:
    """An item row: the engine's metadata plus the provider's key, stamp and hash.

    ``own_uid`` is the UID this store keeps for the item when it differs from the item's
    (``meta.uid``, the one its global id comes from): a contact matched to another store's
    when the stores met keeps each store's own UID (see :mod:`syncgui.engine.matching`)."""

    meta: ItemMeta
    key: str | None
    stamp: str | None
    hash: str | None
    own_uid: str | None = None

    @property
    def store_uid(self) -> str:
        """The UID the store's copy of the item carries."""
        return self.own_uid or self.meta.uid

    @property
    def live(self) -> bool:
        """Whether the store holds the item (under :attr:`key`): not a tombstone."""
        return not self.meta.deleted and self.key is not None


def _meta(row: Sequence[Any]) -> ItemMeta:
    gid, _key, uid, label, cre_rep, cre_tick, chg_rep, chg_tick, deleted, changed_at = row[:10]
    return ItemMeta(
        gid=bytes(gid),
        uid=str(uid),
        label=str(label),
        created=Version(bytes(cre_rep), int(cre_tick)),
        version=Version(bytes(chg_rep), int(chg_tick)),
        deleted=bool(deleted),
        changed_at=float(changed_at),
    )


def _item_row(row: Sequence[Any]) -> ItemRow:
    key, stamp, digest, own = row[1], row[10], row[11], row[12]
    return ItemRow(
        _meta(row),
        None if key is None else str(key),
        None if stamp is None else str(stamp),
        None if digest is None else str(digest),
        None if own is None else str(own),
    )


class MetadataStore:
    """SQLite-backed metadata of one replica (WAL; one transaction per batch)."""

    def __init__(self, path: Path | str, identity: str) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)
        self._upgrade()
        self._in_tx = False
        self._scratch = False
        self._snapshot: bytes | None = None  # the stamp snapshot live_stamp_map read or kept
        self._stamps_read_at = -1  # data_version when live_stamp_map last read the rows
        self.commits = 0  # transactions committed through this object
        self._knowledge = Knowledge.empty()
        self._knows_tick = True
        select = "SELECT id, tick, knowledge, forgotten, token FROM replica"
        row = self._db.execute(select).fetchone()
        if row is None:
            empty = Knowledge.empty().serialize()
            # OR IGNORE: another process (the app, the CLI) may make it at the same moment
            self._db.execute(
                "INSERT OR IGNORE INTO replica VALUES (1, ?, ?, 0, ?, ?, NULL, ?, ?)",
                (new_replica_id(), identity, empty, empty, SCHEMA_VERSION, time.time()),
            )
            row = self._db.execute(select).fetchone()
        self.replica_id = bytes(row[0])
        self.tick = int(row[1])
        self.knowledge = Knowledge.deserialize(bytes(row[2]))
        self.forgotten = Knowledge.deserialize(bytes(row[3]))
        self.token: str | None = row[4]

    def _upgrade(self) -> None:
        """Bring a database made by an older version up to this schema."""
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(item)")}
        if "own_uid" not in columns:  # before matching across stores
            self._db.execute("ALTER TABLE item ADD COLUMN own_uid TEXT")

    def close(self) -> None:
        self._db.close()

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: item rows, conflicts and replica state commit together.

        On an exception everything is rolled back, including the in-memory state."""
        saved = (self.tick, self.knowledge, self.forgotten, self.token)
        # inside a scratch session (see scratch()), a savepoint of its transaction
        begin, commit, rollback = (
            ("SAVEPOINT tx", "RELEASE tx", ("ROLLBACK TO tx", "RELEASE tx"))
            if self._scratch
            else ("BEGIN IMMEDIATE", "COMMIT", ("ROLLBACK",))
        )
        self._db.execute(begin)
        self._in_tx = True
        try:
            yield
            self._db.execute(
                "UPDATE replica SET tick=?, knowledge=?, forgotten=?, token=?",
                (self.tick, self.knowledge.serialize(), self.forgotten.serialize(), self.token),
            )
            self._db.execute(commit)
            self.commits += 1
        except BaseException:
            for statement in rollback:
                self._db.execute(statement)
            self.tick, self.knowledge, self.forgotten, self.token = saved
            raise
        finally:
            self._in_tx = False

    @contextmanager
    def scratch(self) -> Iterator[None]:
        """Everything done inside is forgotten at the end: one transaction, rolled back,
        that the transactions inside become savepoints of (a dry run works on this). It
        holds the database's write lock throughout; a crash inside leaves nothing either."""
        if self._scratch:
            raise RuntimeError("a scratch session is open already")
        saved = (
            self.replica_id,
            self.tick,
            self._knowledge,
            self._knows_tick,
            self.forgotten,
            self.token,
            self.commits,
        )
        self._db.execute("BEGIN IMMEDIATE")
        self._scratch = True
        try:
            yield
        finally:
            self._scratch = False
            self._db.execute("ROLLBACK")
            (
                self.replica_id,
                self.tick,
                self._knowledge,
                self._knows_tick,
                self.forgotten,
                self.token,
                self.commits,
            ) = saved

    def next_version(self) -> Version:
        """A fresh local version; the knowledge learns it at once (own changes are known)."""
        self.tick += 1
        self._knows_tick = False
        return Version(self.replica_id, self.tick)

    @property
    def knowledge(self) -> Knowledge:
        """The replica's knowledge, always including every local version handed out."""
        if not self._knows_tick:
            self._knowledge = self._knowledge.with_local_tick(self.replica_id, self.tick)
            self._knows_tick = True
        return self._knowledge

    @knowledge.setter
    def knowledge(self, value: Knowledge) -> None:
        self._knowledge = value
        self._knows_tick = value.scope.get(self.replica_id) >= self.tick and value.is_scope_only

    # -- notes: small facts other parts keep with the replica (e.g. a device's saved state)

    def note(self, name: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM note WHERE name=?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_note(self, name: str, value: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO note VALUES (?, ?)", (name, value))

    # -- the whole state, for replicas whose metadata lives in their store ----------------

    def all_rows(self) -> list[ItemRow]:
        cur = self._db.execute(f"SELECT {_ITEM_COLS}, stamp, hash, own_uid FROM item ORDER BY gid")
        return [_item_row(r) for r in cur]

    def replace_all(
        self,
        replica_id: bytes,
        tick: int,
        knowledge: Knowledge,
        forgotten: Knowledge,
        rows: Iterable[ItemRow],
    ) -> None:
        """Become another copy of a replica: its id, tick, knowledge and items (conflicts
        deferred here concern the old state and are dropped). Call inside a transaction."""
        self._db.execute("DELETE FROM item")
        self._db.execute("DELETE FROM conflict")
        self._db.execute("UPDATE replica SET id=?", (replica_id,))
        self.replica_id = replica_id
        self.tick = tick
        self.knowledge = knowledge
        self.forgotten = forgotten
        self.token = None
        self.save_many(rows)

    # -- items ----------------------------------------------------------------------------

    def live_stamps(self, keys: Iterable[str] | None = None) -> dict[str, Brief]:
        """``key -> (key, gid, stamp, hash)`` of every live item (or of those of ``keys``):
        what change detection needs of an item, without building its full metadata."""
        sql = "SELECT key, gid, stamp, hash FROM item WHERE deleted=0 AND key IS NOT NULL"
        if keys is None:
            return {r[0]: r for r in self._db.execute(sql)}
        return {r[0]: r for r in self._select_in(f"{sql} AND key IN", keys)}

    def live_key(self, gid: bytes) -> str | None:
        """The key of the live item ``gid``, or None."""
        found = self._db.execute(
            "SELECT key FROM item WHERE gid=? AND deleted=0 AND key IS NOT NULL", (gid,)
        ).fetchone()
        return None if found is None else str(found[0])

    def live_stamp_map(self, listed: bytes | None = None) -> Mapping[str, str | None] | None:
        """``key -> stamp`` of every live item: the whole of what a no-op sync compares.

        It is read from the snapshot :meth:`keep_stamp_map` left when there is one (a
        quarter of the cost of reading the rows); any change to the items' keys, stamps or
        deletions drops that snapshot in the same transaction (triggers in the schema), so
        a snapshot there is always the rows' own map (:meth:`save_many` drops it itself).

        None when ``listed``, a folder's listing in its :func:`encode_stamps` form, is that
        snapshot byte for byte: nothing changed, found without decoding either (a folder
        lists an unchanged directory in the same order, and the snapshot is kept in it)."""
        # another connection's commit after this read changes data_version: see keep_stamp_map
        self._stamps_read_at = self._db.execute("PRAGMA data_version").fetchone()[0]
        row = self._db.execute("SELECT map FROM stamp_snapshot").fetchone()
        if row is not None:
            blob = bytes(row[0])
            if listed is not None and listed == blob:
                self._snapshot = blob
                return None
            found = decode_stamps(blob)
            if found is not None:
                self._snapshot = blob
                return found
        self._snapshot = None
        cur = self._db.execute("SELECT key, stamp FROM item WHERE deleted=0 AND key IS NOT NULL")
        return dict(cur)

    def keep_stamp_map(self, stamps: Mapping[str, str | None] | bytes) -> None:
        """Keep ``stamps`` (what :meth:`live_stamp_map` just returned, found unchanged,
        perhaps in another order; or a listing's :func:`encode_stamps` form of it) as the
        snapshot the next no-op reads; nothing when it is kept already in this order, in a
        dry run, or when the map cannot be written that way (a key or stamp with NUL, a
        missing stamp)."""
        if self._scratch or self._in_tx:
            return
        blob = stamps if isinstance(stamps, bytes) else encode_stamps(stamps)
        if blob is None or blob == self._snapshot:
            return
        db = self._db
        patience = db.execute("PRAGMA busy_timeout").fetchone()[0]
        db.execute("PRAGMA busy_timeout=0")  # a snapshot is worth no wait: next time, then
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:  # another process is writing
            log.debug("stamp snapshot not kept: %s", err)
            return
        finally:
            db.execute(f"PRAGMA busy_timeout={int(patience)}")
        try:
            # kept only if no other process (the app, the CLI) changed the items since
            kept = db.execute("PRAGMA data_version").fetchone()[0] == self._stamps_read_at
            if kept:
                db.execute("INSERT OR REPLACE INTO stamp_snapshot VALUES (1, ?)", (blob,))
            db.execute("COMMIT")
        except sqlite3.Error as err:  # e.g. the disk is full: the snapshot is not needed
            if db.in_transaction:
                db.execute("ROLLBACK")
            log.debug("stamp snapshot not kept: %s", err)
            return
        if kept:
            self._snapshot = blob

    def live_keys(self) -> dict[bytes, str]:
        """``gid -> key`` of every live item."""
        cur = self._db.execute("SELECT gid, key FROM item WHERE deleted=0 AND key IS NOT NULL")
        return {bytes(r[0]): str(r[1]) for r in cur}

    def rows(self, gids: Iterable[bytes]) -> dict[bytes, ItemRow]:
        sql = f"SELECT {_ITEM_COLS}, stamp, hash, own_uid FROM item WHERE gid IN"
        return {bytes(r[0]): _item_row(r) for r in self._select_in(sql, gids)}

    def _select_in(self, sql: str, values: Iterable[object]) -> Iterator[Any]:
        """The rows of ``sql`` (ending in ``IN``) for each of ``values``, asked in chunks."""
        wanted = list(values)
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            yield from self._db.execute(f"{sql} ({','.join('?' * len(chunk))})", chunk)

    def row(self, gid: bytes) -> ItemRow | None:
        return self.rows([gid]).get(gid)

    def iter_items(self) -> Iterator[ItemMeta]:
        """Every item (live and tombstones) in ascending global id order."""
        yield from (
            _meta(r) for r in self._db.execute(f"SELECT {_ITEM_COLS} FROM item ORDER BY gid")
        )

    def iter_items_above(self, floor: dict[bytes, int]) -> Iterator[ItemMeta]:
        """Items whose change version is above ``floor`` for its replica, by global id.

        ``floor`` is a clock vector every region of some knowledge dominates, so the items
        skipped here are certainly known to it. When few items are above it (an incremental
        sync), the index on the change version finds them without reading the others: with
        50,000 items, 0.6 ms for 100 changed ones instead of a 9 ms scan in each pass. Many
        (a first sync) are read in one scan, which beats a lookup per item from about a
        thousand."""
        if floor:
            ranges = [(rep, floor.get(rep, 0)) for rep in self._change_replicas()]
            if self._count_above(ranges, _FEW_CHANGES + 1) <= _FEW_CHANGES:
                sql = f"SELECT {_ITEM_COLS} FROM item WHERE chg_rep=? AND chg_tick>?"
                rows = [row for above in ranges for row in self._db.execute(sql, above)]
                rows.sort(key=lambda row: bytes(row[0]))
                yield from (_meta(r) for r in rows)
                return
        cases = " ".join("WHEN ? THEN ?" for _ in floor)
        where = f"chg_tick > CASE chg_rep {cases} ELSE 0 END" if floor else "1"
        args = [x for pair in floor.items() for x in pair]
        sql = f"SELECT {_ITEM_COLS} FROM item WHERE {where} ORDER BY gid"
        yield from (_meta(r) for r in self._db.execute(sql, args))

    def _change_replicas(self) -> list[bytes]:
        """The replicas that made the items' current versions, one index seek each."""
        found: list[bytes] = []
        seek = "SELECT min(chg_rep) FROM item WHERE chg_rep > ?"
        while (
            rep := self._db.execute(seek, (found[-1] if found else b"",)).fetchone()[0]
        ) is not None:
            found.append(bytes(rep))
        return found

    def _count_above(self, ranges: list[tuple[bytes, int]], limit: int) -> int:
        """How many items are above ``ranges`` (replica, tick), counted up to ``limit``."""
        sql = "SELECT count(*) FROM (SELECT 1 FROM item WHERE chg_rep=? AND chg_tick>? LIMIT ?)"
        total = 0
        for rep, tick in ranges:
            total += int(self._db.execute(sql, (rep, tick, limit - total)).fetchone()[0])
            if total >= limit:
                break
        return total

    def count_rows(self) -> int:
        """Items and tombstones."""
        return int(self._db.execute("SELECT count(*) FROM item").fetchone()[0])

    def count_live(self, at_most: int | None = None) -> int:
        """The live items, counted no further than ``at_most`` (a full count reads every
        row: 2 ms for 10,000 items)."""
        sql = "SELECT count(*) FROM (SELECT 1 FROM item WHERE deleted=0 LIMIT ?)"
        return int(self._db.execute(sql, (-1 if at_most is None else at_most,)).fetchone()[0])

    def save(self, row: ItemRow) -> None:
        self.save_many([row])

    def save_many(self, rows: Iterable[ItemRow]) -> None:
        # the stamp snapshot goes first, once: a trigger per inserted row costs a first sync
        # of 10,000 items 17 ms (updates and deletes of rows drop it by trigger)
        self._db.execute("DELETE FROM stamp_snapshot")
        self._db.executemany(
            "INSERT OR REPLACE INTO item VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    r.meta.gid,
                    r.key,
                    r.meta.uid,
                    r.meta.label,
                    r.meta.created.replica,
                    r.meta.created.tick,
                    r.meta.version.replica,
                    r.meta.version.tick,
                    int(r.meta.deleted),
                    r.meta.changed_at,
                    r.stamp,
                    r.hash,
                    r.own_uid,
                )
                for r in rows
            ],
        )

    def set_stamp(self, gid: bytes, stamp: str) -> None:
        self._db.execute("UPDATE item SET stamp=? WHERE gid=?", (stamp, gid))

    def drop(self, gid: bytes) -> None:
        self._db.execute("DELETE FROM item WHERE gid=?", (gid,))

    def tombstones_before(self, when: float) -> list[ItemMeta]:
        cur = self._db.execute(
            f"SELECT {_ITEM_COLS} FROM item WHERE deleted=1 AND changed_at < ?"
            " AND gid NOT IN (SELECT gid FROM conflict)",  # a pending conflict needs its row
            (when,),
        )
        return [_meta(r) for r in cur]

    # -- conflicts ------------------------------------------------------------------------

    def save_conflict(self, c: StoredConflict) -> None:
        """Store a conflict; one detected again keeps the id the user may have seen."""
        old = self._db.execute(
            "SELECT id FROM conflict WHERE gid=? AND partnership=?", (c.gid, c.partnership)
        ).fetchone()
        if old is not None:
            c = dataclasses.replace(c, id=str(old[0]))
        s = c.source
        self._db.execute(
            "DELETE FROM conflict WHERE gid=? AND partnership=?", (c.gid, c.partnership)
        )
        self._db.execute(
            "INSERT INTO conflict VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                c.id,
                c.gid,
                c.partnership,
                c.kind,
                c.source_side,
                c.source_name,
                s.uid,
                s.label,
                s.created.replica,
                s.created.tick,
                s.version.replica,
                s.version.tick,
                int(s.deleted),
                s.changed_at,
                c.data,
                c.knowledge.serialize(),
                c.detected_at,
            ),
        )

    def drop_conflicts(self, gid: bytes, partnership: str | None = None) -> None:
        if partnership is None:
            self._db.execute("DELETE FROM conflict WHERE gid=?", (gid,))
        else:
            self._db.execute(
                "DELETE FROM conflict WHERE gid=? AND partnership=?", (gid, partnership)
            )

    def drop_conflict(self, conflict_id: str) -> None:
        self._db.execute("DELETE FROM conflict WHERE id=?", (conflict_id,))

    def conflicts(self, partnership: str | None = None) -> list[StoredConflict]:
        sql = (
            "SELECT id, gid, partnership, kind, source_side, source_name, uid, label, cre_rep,"
            " cre_tick, chg_rep, chg_tick, deleted, changed_at, data, knowledge, detected_at"
            " FROM conflict"
        )
        args: tuple[str, ...] = ()
        if partnership is not None:
            sql += " WHERE partnership=?"
            args = (partnership,)
        out = []
        for r in self._db.execute(sql + " ORDER BY detected_at, id", args):
            source = _meta((r[1], None, *r[6:14]))
            out.append(
                StoredConflict(
                    id=str(r[0]),
                    gid=bytes(r[1]),
                    partnership=str(r[2]),
                    kind=ConflictKind(str(r[3])),
                    source_side=Side(str(r[4])),
                    source_name=str(r[5]),
                    source=source,
                    data=None if r[14] is None else bytes(r[14]),
                    knowledge=Knowledge.deserialize(bytes(r[15])),
                    detected_at=float(r[16]),
                )
            )
        return out

    def conflict_gids(self, partnership: str) -> set[bytes]:
        cur = self._db.execute("SELECT gid FROM conflict WHERE partnership=?", (partnership,))
        return {bytes(r[0]) for r in cur}
