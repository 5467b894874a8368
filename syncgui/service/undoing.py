"""Undoing a whole session: every change it carried is taken back, in both stores.

A session carries changes from one store to the other. Its undo puts back, in each store
it wrote, the version it overwrote or deleted there (from the history) and removes what it
created there, as new local changes of that store; the sync that follows carries them to
the other side (and from there to other partnerships' stores), so every store ends where
the partnership was before the session and knowledge stays honest. A contact the session
copied from A to B is therefore removed from both; an edit it copied is undone in both.

What the session wrote is known exactly: the history keeps, under the session's token,
the versions it replaced and each write with the version the item held afterwards
(:meth:`~syncgui.service.history.HistoryLog.writes`). A contact whose version in either
store is no longer that one changed since the session (an edit, a later sync): it is
listed and left alone unless the user includes it. An included one is put back in both
stores, so the undo wins over the later edit (which the history keeps). A contact the
session wrote in both stores (a conflict it merged, two cards it combined) gets each
store's own earlier version back; they differ, so the sync that follows asks the user
(:attr:`UndoPlan.asks`) rather than settle it again by the partnership's policy. A step
whose earlier version is no longer kept (the history's limits) cannot be done and says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import StrEnum

from syncgui.engine.errors import ItemProblem, SyncError
from syncgui.engine.events import Approval, PassCounts, SessionResult, Side
from syncgui.engine.ids import Version
from syncgui.engine.items import Action, ItemMeta, Put, Remove
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.replica import WriteKind, WriteRecord
from syncgui.engine.simple import SimpleReplica
from syncgui.service.accounts import Accounts
from syncgui.service.config import Partnership
from syncgui.service.editing import open_metadata, partnership_locked
from syncgui.service.errors import ConfigError
from syncgui.service.history import HistoryEntry, HistoryLog
from syncgui.service.paths import Paths
from syncgui.service.records import SessionRecord
from syncgui.service.restoring import keys_in
from syncgui.service.stores import NamingStore, name_stem, open_store

__all__ = [
    "UndoAction",
    "UndoOutcome",
    "UndoPlan",
    "UndoStep",
    "UndoWritten",
    "apply_undo",
    "plan_undo",
    "undo_session",
]

log = logging.getLogger(__name__)


class UndoAction(StrEnum):
    """What the undo does to a contact in one store."""

    PUT_BACK = "put back"  # the version the session overwrote or deleted there
    REMOVE = "remove"  # the session created it there


@dataclass(frozen=True, slots=True)
class UndoStep:
    """One contact in one store: what the session did there (``did``) and what the undo
    does. ``changed_since``: the contact changed in either store after the session (left
    alone unless included); ``blocked``: why this step cannot be done ("" when it can);
    ``entry``: the history entry put back."""

    store: str
    store_name: str
    gid: bytes
    label: str
    did: WriteKind
    action: UndoAction
    changed_since: bool = False
    blocked: str = ""
    entry: HistoryEntry | None = None


@dataclass(frozen=True, slots=True)
class UndoPlan:
    """What undoing ``session`` does, step by step, in the order the session wrote."""

    session: SessionRecord
    steps: tuple[UndoStep, ...]

    def chosen(self, include: Collection[bytes] | bool = False) -> list[UndoStep]:
        """The steps that are done: those possible, and of the contacts changed since only
        those in ``include`` (True: all of them)."""
        return [
            s
            for s in self.steps
            if not s.blocked
            and (not s.changed_since or include is True or (include and s.gid in include))
        ]

    @property
    def changed_since(self) -> list[UndoStep]:
        return [s for s in self.steps if s.changed_since and not s.blocked]

    @property
    def blocked(self) -> list[UndoStep]:
        return [s for s in self.steps if s.blocked]

    def asks(self, include: Collection[bytes] | bool = False) -> bool:
        """Whether a contact gets different versions back in the two stores (the session
        wrote both): the sync after the undo then leaves them for the user."""
        stores: dict[bytes, set[str]] = {}
        for s in self.chosen(include):
            stores.setdefault(s.gid, set()).add(s.store)
        return any(len(v) > 1 for v in stores.values())


@dataclass(slots=True)
class UndoWritten:
    """What the undo itself wrote, per store identity (per side, as :func:`undo_session`
    gives it: "a" and "b"), and what could not be written."""

    counts: dict[str, PassCounts] = field(default_factory=dict)
    problems: list[ItemProblem] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # the stores' names, the same way

    def approval(self) -> Approval | None:
        """What the user approved by undoing: when the undo removed contacts on one side
        (those the session created there), the other side may lose as many in the sync
        that carries the removals on, without the mass-deletion guard asking again (it
        still asks when more would go, or when both sides lost some)."""
        removed = {k: c.deleted for k, c in self.counts.items() if c.deleted}
        if len(removed) != 1:
            return None
        ((side, count),) = removed.items()
        other = next((n for k, n in self.names.items() if k != side), None)
        return None if other is None else Approval(other, count)


@dataclass(frozen=True, slots=True)
class UndoOutcome:
    """An undo (or its dry run): the ``plan``, the contacts changed since that were
    ``include``d, what the undo wrote in each store, and the sync that carried it on
    (None: a dry run, or nothing was written)."""

    plan: UndoPlan
    include: Collection[bytes] | bool
    written: UndoWritten
    sync: SessionResult | None = None
    dry_run: bool = False

    @property
    def done(self) -> list[UndoStep]:
        return self.plan.chosen(self.include)


def undo_session(
    paths: Paths,
    p: Partnership,
    accounts: Accounts,
    session: SessionRecord,
    *,
    include: Collection[bytes] | bool,
    dry_run: bool,
    token: str,
) -> tuple[UndoPlan, UndoWritten]:
    """Plan the undo of ``session`` of partnership ``p`` and, unless ``dry_run``, do it:
    both stores locked, their changes detected (in a dry run on scratch copies: nothing is
    kept), the steps applied as local changes recorded under ``token``. Raises ConfigError
    for a session that cannot be undone at all, SyncError when a store cannot be opened."""
    if session.token is None:
        raise ConfigError(
            f"session {session.id} was recorded before sessions could be undone;"
            " its contacts can still be restored one by one from the history"
        )
    if not paths.history_db.exists():
        raise ConfigError(f"session {session.id} left nothing in the history to undo")
    with partnership_locked(paths, p), ExitStack() as stack:
        history = HistoryLog(paths.history_db, session=token)
        stack.callback(history.close)
        writes = history.writes(session.token)
        replaced = history.replaced_by(session.token)
        names = {e.record.uid: stem for e in replaced if (stem := name_stem(e.key))}
        replicas: dict[str, SimpleReplica] = {}
        for spec in (p.spec_a, p.spec_b):
            store = NamingStore(open_store(spec, accounts), names)
            replica = SimpleReplica(store, open_metadata(paths, spec))
            stack.callback(replica.close)
            replicas[replica.identity] = replica
        history.set_key_lookup(keys_in(*replicas.values()))
        if dry_run:
            for replica in replicas.values():
                stack.enter_context(replica.scratch())
        problems = [problem for r in replicas.values() for problem in r.detect().problems]
        plan = plan_undo(session, writes, replaced, replicas)
        if dry_run:
            return plan, UndoWritten(problems=problems)
        written = apply_undo(plan, include, replicas, partnership=p.name, history=history)
        written.problems[:0] = problems
        sides = dict(zip(replicas, (Side.A, Side.B), strict=True))
        written.counts = {sides[i].value: c for i, c in written.counts.items()}
        written.names = {sides[i].value: r.name for i, r in replicas.items()}
        return plan, written


def plan_undo(
    session: SessionRecord,
    writes: Sequence[WriteRecord],
    replaced: Sequence[HistoryEntry],
    replicas: Mapping[str, SimpleReplica],
) -> UndoPlan:
    """The steps undoing ``session`` takes: ``writes`` and ``replaced`` are what it wrote
    and replaced (from the history), ``replicas`` the partnership's two stores by
    identity, their changes detected just before."""
    before: dict[tuple[str, bytes], HistoryEntry] = {}
    for kept in replaced:  # the first version a session replaced is the one before it
        before.setdefault((kept.record.store, kept.record.gid), kept)
    after: dict[bytes, dict[str, WriteRecord]] = {}
    first: dict[tuple[str, bytes], WriteKind] = {}
    for w in writes:
        after.setdefault(w.gid, {})[w.store] = w
        first.setdefault((w.store, w.gid), w.kind)
    changed = {gid: _changed_since(by_store, replicas) for gid, by_store in after.items()}
    steps = []
    for w in writes:
        if after[w.gid][w.store] is not w:
            continue  # written twice in one store: the last write is what is checked
        entry = before.get((w.store, w.gid))
        did = first[(w.store, w.gid)]
        action = UndoAction.REMOVE if did is WriteKind.CREATED else UndoAction.PUT_BACK
        blocked = ""
        if w.store not in replicas:
            blocked = f"{w.store_name} is no longer in the partnership"
        elif action is UndoAction.PUT_BACK and entry is None:
            blocked = "the version it replaced is no longer kept in the history"
        elif replicas[w.store].capabilities.read_only:
            blocked = f"{w.store_name} cannot be written"
        steps.append(
            UndoStep(
                w.store,
                w.store_name,
                w.gid,
                entry.record.label if entry is not None else w.label,
                did,
                action,
                changed[w.gid],
                blocked,
                entry,
            )
        )
    return UndoPlan(session, tuple(steps))


def _changed_since(
    written: Mapping[str, WriteRecord], replicas: Mapping[str, SimpleReplica]
) -> bool:
    """Whether a contact the session wrote (``written``: its write per store) holds another
    version now in either store: in a store it wrote, the version written there; in the
    other, the same change (a session copies a version as it is), when it holds the item."""
    versions = {w.version for w in written.values()}
    gid = next(iter(written.values())).gid
    for identity, replica in replicas.items():
        w = written.get(identity)
        if w is None and len(versions) != 1:
            continue  # the session wrote both sides differently elsewhere: nothing to compare
        same = w if w is not None else next(iter(written.values()))
        gone = same.kind is WriteKind.DELETED
        row = replica.meta.row(gid)
        if row is None:
            if not gone:
                return True  # the contact is not there any more
            continue
        if row.meta.version != same.version or row.meta.deleted != gone:
            return True
    return False


def apply_undo(
    plan: UndoPlan,
    include: Collection[bytes] | bool,
    replicas: Mapping[str, SimpleReplica],
    *,
    partnership: str,
    history: HistoryLog,
) -> UndoWritten:
    """Do the chosen steps of ``plan`` as new local changes of each store (the sync that
    follows carries them on). A contact changed since and included is written in both
    stores (see the module doc). The versions the undo replaces are kept in ``history``,
    and its writes recorded there, so that the undo itself can be undone."""
    chosen = plan.chosen(include)
    actions: dict[str, list[Action]] = {identity: [] for identity in replicas}
    now = time.time()
    steps_of: dict[bytes, int] = {}
    for step in chosen:
        steps_of[step.gid] = steps_of.get(step.gid, 0) + 1
    for step in chosen:
        targets = [step.store]
        if step.changed_since and steps_of[step.gid] == 1:  # the undo wins in both stores
            targets += [i for i in replicas if i != step.store]
        for identity in targets:
            action = _action(step, replicas[identity], now)
            if action is not None:
                actions[identity].append(action)
    done = UndoWritten()
    for identity, batch in actions.items():
        if not batch:
            continue
        replica = replicas[identity]
        try:
            out = replica.apply(batch, Knowledge.empty(), partnership=partnership, history=history)
        except SyncError as err:
            done.problems.append(ItemProblem(err.item or replica.name, err.message))
            continue
        done.counts[identity] = PassCounts(out.created, out.updated, out.deleted)
        done.problems.extend(out.problems)
    log.info(
        "%s: undo of session %d: %d step(s) done, %d changed since left alone, %d not possible",
        partnership,
        plan.session.id,
        len(chosen),
        len(plan.changed_since) - sum(s.changed_since for s in chosen),
        len(plan.blocked),
    )
    return done


def _action(step: UndoStep, replica: SimpleReplica, now: float) -> Action | None:
    """The step as an action in ``replica`` with a fresh local version (None: nothing to
    do there: the contact is not there to remove)."""
    row = replica.meta.row(step.gid)
    if step.action is UndoAction.REMOVE:
        if row is None or row.meta.deleted:
            return None
        return Remove(row.meta, None)
    assert step.entry is not None  # a put-back step without its version is blocked
    r = step.entry.record
    dummy = Version(replica.replica_id, 0)  # replaced by a fresh version when applied
    return Put(ItemMeta(r.gid, r.uid, r.label, dummy, dummy, False, now), r.data, None)
