"""Three-way merge of two edited copies of a vCard against their common base.

The merge works on *fields*, compared by meaning (:func:`~.values.meaning`), so refolding,
CRLF versus LF, quoted-printable versus UTF-8 or parameter order are not changes:

* single-valued properties (:data:`SINGLE`): a side that changed the field against the
  base wins; equal changes agree; different changes clash. REV takes the later value and
  PRODID ours, so neither clashes; UID is always ours (each store keeps its own UID for a
  contact matched across stores);
* everything else (TEL, EMAIL, ADR, URL, IMPP, X-..., unknown) is repeatable: each base
  value is matched on each side (:func:`_match`: the same value, else one of the same
  property with the same TYPEs, else one of the same property by position). Kept by both:
  stays; changed by one side only: the change, in place; changed alike: once; changed
  differently, or changed on one side and removed on the other: a clash on the property
  (one :class:`FieldClash` per property, all its clashing values one per line, settled
  by ``prefer[property]``); removed by either (the other kept it) or both: goes. A value
  matched to no base value was added: kept, one added alike on both sides once;
* all lines of one group (Apple ``item1.EMAIL`` + ``item1.X-ABLabel``) form one value and
  move together. Group units are matched by content, not by their label, because labels
  are per-card counters that clients renumber; an added unit whose label is used in the
  merged card by another value gets the next free label, companion lines included.

Without a base (``base is None``) equal fields agree, a single-valued field present on
one side only is taken, different ones clash, and repeatable fields are united (a
value both have, as often as the side that has it more often).

The result is built from ours: every line of ours the merge keeps stays byte-identical and
in place; a field taken from theirs replaces ours' lines in place, or is inserted next to
the lines it followed in theirs. A repeatable value theirs changed (matched to a base
value, see above) that ours still holds unchanged replaces ours' old value in place, in
ours' group: a changed ``item1.TEL`` stays ``item1.TEL`` beside its ``item1.X-ABLabel``,
whose line stays as it was. A value theirs added goes after the line it followed in theirs
(or before the line it preceded, when only that one is of its own property). Lines from
theirs are copied verbatim when both cards have one version, and re-encoded
(:func:`~.values.transplant`) when they do not.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from syncgui.engine.itemformat import FieldClash, MergeOutcome, MergeSide
from syncgui.providers.vcard.card import Card, ContentLine, parse_card
from syncgui.providers.vcard.identity import email_keys, phone_keys
from syncgui.providers.vcard.values import display, meaning, transplant, type_values

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
    kind: str  # its property: the name of its line, or of a group's first non-X-AB... line
    types: tuple[str, ...] = ()  # TYPE values of its property's line (PREF left out)


@dataclass(frozen=True, slots=True)
class _Side:
    """What one side made of a base value: the value it holds in its place (None:
    removed), and whether that is the base value itself (matched by value)."""

    unit: _Unit | None
    kept: bool

    @property
    def state(self) -> str:
        if self.unit is None:
            return "removed"
        return "kept" if self.kept else "changed"


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
            unit = _Unit(("line", meaning(line)), (i,), None, line.name, _types(line))
            fields.units.append(unit)
    for indices in groups.values():
        content = tuple(sorted((meaning(card.lines[i]) for i in indices), key=repr))
        group = card.lines[indices[0]].group
        names = [card.lines[i].name for i in indices]
        kind = next((name for name in names if not name.startswith("X-AB")), names[0])
        types = _types(card.lines[indices[names.index(kind)]])
        fields.units.append(_Unit(("group", content), tuple(indices), group, kind, types))
    return fields


def _types(line: ContentLine) -> tuple[str, ...]:
    return tuple(sorted(set(type_values(line)) - {"PREF"}))


def _match(base: Sequence[_Unit], side: Sequence[_Unit]) -> tuple[dict[int, _Unit], set[int]]:
    """Each base value's counterpart on a side (by base index), and the base indices
    matched by value. Matched in three passes, each in card order: the same value; else a
    value of the same property with the same TYPEs; else one of the same property (by
    position). A side value matched to none is an addition."""
    found: dict[int, _Unit] = {}
    taken: set[int] = set()
    tests: tuple[Callable[[_Unit, _Unit], bool], ...] = (
        lambda b, s: b.meaning == s.meaning,
        lambda b, s: b.kind == s.kind and b.types == s.types,
        lambda b, s: b.kind == s.kind,
    )
    for test in tests:
        for i, unit in enumerate(base):
            if i in found:
                continue
            j = next((j for j, s in enumerate(side) if j not in taken and test(unit, s)), None)
            if j is not None:
                found[i] = side[j]
                taken.add(j)
        if test is tests[0]:
            kept = set(found)
    return found, kept


def _unit_text(fields: _Fields, unit: _Unit) -> str:
    """A value for display: its property's line(s), companion lines in parentheses."""
    lines = [fields.card.lines[i] for i in unit.lines]
    main = [display(line) for line in lines if line.name == unit.kind]
    rest = [display(line) for line in lines if line.name != unit.kind]
    return "; ".join(main) + (f" ({'; '.join(rest)})" if rest else "")


def _joined(fields: _Fields, units: Sequence[_Unit | None]) -> str | None:
    texts = [_unit_text(fields, unit) for unit in units if unit is not None]
    return "\n".join(texts) if texts else None


def merge_cards(base: bytes | None, ours: bytes, theirs: bytes) -> MergeOutcome:
    """Three-way merge; ``data`` is None when fields clash (see ``clashes``)."""
    if ours == theirs:
        return MergeOutcome(ours, ())
    return _Merge(base, ours, theirs, None).run()


def merge_cards_choosing(
    base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, MergeSide]
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
    labels, VERSION, REV, PRODID and UID (each store may keep its own UID for a contact)."""
    if a == b:
        return True
    first, second = parse_card(a), parse_card(b)
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


def _says_no_more(theirs: _Unit, ours: _Unit) -> bool:
    """Whether ``theirs`` (a value ours holds written another way) adds nothing to ours'
    worth a second copy of the address: a group (an Apple label) does; a TYPE does not."""
    return len(theirs.lines) == 1


def _span(lines: Sequence[int]) -> tuple[int, int]:
    """First and last index of the run of consecutive lines that starts ``lines``."""
    last = lines[0]
    for i in lines[1:]:
        if i != last + 1:
            break
        last = i
    return lines[0], last


def _relabel(raw: bytes, label: str) -> bytes:
    """A grouped line with its group label (everything before the first dot) replaced."""
    return label.encode() + raw[raw.index(b".") :]


class _Merge:
    """One merge: decisions per field, collected as edits of ours' lines."""

    def __init__(
        self, base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, MergeSide] | None
    ) -> None:
        base_card = parse_card(base, what="The base card") if base is not None else None
        self.base = fields_of(base_card) if base_card is not None else None
        self.ours = fields_of(parse_card(ours, what="Our card"))
        self.theirs = fields_of(parse_card(theirs, what="Their card"))
        self.prefer = prefer
        self.replace: dict[int, list[bytes]] = {}
        self.after: dict[int, list[bytes]] = {}
        self.clashes: list[FieldClash] = []
        self.ours_kind = {i: unit.kind for unit in self.ours.units for i in unit.lines}
        self.last_of = {  # the last ours line of each kind, for placing added lines
            _GROUPED if line.group else line.name: i for i, line in enumerate(self.ours.card.lines)
        }
        # multi-valued decisions (_plan_multi): ours units dropped, ours units replaced in
        # place by a changed theirs unit, theirs units added; group labels of the result
        self.drops: list[_Unit] = []
        self.swaps: list[tuple[_Unit, _Unit]] = []
        self.adds: list[_Unit] = []
        self.alike: dict[int, _Unit] = {}  # theirs unit (first line) -> ours' equal one
        self.labels: set[str] = set()
        # clashing multi-valued values by property: (base, ours, theirs; None: removed)
        self.multi_clashes: dict[str, list[tuple[_Unit, _Unit | None, _Unit | None]]] = {}
        # theirs line -> (first, last) ours line holding the same value or field; its
        # property (a group's main one); the first line of its unit
        self.placed: dict[int, tuple[int, int]] = {}
        self.kind_of: dict[int, str] = {}
        self.unit_of: dict[int, int] = {}
        self.held: set[int] = set()  # ours lines whose value theirs has (or changed)
        self.mapped = False  # the four above are filled when first needed (_map_theirs)

    def run(self) -> MergeOutcome:
        names = dict.fromkeys([*self.ours.single, *self.theirs.single])
        if self.base is not None:
            names.update(dict.fromkeys(self.base.single))
        self._plan_multi()  # first: single fields taken from theirs are placed by it too
        for name in names:
            self._single(name)
        self._apply_multi()
        self.clashes += self._multi_clashes()
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
    ) -> MergeSide | None:
        if name == "PRODID":
            return "ours"
        if name == "REV":
            return "theirs" if _rev_key(self.theirs) > _rev_key(self.ours) else "ours"
        if name == "UID":
            return "ours"  # each store keeps its own UID (see with_uid)
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

    def _plan_multi(self) -> None:
        if self.base is None:
            self._plan_union()
            return
        base = self.base.units
        ours, ours_kept = _match(base, self.ours.units)
        theirs, theirs_kept = _match(base, self.theirs.units)
        for i, unit in enumerate(base):
            mine = _Side(ours.get(i), i in ours_kept)
            other = _Side(theirs.get(i), i in theirs_kept)
            self._settle(unit, mine, other)
        matched = set(theirs.values())
        gone = {ours[i] for i in ours_kept} | {*self.drops, *(t for t, _ in self.swaps)}
        fresh = Counter(unit.meaning for unit in self.ours.units if unit not in gone)
        for unit in self.theirs.units:
            if unit in matched:
                continue
            if fresh[unit.meaning] > 0:  # ours added (or changed to) the same value
                fresh[unit.meaning] -= 1
            else:
                self.adds.append(unit)

    def _plan_union(self) -> None:
        """No base (two cards of one person that never met): every value of either side, a
        value both have as often as the side that has it more often. An e-mail address or
        phone number ours holds written another way (case, spacing, a country code or
        trunk 0) is ours, unless theirs gives it a label of its own (an Apple group): the
        contact does not get the same address twice, and no label is lost."""
        seen = Counter(unit.meaning for unit in self.ours.units)
        owner = {h: u for u in self.ours.units for h in self._handles(self.ours, u)}
        for unit in self.theirs.units:
            if seen[unit.meaning] > 0:
                seen[unit.meaning] -= 1
                continue
            alike = next((owner[h] for h in self._handles(self.theirs, unit) if h in owner), None)
            if alike is None or not _says_no_more(unit, alike):
                self.adds.append(unit)
            else:  # kept as ours has it; its neighbours are placed next to ours' copy
                self.alike[unit.lines[0]] = alike

    @staticmethod
    def _handles(fields: _Fields, unit: _Unit) -> set[str]:
        """How an EMAIL or TEL value reaches the person, in normal form (empty for others)."""
        if unit.kind not in ("EMAIL", "TEL"):
            return set()
        line = next(
            fields.card.lines[i] for i in unit.lines if fields.card.lines[i].name == unit.kind
        )
        text = line.text()
        return email_keys(text) if unit.kind == "EMAIL" else phone_keys(text)

    def _settle(self, base: _Unit, ours: _Side, theirs: _Side) -> None:
        """The decision for one base value, given what each side made of it."""
        if theirs.state == "kept" or ours.state == theirs.state == "removed":
            return  # ours holds the result already
        if ours.state == "kept":
            self._take(ours.unit, theirs.unit)
            return
        if ours.unit and theirs.unit and ours.unit.meaning == theirs.unit.meaning:
            return  # changed alike on both sides
        if self.prefer is None:
            self.multi_clashes.setdefault(base.kind, []).append((base, ours.unit, theirs.unit))
        elif self.prefer.get(base.kind, "ours") == "theirs":
            self._take(ours.unit, theirs.unit)

    def _take(self, mine: _Unit | None, other: _Unit | None) -> None:
        """Theirs' value ``other`` (None: removed) in place of ours' ``mine``."""
        if mine is not None and other is not None:
            self.swaps.append((mine, other))
        elif mine is not None:
            self.drops.append(mine)
        elif other is not None:
            self.adds.append(other)

    def _multi_clashes(self) -> list[FieldClash]:
        """One clash per property: the clashing values of each side, one per line."""
        clashes = []
        for kind, found in self.multi_clashes.items():
            base = _joined(self.base, [b for b, _, _ in found]) if self.base else None
            ours = _joined(self.ours, [o for _, o, _ in found])
            theirs = _joined(self.theirs, [t for _, _, t in found])
            clashes.append(FieldClash(kind, base, ours, theirs))
        return clashes

    def _map_theirs(self) -> None:
        """Where each theirs line's value or field stands in ours (for placing lines next
        to their neighbours): a theirs value at ours' equal one or at the one it replaces,
        a single-valued field at ours' lines of that field."""
        self.mapped = True
        mine: dict[object, list[_Unit]] = {}
        for unit in self.ours.units:
            mine.setdefault(unit.meaning, []).append(unit)
        swapped = {unit.lines[0]: target for target, unit in self.swaps} | self.alike
        for unit in sorted(self.theirs.units, key=lambda unit: unit.lines[0]):
            same = swapped.get(unit.lines[0])
            if same is None and mine.get(unit.meaning):
                same = mine[unit.meaning].pop(0)
            for j in unit.lines:
                self.kind_of[j] = unit.kind
                self.unit_of[j] = unit.lines[0]
                if same is not None:
                    self.placed[j] = _span(same.lines)
            if same is not None:
                self.held.update(same.lines)
        for name, found in self.theirs.single.items():
            lines = self.ours.single.get(name)
            for j in found:
                self.kind_of[j] = name
                if lines:
                    self.placed[j] = (lines[0], lines[-1])

    def _apply_multi(self) -> None:
        for unit in self.drops:
            for i in unit.lines:
                self.replace[i] = []
        gone = {*self.drops, *(target for target, unit in self.swaps if unit.group is None)}
        self.labels = {u.group.lower() for u in self.ours.units if u.group and u not in gone}
        for target, unit in self.swaps:
            self._swap(target, unit)
        for unit in sorted(self.adds, key=lambda unit: unit.lines[0]):
            self._add(unit)

    def _swap(self, target: _Unit, unit: _Unit) -> None:
        """Theirs' changed value ``unit`` in place of ours' old one ``target``, in
        ``target``'s group: ours lines it did not change stay as they are, changed ones
        are replaced line by line, gone ones dropped, new ones put after the group."""
        theirs, ours = self.theirs.card.lines, self.ours.card.lines
        label = None
        if unit.group is not None:
            label = target.group or self._free_label(unit.group)
        pending = list(unit.lines)
        for i in target.lines:
            line = ours[i]
            named = [j for j in pending if theirs[j].name == line.name]
            same = (
                [j for j in named if meaning(theirs[j]) == meaning(line)]
                if line.group == label
                else []
            )
            if same:
                pending.remove(same[0])  # unchanged: ours' line stays byte-identical
            elif named:
                pending.remove(named[0])
                self.replace[i] = [self._moved(named[0], label)]
            else:
                self.replace[i] = []
        if pending:
            end = _span(target.lines)[1]
            self.after.setdefault(end, []).extend(self._moved(j, label) for j in pending)

    def _add(self, unit: _Unit) -> None:
        label = self._free_label(unit.group) if unit.group is not None else None
        new = [self._moved(j, label) for j in unit.lines]
        self.after.setdefault(self._anchor(unit.lines[0]), []).extend(new)

    def _free_label(self, label: str) -> str:
        """``label``, or the next free ``itemN`` when another value of the merged card
        uses it already."""
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

    def _moved(self, j: int, label: str | None = None) -> bytes:
        """Theirs line ``j`` written for ours (in group ``label`` when it has a group)."""
        theirs, ours = self.theirs.card, self.ours.card
        line = theirs.lines[j]
        raw = transplant(line, theirs.version, ours.version, ours.eol)
        if label is not None and line.group is not None and label != line.group:
            raw = _relabel(raw, label)
        return raw

    def _anchor(self, j: int) -> int:
        """Index of the ours line after which theirs line ``j`` goes: after the ours line
        holding the nearest line before it in theirs (its value, or the same single-valued
        field), unless that one is of another property and the nearest line after it in
        theirs is of its own: then before that one; failing both, after ours' last line of
        its kind (same name; any group for a grouped line), else after VERSION. UID always
        goes after VERSION."""
        version = self.ours.card.index_of("VERSION") or 0
        line = self.theirs.card.lines[j]
        if line.name == "UID":
            return version
        if not self.mapped:
            self._map_theirs()
        kind = self.kind_of.get(j, line.name)
        before, after = self._neighbour(j, -1), self._neighbour(j, 1)
        if before is not None and (
            after is None or self.kind_of[before] == kind or self.kind_of[after] != kind
        ):
            return max(self._past_ours_own(self.placed[before][1], kind, after), version)
        if after is not None and self.kind_of[after] == kind:
            return max(self.placed[after][0] - 1, version)
        last = self.last_of.get(_GROUPED if line.group else line.name)
        return version if last is None else max(last, version)

    def _past_ours_own(self, i: int, kind: str, after: int | None) -> int:
        """``i``, or the last of the ours-only values of property ``kind`` that follow it
        before theirs' next neighbour: where both sides put a value after the same line,
        ours' comes first."""
        stop = self.placed[after][0] if after is not None else len(self.ours.card.lines) - 1
        while i + 1 < stop and i + 1 not in self.held and self.ours_kind.get(i + 1) == kind:
            i += 1
        return i

    def _neighbour(self, j: int, step: int) -> int | None:
        """The nearest theirs line before (``step`` -1) or after (+1) line ``j``, outside
        its unit, whose value or field ours has; None at the card's structure lines."""
        lines = self.theirs.card.lines
        own = self.unit_of.get(j, j)
        k = j + step
        while 0 <= k < len(lines) and lines[k].name not in STRUCTURE:
            if k in self.placed and self.unit_of.get(k, k) != own:
                return k
            k += step
        return None
