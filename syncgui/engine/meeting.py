"""When stores meet: before a session copies the items each side lacks, the items new to
each other are matched (:mod:`syncgui.engine.matching`), and each match becomes one item.

The items each side is about to create on the other are the candidates: an item the other
side never heard of. That covers the first sync of a partnership, a store joining a set
that is already synced, and a store whose metadata was lost (its items are all new). A match
is combined by giving one side's item the other side's identity (``Replica.remap``); the
store keeps its own UID for it. The renamed copy gets a fresh version, so the passes that
follow meet the pair as a conflict with no common base, settled by the partnership's policy
(merge: the union of their fields; a single-valued field that differs is a real conflict).

A dry run combines too, on scratch copies of the replicas (see :mod:`syncgui.engine.scratch`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from syncgui.engine.applier import Decision
from syncgui.engine.errors import SyncError
from syncgui.engine.matching import Match, MatchLevel, MatchReport, MatchRule, find_matches
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.replica import Remap, Replica
from syncgui.engine.transfer import Plan

log = logging.getLogger(__name__)


def created(plan: Plan) -> list[bytes]:
    """The items a pass would create at its destination (new to it)."""
    return [c.gid for c, _local, v in plan.steps if v.decision is Decision.CREATE]


@dataclass(slots=True)
class Meeting:
    """Matching between side A and side B of one session."""

    a: Replica
    b: Replica
    partnership: str
    level: MatchLevel
    refused: frozenset[tuple[bytes, bytes]] = frozenset()

    def find(self, to_b: Plan, to_a: Plan) -> MatchReport:
        """Match A's items B lacks (``to_b``'s creations) with B's items A lacks."""
        new_a, new_b = created(to_b), created(to_a)
        if self.level is MatchLevel.NONE or not new_a or not new_b:
            return MatchReport()
        cand_a, problems = self.a.candidates(new_a)
        cand_b, more = self.b.candidates(new_b)
        for problem in problems + more:  # the copy that follows reports them again
            log.warning("%s: not matched: %s: %s", self.partnership, problem.item, problem.message)
        report = find_matches(cand_a, cand_b, self.level, self.refused)
        if report.matches or report.possible:
            log.info(
                "%s: %d contacts matched as the same person, %d possible duplicates",
                self.partnership,
                len(report.matches),
                len(report.possible),
            )
        return report

    def combine(self, matches: list[Match], bases: BaseStore) -> frozenset[bytes]:
        """Make each match one item. The side with no other peer takes the other side's
        identities quietly (no other store can hold its old ones); when both have other
        peers, the one with fewer does, and leaves tombstones of the old identities so that
        its peers replace their copies too (B on a tie). A pair with the same content is
        agreed at once: the renamed copy takes the other's version (nothing passes between
        them) and that version is kept as their common base for later merges. Returns the
        combined items' global ids."""
        if not matches:
            return frozenset()
        others_a, others_b = _others(self.a, self.b), _others(self.b, self.a)
        if len(others_b) <= len(others_a):  # B takes A's identities
            keep, renamed, tell = self.a, self.b, bool(others_b)
            pairs = [(m.a.gid, m.b.gid, m.rule is MatchRule.CONTENT) for m in matches]
        else:
            keep, renamed, tell = self.b, self.a, bool(others_a)
            pairs = [(m.b.gid, m.a.gid, m.rule is MatchRule.CONTENT) for m in matches]
        theirs = keep.lookup(kept for kept, _gid, _same in pairs)
        remaps = [Remap(gid, theirs[kept], same) for kept, gid, same in pairs if kept in theirs]
        renamed.remap(remaps, tell=tell)
        known = keep.knowledge()
        shared = []
        for r in remaps:
            if r.same:
                try:
                    data = keep.load(r.theirs.gid)
                except SyncError:
                    continue  # no base for that one: a later merge takes both sides as they are
                shared.append((r.theirs.gid, r.theirs.version, data, known))
        bases.put_many(shared)
        return frozenset(r.theirs.gid for r in remaps)


def _others(replica: Replica, partner: Replica) -> set[bytes]:
    """The replicas besides ``partner`` that may hold ``replica``'s items: its peers and
    those it learned changes from."""
    known = set(replica.peers()) | set(replica.knowledge().scope.replicas())
    return known - {replica.replica_id, partner.replica_id}
