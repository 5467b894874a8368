"""The session log: one record per finished session, for the desktop app's activity view.

Dry runs are not recorded (nothing happened), nor is a session started by a local change
that found nothing to do (:func:`nothing_done`): the watcher sees the app's own writes to a
folder or file, and the one follow-up sync it starts (which must run: the change may be the
user's edit made during the sync) is then no news, so the Activity list shows each sync once.
The newest :data:`KEEP` records are kept."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from syncgui.engine.events import ConflictFound, PassCounts, SessionResult, Status
from syncgui.engine.sqlite import connect
from syncgui.service.records import Counts, ItemNote, MatchedItem, SessionRecord, Trigger

log = logging.getLogger(__name__)

KEEP = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS session(
    id INTEGER PRIMARY KEY AUTOINCREMENT, partnership TEXT NOT NULL, started REAL NOT NULL,
    finished REAL NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS session_partnership ON session(partnership, id);
"""
_COLUMNS = "id, partnership, started, finished, trigger, status, detail, token"


def settled_notes(found: Iterable[ConflictFound]) -> tuple[ItemNote, ...]:
    """The conflicts a session settled by itself: the item and how, as the engine says it
    (``ConflictFound.resolution``: "merged", "converged", "kept-update", "a", "b" or
    "both"), once per item (its last event counts). Deferred conflicts wait for the user
    and are counted in the session's ``conflicts`` instead."""
    last: dict[bytes, ConflictFound] = {}
    for event in found:
        last.pop(event.gid, None)  # keep the order of the last event per item
        last[event.gid] = event
    return tuple(
        ItemNote(e.item, e.resolution) for e in last.values() if e.resolution != "deferred"
    )


class SessionLog:
    """The session records in SQLite (``sessions.sqlite`` in the data folder)."""

    def __init__(self, path: Path | str, keep: int = KEEP) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(session)")}
        if "token" not in columns:  # a log from before undo: its sessions cannot be undone
            with contextlib.suppress(sqlite3.OperationalError):  # another process just did
                self._db.execute("ALTER TABLE session ADD COLUMN token TEXT")
        self.keep = keep

    def close(self) -> None:
        self._db.close()

    def add(
        self,
        result: SessionResult,
        *,
        started: float,
        finished: float,
        trigger: Trigger,
        settled: Sequence[ItemNote] = (),
        token: str | None = None,
        undid: int | None = None,
    ) -> SessionRecord:
        """Record one finished session; the oldest records beyond ``keep`` go. ``token``
        names the session's writes in the history (see :class:`SessionRecord`); ``undid``
        is the session an undo undid."""
        detail = {
            "to_a": _counts_json(result.to_a),
            "to_b": _counts_json(result.to_b),
            "conflicts": result.conflicts,
            "merged": result.merged,
            "errors": [[e.item, e.message] for e in result.errors],
            "settled": [[n.item, n.message] for n in settled],
            "blocked_store": result.blocked_store,
            "blocked_items": list(result.blocked_items),
            "matched": [[m.a.label, m.a.key, m.b.key] for m in result.matched],
            "possible_duplicates": [d.label for d in result.possible_duplicates],
            "undid": undid,
        }
        self._db.execute("BEGIN")
        try:
            cur = self._db.execute(
                "INSERT INTO session(partnership, started, finished, trigger, status, detail,"
                " token) VALUES (?,?,?,?,?,?,?)",
                (
                    result.partnership,
                    started,
                    finished,
                    trigger,
                    result.status.value,
                    json.dumps(detail),
                    token,
                ),
            )
            new_id = cur.lastrowid
            self._db.execute(
                "DELETE FROM session WHERE id <= (SELECT id FROM session ORDER BY id DESC"
                " LIMIT 1 OFFSET ?)",
                (self.keep,),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        row = self._db.execute(f"SELECT {_COLUMNS} FROM session WHERE id=?", (new_id,)).fetchone()
        return _record(row)

    def records(self, partnership: str | None = None, limit: int = 200) -> list[SessionRecord]:
        """Newest first."""
        sql = f"SELECT {_COLUMNS} FROM session"
        args: tuple[Any, ...] = ()
        if partnership is not None:
            sql += " WHERE partnership=?"
            args = (partnership,)
        rows = self._db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, max(0, limit)))
        return [_record(r) for r in rows]

    def get(self, session_id: int) -> SessionRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM session WHERE id=?", (session_id,))
        found = row.fetchone()
        return None if found is None else _record(found)


def nothing_done(result: SessionResult, found: Sequence[ConflictFound] = ()) -> bool:
    """Whether ``result`` is a session in which nothing happened: no item passed either way,
    no conflict was met or settled (deferred ones from earlier may still wait), nothing was
    matched, nothing failed, blocked or was cancelled."""
    counts = (result.to_a, result.to_b)
    return (
        result.status in (Status.OK, Status.CONFLICTS)
        and not result.dry_run
        and not any(c.created or c.updated or c.deleted for c in counts)
        and not result.merged
        and not result.errors
        and not result.matched
        and not result.possible_duplicates
        and not result.recovered
        and not found
    )


def record_session(
    path: Path,
    result: SessionResult,
    *,
    started: float,
    finished: float,
    trigger: Trigger,
    found: Iterable[ConflictFound] = (),
    token: str | None = None,
    undid: int | None = None,
) -> SessionRecord | None:
    """Add a record for ``result`` to the log at ``path``, unless it is a "change" session
    that did nothing (see the module doc; None then). A log that cannot be written is logged
    and skipped: the sync itself went through."""
    found = list(found)
    if trigger == "change" and nothing_done(result, found):
        log.info("%s: nothing to do after a local change; not recorded", result.partnership)
        return None
    try:
        session_log = SessionLog(path)
    except sqlite3.Error as err:
        log.warning("%s: the session could not be recorded: %s", result.partnership, err)
        return None
    try:
        return session_log.add(
            result,
            started=started,
            finished=finished,
            trigger=trigger,
            settled=settled_notes(found),
            token=token,
            undid=undid,
        )
    except sqlite3.Error as err:
        log.warning("%s: the session could not be recorded: %s", result.partnership, err)
        return None
    finally:
        session_log.close()


def matched_text(result: SessionResult) -> str:
    """For the session's log line: how many contacts were (in a dry run: would be) matched
    as the same person and combined, and how many possible duplicates were left; "" when
    none."""
    parts = []
    if result.matched:
        n = len(result.matched)
        verb = "would be combined" if result.dry_run else "combined"
        parts.append(f"{n} contact{'s' if n != 1 else ''} matched as the same person ({verb})")
    if result.possible_duplicates:
        n = len(result.possible_duplicates)
        parts.append(f"{n} possible duplicate{'s' if n != 1 else ''} left apart")
    return "".join(f"; {p}" for p in parts)


def _counts_json(c: PassCounts) -> list[int]:
    return [c.created, c.updated, c.deleted]


def _counts(raw: object) -> Counts:
    values = [int(v) for v in cast(list[int], raw)]
    return Counts(*values[:3])


def _notes(raw: object) -> tuple[ItemNote, ...]:
    return tuple(ItemNote(str(item), str(message)) for item, message in cast(list[Any], raw))


def _record(r: Sequence[Any]) -> SessionRecord:
    detail = json.loads(str(r[6]))
    blocked = detail.get("blocked_store")
    matched = _matched(detail.get("matched", []))  # none in records from before matching
    return SessionRecord(
        id=int(r[0]),
        partnership=str(r[1]),
        started=float(r[2]),
        finished=float(r[3]),
        trigger=cast(Trigger, str(r[4])),
        status=str(r[5]),
        to_a=_counts(detail.get("to_a", [0, 0, 0])),
        to_b=_counts(detail.get("to_b", [0, 0, 0])),
        conflicts=int(detail.get("conflicts", 0)),
        merged=int(detail.get("merged", 0)),
        errors=_notes(detail.get("errors", [])),
        settled=_notes(detail.get("settled", [])),
        blocked_store=None if blocked is None else str(blocked),
        blocked_items=tuple(str(i) for i in detail.get("blocked_items", [])),
        matched=len(matched),
        matched_items=matched,
        possible_duplicates=tuple(str(n) for n in detail.get("possible_duplicates", [])),
        token=None if r[7] is None else str(r[7]),
        undid=None if detail.get("undid") is None else int(detail["undid"]),
    )


def _matched(raw: object) -> tuple[MatchedItem, ...]:
    return tuple(MatchedItem(str(n), str(a), str(b)) for n, a, b in cast(list[Any], raw))
