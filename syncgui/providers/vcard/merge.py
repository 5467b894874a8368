"""Three-way merge of two edited copies of a vCard against their common base.

The merge works on *fields*, compared by meaning (:func:`~.values.meaning`), so refolding,
CRLF versus LF, quoted-printable versus UTF-8 or parameter order are not changes:

* single-valued properties (:data:`SINGLE`): a side that changed the field against the
  base wins; equal changes agree; different changes clash. REV takes the later value and
  PRODID ours, so neither clashes; UID is never removed, and a side without any UID line
  counts as unchanged (a store may hold a copy that got its UID only later);
* everything else (TEL, EMAIL, ADR, URL, X-..., unknown) is a multiset of values merged
  three-way: a base value kept by both stays, a value added by either side is added, a
  value removed by either side goes. This never clashes and never loses an added value;
* all lines of one group (Apple ``item1.EMAIL`` + ``item1.X-ABLabel``) form one value and
  move together. Group units are matched by content, not by their label, because labels
  are per-card counters that clients renumber; an added unit whose label is taken in ours
  gets the next free label.

Without a base (``base is None``) equal fields agree, a single-valued field present on
one side only is taken, different ones clash, and multi-valued fields are united.

The result is built from ours: every line of ours the merge keeps stays byte-identical and
in place; a field taken from theirs replaces ours' lines in place, or is inserted next to
the lines it followed in theirs. Lines from theirs are copied verbatim when both cards
have one version, and re-encoded (:func:`~.values.transplant`) when they do not.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from syncgui.engine.format import FieldClash, MergeOutcome, Side
from syncgui.providers.vcard.card import Card, parse_card
from syncgui.providers.vcard.values import Meaning, display, meaning, transplant

log = logging.getLogger(__name__)

SINGLE = frozenset(
    {"FN", "N", "BDAY", "ANNIVERSARY", "GENDER", "KIND", "ORG", "TITLE", "ROLE", "NOTE",
     "PHOTO", "LOGO", "SOUND", "TZ", "GEO", "SORT-STRING", "NICKNAME", "PRODID", "REV", "UID"}
)  # fmt: skip
STRUCTURE = frozenset({"BEGIN", "END", "VERSION"})
IGNORED_BY_SAME = frozenset({"REV", "PRODID", "UID"})
_GROUPED = "\0group"  # the kind of every grouped line, for placing added groups
_ITEM_LABEL = re.compile(r"item(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Unit:
    """One value of a multi-valued field: an ungrouped line or all lines of a group."""

    meaning: object
    lines: tuple[int, ...]
    group: str | None


@dataclass(slots=True)
class _Fields:
    """A card seen as fields: single-valued line indices by name, and multi-valued units."""

    card: Card
    single: dict[str, list[int]] = field(default_factory=dict)
    units: list[_Unit] = field(default_factory=list)

    def values(self, name: str) -> tuple[object, ...]:
        lines = self.card.lines
        return tuple(meaning(lines[i]) for i in self.single.get(name, ()))

    def text(self, name: str) -> str | None:
        found = self.single.get(name)
        if not found:
            return None
        return "\n".join(display(self.card.lines[i]) for i in found)


def fields_of(card: Card) -> _Fields:
    fields = _Fields(card)
    groups: dict[str, list[int]] = {}
    for i, line in enumerate(card.lines):
        if line.group:
            groups.setdefault(line.group.lower(), []).append(i)
        elif line.name in SINGLE:
            fields.single.setdefault(line.name, []).append(i)
        elif line.name not in STRUCTURE:
            fields.units.append(_Unit(("line", meaning(line)), (i,), None))
    for indices in groups.values():
        content = tuple(sorted((meaning(card.lines[i]) for i in indices), key=repr))
        group = card.lines[indices[0]].group
        fields.units.append(_Unit(("group", content), tuple(indices), group))
    return fields


def merge_cards(base: bytes | None, ours: bytes, theirs: bytes) -> MergeOutcome:
    """Three-way merge; ``data`` is None when fields clash (see ``clashes``)."""
    if ours == theirs:
        return MergeOutcome(ours, ())
    return _Merge(base, ours, theirs, None).run()


def merge_cards_choosing(
    base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, Side]
) -> bytes:
    """Merge, settling each clashing field (by FieldClash.field) as ``prefer`` says;
    fields not named there keep ours."""
    if ours == theirs:
        return ours
    outcome = _Merge(base, ours, theirs, prefer).run()
    assert outcome.data is not None  # a preference settles every clash
    return outcome.data


def same_cards(a: bytes, b: bytes) -> bool:
    """Equal meaning, ignoring line endings, folding, encoding, property order, group
    labels, VERSION, REV, PRODID and a UID that only one side has."""
    if a == b:
        return True
    first, second = parse_card(a), parse_card(b)
    uid_a, uid_b = first.first("UID"), second.first("UID")
    if uid_a is not None and uid_b is not None and uid_a.text().strip() != uid_b.text().strip():
        return False
    return _content(fields_of(first)) == _content(fields_of(second))


def _content(fields: _Fields) -> Counter[object]:
    content: Counter[object] = Counter(unit.meaning for unit in fields.units)
    for name in fields.single:
        if name not in IGNORED_BY_SAME:
            content.update(fields.values(name))
    return content


def _rev_key(fields: _Fields) -> str:
    found = fields.single.get("REV")
    if not found:
        return ""
    return re.sub(r"[^0-9TZ]", "", fields.card.lines[found[0]].text().upper())


def _count(base: int, ours: int, theirs: int) -> int:
    """How many copies of one multi-valued value the merge keeps."""
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    if ours > base and theirs > base:
        return max(ours, theirs)
    if ours < base and theirs < base:
        return min(ours, theirs)
    return max(0, ours + theirs - base)


class _Merge:
    """One merge: decisions per field, collected as edits of ours' lines."""

    def __init__(
        self, base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, Side] | None
    ) -> None:
        base_card = parse_card(base, what="The base card") if base is not None else None
        self.base = fields_of(base_card) if base_card is not None else None
        self.ours = fields_of(parse_card(ours, what="Our card"))
        self.theirs = fields_of(parse_card(theirs, what="Their card"))
        self.prefer = prefer
        self.replace: dict[int, list[bytes]] = {}
        self.after: dict[int, list[bytes]] = {}
        self.clashes: list[FieldClash] = []
        self.labels = {line.group.lower() for line in self.ours.card.lines if line.group}
        self.last_of = {  # the last ours line of each kind, for placing added lines
            _GROUPED if line.group else line.name: i for i, line in enumerate(self.ours.card.lines)
        }
        self.ours_meanings: dict[tuple[bool, Meaning], int] | None = None

    def run(self) -> MergeOutcome:
        names = dict.fromkeys([*self.ours.single, *self.theirs.single])
        if self.base is not None:
            names.update(dict.fromkeys(self.base.single))
        for name in names:
            self._single(name)
        self._multi()
        if self.clashes:
            log.debug("merge: %d field(s) clash", len(self.clashes))
            return MergeOutcome(None, tuple(self.clashes))
        card = self.ours.card
        if not self.replace and not self.after:
            return MergeOutcome(card.data, ())
        return MergeOutcome(card.rebuild(self.replace, self.after), ())

    # --- single-valued fields ----------------------------------------------------------

    def _single(self, name: str) -> None:
        ours, theirs = self.ours.values(name), self.theirs.values(name)
        if ours == theirs:
            return
        side = self._decide(name, ours, theirs)
        if side is None:
            if self.prefer is None:
                self.clashes.append(self._clash(name))
                return
            side = self.prefer.get(name, "ours")
        if side == "theirs" and (name != "UID" or theirs):
            self._take_theirs(name)

    def _decide(
        self, name: str, ours: tuple[object, ...], theirs: tuple[object, ...]
    ) -> Side | None:
        if name == "PRODID":
            return "ours"
        if name == "REV":
            return "theirs" if _rev_key(self.theirs) > _rev_key(self.ours) else "ours"
        if name == "UID" and not (ours and theirs):
            return "theirs" if theirs else "ours"  # a side without UID is unchanged
        if self.base is None:
            if not ours or not theirs:
                return "theirs" if theirs else "ours"
            return None
        base = self.base.values(name)
        if base == ours:
            return "theirs"
        if base == theirs:
            return "ours"
        return None

    def _clash(self, name: str) -> FieldClash:
        base = self.base.text(name) if self.base is not None else None
        return FieldClash(name, base, self.ours.text(name), self.theirs.text(name))

    def _take_theirs(self, name: str) -> None:
        mine = self.ours.single.get(name, [])
        found = self.theirs.single.get(name, [])
        new = [self._moved(j) for j in found]
        if mine:
            self.replace[mine[0]] = new
            for i in mine[1:]:
                self.replace[i] = []
        elif new:
            self.after.setdefault(self._anchor(found[0]), []).extend(new)

    # --- multi-valued fields -----------------------------------------------------------

    def _multi(self) -> None:
        ours = Counter(unit.meaning for unit in self.ours.units)
        theirs = Counter(unit.meaning for unit in self.theirs.units)
        base = Counter(unit.meaning for unit in self.base.units) if self.base else Counter()
        keep = {m: _count(base[m], ours[m], theirs[m]) for m in ours | theirs}
        seen: Counter[object] = Counter()
        for unit in self.ours.units:
            seen[unit.meaning] += 1
            if seen[unit.meaning] > keep[unit.meaning]:
                for i in unit.lines:
                    self.replace[i] = []
        for unit in self.theirs.units:
            if seen[unit.meaning] < keep[unit.meaning]:
                seen[unit.meaning] += 1
                self._add(unit)

    def _add(self, unit: _Unit) -> None:
        new = [self._moved(j) for j in unit.lines]
        if unit.group is not None:
            label = self._free_label(unit.group)
            if label != unit.group:
                new = [label.encode() + raw[len(unit.group) :] for raw in new]
        self.after.setdefault(self._anchor(unit.lines[0]), []).extend(new)

    def _free_label(self, label: str) -> str:
        if label.lower() not in self.labels:
            self.labels.add(label.lower())
            return label
        numbers = [int(m.group(1)) for m in map(_ITEM_LABEL.fullmatch, self.labels) if m]
        n = max(numbers, default=0) + 1
        found = _ITEM_LABEL.fullmatch(label)
        fresh = f"{label[:4]}{n}" if found else f"{label}-{n}"
        while fresh.lower() in self.labels:
            n += 1
            fresh = f"{label[:4]}{n}" if found else f"{label}-{n}"
        self.labels.add(fresh.lower())
        return fresh

    # --- placing lines from theirs -----------------------------------------------------

    def _moved(self, j: int) -> bytes:
        theirs, ours = self.theirs.card, self.ours.card
        return transplant(theirs.lines[j], theirs.version, ours.version, ours.eol)

    def _anchor(self, j: int) -> int:
        """Index of the ours line after which theirs line ``j`` goes: after ours' last line
        of its kind (same name; any group for a grouped line), else after the nearest line
        before it in theirs that ours also has (same value, or the same single-valued
        field), else after VERSION; UID always goes after VERSION."""
        ours = self.ours.card
        version = ours.index_of("VERSION") or 0
        lines = self.theirs.card.lines
        if lines[j].name == "UID":
            return version
        kind = self.last_of.get(_GROUPED if lines[j].group else lines[j].name)
        if kind is not None:
            return max(kind, version)
        if self.ours_meanings is None:
            self.ours_meanings = {
                (line.group is not None, meaning(line)): i for i, line in enumerate(ours.lines)
            }
        for k in range(j - 1, 0, -1):
            line = lines[k]
            if line.name in STRUCTURE:
                break
            found = self.ours_meanings.get((line.group is not None, meaning(line)))
            if found is None and line.group is None and line.name in SINGLE:
                found = self.last_of.get(line.name)
            if found is not None:
                return max(found, version)
        return version
