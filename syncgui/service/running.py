"""Running a partnership's session: its two stores opened as replicas under its lock, the
engine's session with the history and the merge bases, the history kept within its limits,
tombstones cleaned, and the session recorded in the activity log (with the token that
names its writes, for an undo). The facade's ``sync`` and ``undo`` both end here."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from syncgui.engine.errors import ItemProblem, SignInFailed, SyncError
from syncgui.engine.events import (
    Approval,
    CancelToken,
    ConflictFound,
    Event,
    EventSink,
    PassCounts,
    Policy,
    SessionResult,
    SessionSettings,
    Status,
)
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.session import SyncSession
from syncgui.engine.simple import SimpleReplica
from syncgui.service.accounts import Accounts
from syncgui.service.config import Partnership
from syncgui.service.editing import open_metadata, partnership_locked
from syncgui.service.history import HistoryLog, keep_within
from syncgui.service.paths import Paths
from syncgui.service.records import Trigger
from syncgui.service.restoring import keys_in
from syncgui.service.sessions import matched_text, record_session
from syncgui.service.settings import load_settings
from syncgui.service.stores import StoreSpec, open_store

__all__ = ["Guard", "SessionRunner", "UndoRun"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Guard:
    """What a sync request lets through the mass-deletion guard."""

    allow_mass_delete: bool = False
    approved_deletes: Approval | None = None


@dataclass(frozen=True, slots=True)
class UndoRun:
    """The sync that carries an undo on: its record takes the undo's ``token`` (the undo's
    own writes; the sync's are not recorded for undo), what the undo wrote in each side
    before it and what it could not, and names the session ``undid``; ``policy`` None is
    the partnership's."""

    token: str
    undid: int
    wrote_a: PassCounts
    wrote_b: PassCounts
    problems: tuple[ItemProblem, ...] = ()
    policy: Policy | None = None


def _add_counts(total: PassCounts, more: PassCounts) -> None:
    total.created += more.created
    total.updated += more.updated
    total.deleted += more.deleted


class SessionRunner:
    """Runs and records the sessions of the partnerships of one profile (``paths``), with
    the stores' accounts (``accounts``)."""

    def __init__(self, paths: Paths, accounts: Accounts) -> None:
        self.paths = paths
        self._accounts = accounts

    def run(
        self,
        p: Partnership,
        trigger: Trigger,
        dry_run: bool,
        guard: Guard,
        emit: EventSink | None,
        cancel: CancelToken | None,
        undo: UndoRun | None = None,
    ) -> SessionResult:
        """Run ``p`` once and record the session (not a dry run) with ``trigger``; as the
        sync after an ``undo``, with what the undo wrote (see :class:`UndoRun`)."""
        found: list[ConflictFound] = []

        def sink(event: Event) -> None:
            if isinstance(event, ConflictFound):
                found.append(event)
            if emit is not None:
                emit(event)

        started = time.time()
        # an undo's record names the undo's own writes: undoing it takes back those alone
        # (the sync after it carried them on, and whatever else it carried stays)
        token = undo.token if undo is not None else os.urandom(16).hex()
        policy = undo.policy if undo is not None else None
        run_token = None if undo is not None else token
        result = self._run_session(p, dry_run, guard, sink, cancel, run_token, policy)
        if undo is not None:  # what the undo wrote before the sync is part of its record
            _add_counts(result.to_a, undo.wrote_a)
            _add_counts(result.to_b, undo.wrote_b)
            result.errors[:0] = undo.problems
        if not dry_run:
            self.paths.ensure()
            record_session(
                self.paths.sessions_db,
                result,
                started=started,
                finished=time.time(),
                trigger=trigger,
                found=found,
                token=token,
                undid=undo.undid if undo is not None else None,
            )
        return result

    def _run_session(
        self,
        p: Partnership,
        dry_run: bool,
        guard: Guard,
        emit: EventSink,
        cancel: CancelToken | None,
        token: str | None,
        policy: Policy | None = None,
    ) -> SessionResult:
        prefs = load_settings(self.paths.settings_file)
        settings = SessionSettings(
            p.name,
            p.direction,
            p.policy if policy is None else policy,
            dry_run,
            guard.allow_mass_delete,
            prefs.guard_ratio,
            prefs.guard_minimum,
            approved_deletes=guard.approved_deletes,
            match=p.match,
            refused_matches=p.refused_matches,
        )
        started = time.monotonic()
        try:
            with (
                partnership_locked(self.paths, p),
                self.open_replicas(p) as (a, b),
                self.open_bases() as bases,
            ):
                history = HistoryLog(self.paths.history_db, key_of=keys_in(a, b), session=token)
                try:
                    session = SyncSession(a, b, settings, bases, history, cancel=cancel, emit=emit)
                    result = session.run()
                    if not dry_run:  # a dry run keeps nothing, so it drops nothing either
                        keep_within(history, prefs)
                finally:
                    history.close()
                if not dry_run:
                    horizon = time.time() - prefs.tombstone_seconds
                    a.cleanup_tombstones(horizon)
                    b.cleanup_tombstones(horizon)
        except SyncError as err:  # the store is gone, busy or misconfigured: say so, go on
            result = SessionResult(p.name, Status.FAILED, dry_run)
            result.errors.append(ItemProblem(err.item or p.name, err.message))
            if isinstance(err, SignInFailed):
                result.refused_sign_in = self._accounts.refused((p.a, p.b), err.server)
        log.info(
            "%s: %s%s in %.2f s%s",
            p.name,
            result.status.value,
            " (dry run)" if dry_run else "",
            time.monotonic() - started,
            matched_text(result),
        )
        for m in result.matched:
            log.debug(
                "%s: matched %s: A %s, B %s (%s)", p.name, m.a.label, m.a.key, m.b.key, m.rule
            )
        return result

    @contextmanager
    def open_replicas(self, p: Partnership) -> Iterator[tuple[SimpleReplica, SimpleReplica]]:
        """Both stores of ``p`` as replicas, closed (a phone let go) on leaving."""
        with ExitStack() as stack:
            a = self.replica(p.spec_a)
            stack.callback(a.close)
            b = self.replica(p.spec_b)
            stack.callback(b.close)
            yield a, b

    @contextmanager
    def open_bases(self) -> Iterator[BaseStore]:
        """The merge bases every partnership shares."""
        bases = BaseStore(self.paths.bases_db)
        try:
            yield bases
        finally:
            bases.close()

    def replica(self, spec: StoreSpec) -> SimpleReplica:
        return SimpleReplica(open_store(spec, self._accounts), open_metadata(self.paths, spec))
