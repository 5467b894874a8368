"""A sync session: change detection on both sides, then one or two one-way passes.

Two-way sessions run A->B then B->A. Before anything is written, both passes are planned
and checked against the mass-deletion guard. A user's approval of a blocked list
(``approved_deletes``) lets one pass delete at most that many. A store that now lists no
contacts blocks any delete it would cause, whatever the counts.

A dry run is the same session on scratch copies of both replicas and of the merge bases
(``Replica.scratch``, :mod:`syncgui.engine.scratch`): no store is written, every metadata
change (on a phone too) is undone at the end, and what it reports is what the sync would
do, exactly. Counting the plans on paper could not be exact: the second pass of a two-way
session depends on what the first one did (a conflict settled on one side goes back to the
other, what was copied is not sent back, a match combined changes both plans).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from syncgui.engine.events import (
    CancelToken,
    Direction,
    Event,
    EventSink,
    PassCounts,
    Progress,
    SessionResult,
    SessionSettings,
    Side,
    Stage,
    Status,
)
from syncgui.engine.matching import MatchLevel
from syncgui.engine.meeting import Meeting
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.replica import HistorySink, Replica
from syncgui.engine.transfer import OneWayPass, PassReport, Plan

log = logging.getLogger(__name__)


def _drop(_event: Event) -> None:
    """The default event sink: nobody listens."""


@dataclass(slots=True)
class SyncSession:
    """Runs one partnership between replicas ``a`` and ``b``."""

    a: Replica
    b: Replica
    settings: SessionSettings
    bases: BaseStore
    history: HistorySink | None = None
    emit: EventSink = _drop
    cancel: CancelToken | None = None

    def run(self) -> SessionResult:
        if not self.settings.dry_run:
            return self._run()
        # A dry run is the session itself, on scratch copies (see syncgui.engine.scratch):
        # it predicts what the sync does by doing it, and keeps none of it.
        with self.a.scratch(), self.b.scratch(), self.bases.scratch():
            return self._run()

    def _run(self) -> SessionResult:
        s = self.settings
        result = SessionResult(s.partnership, dry_run=s.dry_run)
        self.emit(Progress(s.partnership, Stage.DETECTING))
        damaged: dict[bytes, dict[bytes, str]] = {}
        self.b.detect_ahead()  # b's listing may be made meanwhile (a folder lists in a child)
        for replica in (self.a, self.b):
            found = replica.detect()
            result.errors.extend(found.problems)
            damaged[replica.replica_id] = found.damaged
        passes = self._passes(damaged)
        self.emit(Progress(s.partnership, Stage.PLANNING))
        plans = [p.plan() for p in passes]
        if self._meet(passes, plans, damaged, result):
            plans = [p.plan() for p in passes]  # the matched items are one item each now
        if not self._guard(passes, plans, result):
            self.a.add_peer(self.b.replica_id)  # before any item passes between them
            self.b.add_peer(self.a.replica_id)
            for i, one in enumerate(passes):
                plan = plans[i] if i == 0 else one.plan()
                if i and self._guard([one], [plan], result):
                    break
                report = one.apply(plan)
                self._merge_report(one, report, result)
                result.recovered |= plan.recovery
                if report.cancelled:
                    result.status = Status.CANCELLED
                    break
        self._finish(result)
        self.emit(Progress(s.partnership, Stage.FINISHED))
        return result

    def _meet(
        self,
        passes: list[OneWayPass],
        plans: list[Plan],
        damaged: dict[bytes, dict[bytes, str]],
        result: SessionResult,
    ) -> bool:
        """Match the items each side would create on the other (stores meeting: see
        :mod:`syncgui.engine.meeting`) and combine each match into one item (a dry run
        does too, on its scratch copies). True when something was combined."""
        s = self.settings
        if s.match is MatchLevel.NONE:
            return False
        by_side = {p.source_side: plan for p, plan in zip(passes, plans, strict=True)}
        for side in (Side.A, Side.B):  # a one-way session still must not duplicate
            if side not in by_side:
                source, dest = (self.a, self.b) if side is Side.A else (self.b, self.a)
                by_side[side] = self._make(source, dest, side, damaged).plan()
        meeting = Meeting(self.a, self.b, s.partnership, s.match, s.refused_matches)
        report = meeting.find(by_side[Side.A], by_side[Side.B])
        result.matched = report.matches
        result.possible_duplicates = report.possible
        if not report.matches:
            return False
        combined = meeting.combine(report.matches, self.bases)
        for one in passes:
            one.combined = combined
        return True

    def _make(
        self,
        source: Replica,
        dest: Replica,
        side: Side,
        damaged: dict[bytes, dict[bytes, str]],
    ) -> OneWayPass:
        s = self.settings
        size = dest.capabilities.batch_size
        return OneWayPass(
            source,
            dest,
            side,
            s.partnership,
            s.policy,
            self.bases,
            None if s.dry_run else self.history,  # nothing is overwritten for real
            self.emit,
            self.cancel or CancelToken(),
            s.batch_size if size is None else size,
            damaged.get(dest.replica_id, {}),
        )

    def _passes(self, damaged: dict[bytes, dict[bytes, str]]) -> list[OneWayPass]:
        s = self.settings
        if self.cancel is None:
            self.cancel = CancelToken()
        forward = self._make(self.a, self.b, Side.A, damaged)
        backward = self._make(self.b, self.a, Side.B, damaged)
        if s.direction is Direction.A_TO_B:
            return [forward]
        if s.direction is Direction.B_TO_A:
            return [backward]
        return [forward, backward]

    def _guard(self, passes: list[OneWayPass], plans: list[Plan], result: SessionResult) -> bool:
        """True (and the result marked blocked) when a pass would delete too much: a large
        share of the destination, or anything at all when its source now lists no contacts
        (an emptied file, folder or phone storage is never believed without asking)."""
        s = self.settings
        if s.allow_mass_delete:
            return False
        for one, plan in zip(passes, plans, strict=True):
            doomed = plan.deletes
            if not doomed:
                continue
            emptied = one.source.count_live(at_most=1) == 0
            if not emptied and len(doomed) < s.guard_minimum:
                continue
            if not emptied and s.guard_ratio > 0:
                # counted only as far as it decides (one more against rounding): a whole
                # count of 50,000 items is 6 ms
                enough = math.ceil(len(doomed) / s.guard_ratio) + 1
                if len(doomed) <= s.guard_ratio * one.dest.count_live(at_most=enough):
                    continue
            live = one.dest.count_live()
            if self._approves(one, len(doomed)):
                # the passes after this one are checked when their turn comes: a second
                # store losing many is then shown with its own list, and the next approval
                # is for that list (checking it now would block this pass again and again)
                log.info(
                    "%s: deleting %d of %d items in %s as approved",
                    s.partnership,
                    len(doomed),
                    live,
                    one.dest.name,
                )
                return False
            self._block(one, plan, live, emptied, result)
            return True
        return False

    def _block(
        self, one: OneWayPass, plan: Plan, live: int, emptied: bool, result: SessionResult
    ) -> None:
        doomed = plan.deletes
        result.status = Status.BLOCKED
        result.blocked_store = one.dest.name
        result.blocked_items = sorted(m.label for m in doomed)
        if emptied:
            result.emptied_store = one.source.name
            result.emptied_held = _held(plan)
            log.warning(
                "%s: %s lists no contacts (it held %d at the last sync); would delete %d of "
                "%d items in %s; stopped",
                self.settings.partnership,
                one.source.name,
                result.emptied_held,
                len(doomed),
                live,
                one.dest.name,
            )
            return
        log.warning(
            "%s: would delete %d of %d items in %s; stopped",
            self.settings.partnership,
            len(doomed),
            live,
            one.dest.name,
        )

    def _approves(self, one: OneWayPass, deletes: int) -> bool:
        """Whether the user's approval covers ``deletes`` by pass ``one``: it was given for
        one store's list, so it covers that store and at most that many deletes; another
        store losing many contacts is shown and asked about too."""
        approved = self.settings.approved_deletes
        if approved is None:
            return False
        return one.dest.name == approved.store and deletes <= approved.count

    @staticmethod
    def _merge_report(one: OneWayPass, report: PassReport, result: SessionResult) -> None:
        counts: PassCounts = result.to_b if one.source_side is Side.A else result.to_a
        counts.created += report.counts.created
        counts.updated += report.counts.updated
        counts.deleted += report.counts.deleted
        result.conflicts += report.conflicts
        result.merged += report.merged
        result.errors.extend(report.problems)

    def _finish(self, result: SessionResult) -> None:
        if result.status in (Status.BLOCKED, Status.CANCELLED):
            return
        result.conflicts = len(self.a.conflicts(self.settings.partnership)) + len(
            self.b.conflicts(self.settings.partnership)
        )
        if result.errors:
            result.status = Status.FAILED
        elif result.conflicts:
            result.status = Status.CONFLICTS


def _held(plan: Plan) -> int:
    """How many contacts an emptied source held that the destination still holds: its
    deletes the destination has not seen (to be deleted there, or in conflict with an edit
    there) and, in a recovery pass, the destination's items it no longer knows."""
    gone = {
        change.gid
        for change, local, _verdict in plan.steps
        if change.deleted and local is not None and not local.deleted
    }
    return len(gone | {m.gid for m in plan.forget})
