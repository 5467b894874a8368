"""Helpers for the engine's behaviour tests: cards in the line format, a history sink, and
a small network of replicas with one merge base per partnership."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from syncgui.engine.events import (
    CancelToken,
    Event,
    EventSink,
    SessionResult,
    SessionSettings,
)
from syncgui.engine.ids import gid_for_uid
from syncgui.engine.memory import MemoryReplica
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.replica import HistoryRecord, Replica, WriteRecord
from syncgui.engine.session import SyncSession
from tests.engine.lineformat import LineFormat, parse, render

FMT = LineFormat()


def card(uid: str, name: str, **fields: str) -> bytes:
    """A contact in the line format: ``card("u1", "Ada", tel="1")``."""
    return render({"UID": uid, "FN": name, **{k.upper(): val for k, val in fields.items()}})


def gid(uid: str) -> bytes:
    return gid_for_uid(uid)


def contacts(replica: MemoryReplica) -> dict[str, dict[str, str]]:
    """What a user sees in a store: each live contact's fields, by UID."""
    out = {}
    for data in replica.live().values():
        f = parse(data)
        out[f["UID"]] = f
    return out


def names(replica: MemoryReplica) -> list[str]:
    return sorted(parse(data)["FN"] for data in replica.live().values())


@dataclass
class ListHistory:
    """A HistorySink that keeps what it is given."""

    records: list[HistoryRecord] = field(default_factory=list)
    writes: list[WriteRecord] = field(default_factory=list)

    def keep(self, records: Sequence[HistoryRecord]) -> None:
        self.records.extend(records)

    def wrote(self, records: Sequence[WriteRecord]) -> None:
        self.writes.extend(records)


@dataclass
class Events:
    """An event sink that records every event."""

    seen: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.seen.append(event)


class Net:
    """Replicas and their partnerships: ``net.sync(a, b)`` runs partnership ``"a-b"``
    with its own merge base store."""

    def __init__(self) -> None:
        self.bases: dict[str, BaseStore] = {}
        self.history = ListHistory()

    def replica(self, name: str, replica_id: bytes | None = None) -> MemoryReplica:
        return MemoryReplica(name, FMT, replica_id)

    def partnership(self, a: Replica, b: Replica) -> str:
        return f"{a.name}-{b.name}"

    def base(self, a: Replica, b: Replica) -> BaseStore:
        # one base store for every partnership, as the service has
        return self.bases.setdefault("shared", BaseStore(":memory:"))

    def sync(
        self,
        a: Replica,
        b: Replica,
        *,
        emit: EventSink | None = None,
        cancel: CancelToken | None = None,
        **settings: Any,
    ) -> SessionResult:
        s = SessionSettings(self.partnership(a, b), **settings)
        session = SyncSession(a, b, s, self.base(a, b), history=self.history, cancel=cancel)
        if emit is not None:
            session.emit = emit
        return session.run()

    def close(self) -> None:
        for base in self.bases.values():
            base.close()


def quiet(result: SessionResult) -> bool:
    """True when a session transferred nothing and found nothing to report."""
    counts = (result.to_a, result.to_b)
    moved = sum(c.created + c.updated + c.deleted for c in counts)
    return moved == 0 and result.conflicts == 0 and result.merged == 0 and not result.errors
