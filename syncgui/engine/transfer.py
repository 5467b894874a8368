"""One one-way pass of a session: plan (pure, metadata only), then apply in batches.

Each batch is an ordered group of changes by ascending global id; the destination learns the
source's made-with knowledge projected onto the batch's id range, minus the items that
failed or were deferred, in the same transaction as the item metadata. A pass interrupted
at any point (cancel, crash) leaves knowledge that covers exactly what was written, and the
next sync sends only the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from syncgui.engine.applier import ChangeApplier, Decision, Verdict, decide
from syncgui.engine.errors import ItemProblem, StoreUnavailable, SyncError
from syncgui.engine.events import (
    CancelToken,
    EventSink,
    Outcome,
    PassCounts,
    Policy,
    Progress,
    Side,
    Stage,
)
from syncgui.engine.items import Action, Forget, ItemMeta
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.policies import ConflictContext
from syncgui.engine.replica import HistorySink, Replica

log = logging.getLogger(__name__)

_DELETING = (Decision.DELETE,)


@dataclass(slots=True)
class Plan:
    """What a pass would do, decided from metadata alone."""

    made_with: Knowledge
    steps: list[tuple[ItemMeta, ItemMeta | None, Verdict]]
    forget: list[ItemMeta] = field(default_factory=list)
    recovery: bool = False
    # items with a conflict pending in this partnership: neither sent nor learned
    held: frozenset[bytes] = frozenset()
    # a recovery pass hands on the source's forgotten knowledge: the destination may now
    # lack tombstones just as the source does
    forgotten: Knowledge | None = None
    # changes that wait because the destination's copy changed and cannot be read
    waiting: list[ItemProblem] = field(default_factory=list)

    def count(self, *decisions: Decision) -> int:
        return sum(1 for _c, _l, v in self.steps if v.decision in decisions)

    @property
    def deletes(self) -> list[ItemMeta]:
        gone = [local for _c, local, v in self.steps if v.decision in _DELETING and local]
        return [m for m in gone if not m.deleted] + self.forget


@dataclass(slots=True)
class PassReport:
    counts: PassCounts = field(default_factory=PassCounts)
    conflicts: int = 0
    merged: int = 0
    problems: list[ItemProblem] = field(default_factory=list)
    cancelled: bool = False


@dataclass(slots=True)
class OneWayPass:
    """Sends what ``source`` has and ``dest`` lacks, from ``source`` to ``dest``."""

    source: Replica
    dest: Replica
    source_side: Side
    partnership: str
    policy: Policy
    bases: BaseStore
    history: HistorySink | None
    emit: EventSink
    cancel: CancelToken
    batch_size: int = 500
    # the destination's items that changed there and cannot be read (global id -> its key
    # in the store): no change from the source overwrites or deletes them
    damaged: Mapping[bytes, str] = field(default_factory=dict)
    # items combined this session from two stores' cards (see ChangeApplier.reshape)
    combined: frozenset[bytes] = frozenset()

    @property
    def label(self) -> str:
        return "a->b" if self.source_side is Side.A else "b->a"

    def plan(self) -> Plan:
        dest_knowledge = self.dest.knowledge()
        made_with = self.source.knowledge()
        skip = self.source.conflict_gids(self.partnership)
        recovery = not dest_knowledge.contains_knowledge(self.source.forgotten())
        if recovery:
            log.info(
                "%s: %s missed deletes it can no longer be told about; comparing every item",
                self.partnership,
                self.dest.name,
            )
            changes = [m for m in self.source.all_items() if m.gid not in skip]
        else:
            changes = self.source.changes_for(dest_knowledge, skip)
        listed = changes  # all the source lists: what is held back below is not "gone"
        waiting = [c for c in changes if c.gid in self.damaged]
        if waiting:
            changes = [c for c in changes if c.gid not in self.damaged]
        refused = self._refused(changes)
        if refused:
            changes = [c for c in changes if c.gid not in {r.gid for r in refused}]
        forget: list[ItemMeta] = []
        if recovery:
            forget = self._forgotten_deletes(listed, made_with, skip | set(self.damaged))
            caps = self.dest.capabilities
            if forget and (caps.read_only or not caps.can_delete):  # it keeps them, then
                refused += forget
                forget = []
        locals_ = self.dest.lookup(m.gid for m in changes)
        steps = [
            (c, locals_.get(c.gid), decide(c, dest_knowledge, locals_.get(c.gid), made_with))
            for c in changes
        ]
        held = frozenset(skip) | {c.gid for c in waiting} | {c.gid for c in refused}
        plan = Plan(made_with, steps, recovery=recovery, held=held)
        plan.waiting = [self._waits(c) for c in waiting]
        if refused:
            plan.waiting.append(self._refusal(refused))
        if recovery:
            plan.forget = forget
            # the forgotten deletes are handed on only with everything they stand for
            # applied: a store that held something back is compared in full again
            plan.forgotten = None if refused or waiting else self.source.forgotten()
        return plan

    def _refused(self, changes: Sequence[ItemMeta]) -> list[ItemMeta]:
        """The changes the destination's declared capabilities rule out: all of them for a
        read-only store, the deletes for one that cannot delete. Neither sent nor learned,
        so they follow once the store can take them. The one place capabilities are
        enforced: no store is asked to do what it said it cannot."""
        caps = self.dest.capabilities
        if caps.read_only:
            return list(changes)
        if not caps.can_delete:
            return [c for c in changes if c.deleted]
        return []

    def _refusal(self, refused: Sequence[ItemMeta]) -> ItemProblem:
        caps = self.dest.capabilities
        n = len(refused)
        if caps.read_only:
            what = "change" if n == 1 else "changes"
            why = "it is read-only"
            if caps.read_only_reason:
                why += f" ({caps.read_only_reason})"
        else:
            what = "deletion" if n == 1 else "deletions"
            why = "it does not allow deleting"
        return ItemProblem(
            self.dest.name,
            f"{self.dest.name}: {n} {what} from {self.source.name} not applied because {why}. "
            "They follow once it can be written.",
        )

    def _waits(self, change: ItemMeta) -> ItemProblem:
        """Why ``change`` is not applied: the destination's copy cannot be read."""
        verb = "deleted" if change.deleted else "updated"
        key = self.damaged[change.gid]
        return ItemProblem(
            change.label,
            f"{change.label} is not {verb} in {self.dest.name}: {key} was changed there "
            "and cannot be read, so it is kept as it is until you fix or remove it "
            f"({self.source.name} keeps its version)",
        )

    def _forgotten_deletes(
        self, listed: Sequence[ItemMeta], made_with: Knowledge, skip: set[bytes]
    ) -> list[ItemMeta]:
        """Destination items the source saw and no longer lists: deleted there."""
        present = {m.gid for m in listed} | skip
        return [
            m
            for m in self.dest.all_items()
            if not m.deleted and m.gid not in present and made_with.contains(m.gid, m.version)
        ]

    def apply(self, plan: Plan) -> PassReport:
        """Apply ``plan`` batch by batch, in order. The destination may start on a batch's
        writes while the batch before is applied (:meth:`Replica.apply_ahead`: a folder's
        new files, written by a child process); such a batch is applied once the next is
        decided, so a cancel then stops after it rather than after the current one."""
        report = PassReport()
        report.problems.extend(plan.waiting)
        finished = False
        try:
            self._apply_batches(plan, report)
            finished = True
        finally:
            self.dest.end_ahead(finished)
        return report

    def _apply_batches(self, plan: Plan, report: PassReport) -> None:
        ctx = ConflictContext(
            self.partnership,
            self.policy,
            self.source_side,
            self.source,
            self.dest,
            self.bases,
            plan.made_with,
        )
        reshape = self.combined if self.policy is Policy.MERGE else frozenset()
        applier = ChangeApplier(ctx, self.emit, self.label, reshape)
        progress = _Progress(len(plan.steps) + len(plan.forget))
        pending: _Batch | None = None  # decided, handed ahead, not applied yet
        lower = b""
        for steps, last in _batches(plan.steps, self.batch_size):
            try:
                decided, upper = self._decide(steps, last, lower, plan, applier, report)
            except BaseException:
                if pending is not None:  # its writes are under way: recorded as they would be
                    self._apply_batch(pending, plan.made_with, report, progress)
                raise
            if decided is None:
                break
            # the destination may start on this batch while the one before is applied (then
            # this one is applied after the next is decided): when there is one before, or
            # one after. A batch whose apply fails is never applied again.
            early = pending is not None or not (last or report.cancelled)
            handed = early and self.dest.apply_ahead(decided.actions)
            before, pending = pending, None
            if before is not None:
                self._apply_batch(before, plan.made_with, report, progress)
            if handed:
                pending = decided
            else:
                self._apply_batch(decided, plan.made_with, report, progress)
            if report.cancelled or upper is None:
                break
            lower = upper + b"\x00"
        if pending is not None:
            self._apply_batch(pending, plan.made_with, report, progress)

    def _decide(
        self,
        batch: list[tuple[ItemMeta, ItemMeta | None, Verdict]],
        last: bool,
        lower: bytes,
        plan: Plan,
        applier: ChangeApplier,
        report: PassReport,
    ) -> tuple[_Batch | None, bytes | None]:
        """The actions of ``batch`` (its ids from ``lower`` on) and what applying it
        learns, and the highest id it covers (None: the rest of the id space). None for an
        empty batch cut off by a cancel."""
        actions: list[Action] = []
        unlearned: set[bytes] = set(plan.held)
        upper: bytes | None = None if last else batch[-1][0].gid
        for i, (change, local, verdict) in enumerate(batch):
            if self.cancel.cancelled:
                report.cancelled = True
                upper = batch[i - 1][0].gid if i else None
                batch = batch[:i]
                break
            try:
                found, outcome = applier.actions(change, local, verdict)
            except StoreUnavailable:
                raise  # a store went away (a phone was unplugged): the session ends here
            except SyncError as err:
                unlearned.add(change.gid)
                report.problems.append(ItemProblem(err.item or change.label, err.message))
                continue
            actions.extend(found)
            report.conflicts += outcome is Outcome.DEFERRED
            report.merged += outcome is Outcome.MERGED
        if last and not report.cancelled:
            actions.extend(Forget(m) for m in plan.forget)
        else:  # the forgotten deletes wait for the last batch: nothing learned of them
            unlearned.update(m.gid for m in plan.forget)
        if report.cancelled and not batch:
            return None, None
        learned = plan.made_with.project_range(lower, upper).exclude_items(unlearned)
        forgotten = plan.forgotten if last and not report.cancelled else None
        size = len(batch) + (len(plan.forget) if last else 0)
        return _Batch(actions, learned, forgotten, size), upper

    def _apply_batch(
        self, batch: _Batch, made_with: Knowledge, report: PassReport, progress: _Progress
    ) -> None:
        self._commit(batch.actions, batch.learned, made_with, report, batch.forgotten)
        progress.done += batch.size
        self.emit(
            Progress(self.partnership, Stage.APPLYING, self.label, progress.done, progress.total)
        )

    def _commit(
        self,
        actions: list[Action],
        learned: Knowledge,
        made_with: Knowledge,
        report: PassReport,
        forgotten: Knowledge | None = None,
    ) -> None:
        if not actions and forgotten is None and self.dest.knowledge().contains_knowledge(learned):
            return  # nothing to write or learn (a no-op sync writes nothing)
        outcome = self.dest.apply(
            actions,
            learned,
            partnership=self.partnership,
            history=self.history,
            forgotten=forgotten,
        )
        report.counts.created += outcome.created
        report.counts.updated += outcome.updated
        report.counts.deleted += outcome.deleted
        report.problems.extend(outcome.problems)
        if outcome.agreed:
            # every agreed version is the source's: what the source knew of the item (the
            # plan's knowledge) is what that version descends from
            self.bases.put_many(
                (gid, v, data, made_with) for gid, (v, data) in outcome.agreed.items()
            )


@dataclass(slots=True)
class _Batch:
    """A batch decided: its actions and what the destination learns by applying it."""

    actions: list[Action]
    learned: Knowledge
    forgotten: Knowledge | None  # the last batch's
    size: int  # steps it counts for in the progress


@dataclass(slots=True)
class _Progress:
    total: int
    done: int = 0


def _batches(
    steps: list[tuple[ItemMeta, ItemMeta | None, Verdict]], size: int
) -> Iterator[tuple[list[tuple[ItemMeta, ItemMeta | None, Verdict]], bool]]:
    """Split into batches; ``size`` 0 means one batch. Always yields at least one (possibly
    empty) last batch, so knowledge is learned even when nothing needs sending."""
    if size <= 0 or len(steps) <= size:
        yield steps, True
        return
    for start in range(0, len(steps), size):
        yield steps[start : start + size], start + size >= len(steps)
