"""Matching when stores meet: which new items on one side are items the other side already
holds under another identity.

Two stores that never synced usually hold mostly the same people, exported by different
programs: without a UID, or with a different UID per export. Before a session copies the
items each side lacks, the items new to the other side are matched here, strongest rule
first:

1. the same UID is the same item (the engine's global ids already say so: such items are
   never new to each other and never reach this module);
2. the same content (:attr:`MatchKeys.content`: the item with UID, revision and producer
   stamps, line endings, folding, order and the letter case of property names left out);
3. the same person: the same normalised name and at least one shared handle (an e-mail
   address, or a phone number whose digits agree once a leading country code or trunk 0
   is set aside).

Only a match that is one-to-one is taken: an item that has more than one candidate on the
other side, or is one of several candidates of an item there, is not matched but listed as a
possible duplicate for the user (merging two different people is worse than showing one
twice). Every lookup goes through an index by key: there is no pairwise comparison.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from syncgui.engine.itemformat import MatchKeys

_KeysOf = Callable[["Candidate"], set[str]]


class MatchLevel(StrEnum):
    """How far matching goes: not at all (only equal UIDs meet), identical content, or the
    same person (the default)."""

    NONE = "none"
    EXACT = "exact"
    PEOPLE = "people"


class MatchRule(StrEnum):
    """Why two items were taken for the same one."""

    CONTENT = "same content"
    PERSON = "same person"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item one side holds that the other side has never seen."""

    gid: bytes
    label: str
    key: str  # the store's name for it (a file name, a card's href)
    keys: MatchKeys


@dataclass(frozen=True, slots=True)
class Match:
    """Side A's item ``a`` and side B's item ``b`` are one contact."""

    a: Candidate
    b: Candidate
    rule: MatchRule


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    """Items that look like the same person but could not be matched one to one: the user
    decides. ``a`` and ``b`` are every candidate involved on each side."""

    a: tuple[Candidate, ...]
    b: tuple[Candidate, ...]

    @property
    def label(self) -> str:
        return (self.a or self.b)[0].label


@dataclass(slots=True)
class MatchReport:
    matches: list[Match] = field(default_factory=list)
    possible: list[PossibleDuplicate] = field(default_factory=list)


def find_matches(
    a: Sequence[Candidate],
    b: Sequence[Candidate],
    level: MatchLevel = MatchLevel.PEOPLE,
    refused: Iterable[tuple[bytes, bytes]] = (),
) -> MatchReport:
    """Match side A's new items with side B's (see the module docstring). ``refused``
    pairs (A's gid, B's gid) were refused by the user: they are neither matched nor listed."""
    report = MatchReport()
    if level is MatchLevel.NONE or not a or not b:
        return report
    no = set(refused)
    left, right = list(a), list(b)
    _match_by(left, right, _content_keys, MatchRule.CONTENT, no, report)
    if level is MatchLevel.PEOPLE:
        # an item matched, or already listed, is not looked at again
        taken_a = {m.a.gid for m in report.matches} | {c.gid for p in report.possible for c in p.a}
        taken_b = {m.b.gid for m in report.matches} | {c.gid for p in report.possible for c in p.b}
        left = [c for c in left if c.gid not in taken_a]
        right = [c for c in right if c.gid not in taken_b]
        _match_by(left, right, person_keys, MatchRule.PERSON, no, report)
    report.matches.sort(key=lambda m: (m.a.label.casefold(), m.a.key))
    return report


def person_keys(c: Candidate) -> set[str]:
    """The normalised name with each handle: two items sharing one are the same person."""
    name = c.keys.name
    if not name:
        return set()
    return {f"{name}\x00{handle}" for handle in c.keys.handles}


def _content_keys(c: Candidate) -> set[str]:
    return {c.keys.content} if c.keys.content else set()


def _match_by(
    a: Sequence[Candidate],
    b: Sequence[Candidate],
    keys_of: _KeysOf,
    rule: MatchRule,
    refused: set[tuple[bytes, bytes]],
    report: MatchReport,
) -> None:
    a_keys = {c.gid: keys_of(c) for c in a}
    b_keys = {c.gid: keys_of(c) for c in b}
    index_a = _index(a, a_keys)
    index_b = _index(b, b_keys)
    by_gid_a = {c.gid: c for c in a}
    by_gid_b = {c.gid: c for c in b}
    listed: set[bytes] = set()
    for item in a:
        found = _others(a_keys[item.gid], index_b)
        if not found:
            continue
        if len(found) == 1:
            (other,) = found
            back = _others(b_keys[other], index_a)
            if back == {item.gid}:
                if (item.gid, other) not in refused:
                    report.matches.append(Match(item, by_gid_b[other], rule))
                continue
        if item.gid in listed:
            continue
        group_a, group_b = _group(item.gid, a_keys, b_keys, index_a, index_b)
        listed |= group_a
        report.possible.append(
            PossibleDuplicate(
                tuple(sorted((by_gid_a[g] for g in group_a), key=_order)),
                tuple(sorted((by_gid_b[g] for g in group_b), key=_order)),
            )
        )


def _index(items: Sequence[Candidate], keys: dict[bytes, set[str]]) -> dict[str, set[bytes]]:
    index: dict[str, set[bytes]] = defaultdict(set)
    for c in items:
        for k in keys[c.gid]:
            index[k].add(c.gid)
    return index


def _others(keys: set[str], index: dict[str, set[bytes]]) -> set[bytes]:
    found: set[bytes] = set()
    for k in keys:
        found |= index.get(k, set())
    return found


def _group(
    start: bytes,
    a_keys: dict[bytes, set[str]],
    b_keys: dict[bytes, set[str]],
    index_a: dict[str, set[bytes]],
    index_b: dict[str, set[bytes]],
) -> tuple[set[bytes], set[bytes]]:
    """Every item linked to ``start`` (an A item) through shared keys, on both sides."""
    group_a, group_b = {start}, set[bytes]()
    todo_a, todo_b = [start], list[bytes]()
    while todo_a or todo_b:
        while todo_a:
            for other in _others(a_keys[todo_a.pop()], index_b) - group_b:
                group_b.add(other)
                todo_b.append(other)
        while todo_b:
            for other in _others(b_keys[todo_b.pop()], index_a) - group_a:
                group_a.add(other)
                todo_a.append(other)
    return group_a, group_b


def _order(c: Candidate) -> tuple[str, str]:
    return (c.label.casefold(), c.key)
