"""Two versions of one contact side by side, field by field, in the user's words (for the
conflict dialog).

Single-valued properties (:data:`~.merge.SINGLE`: FN, N, NOTE, BDAY...) give one row per
property, the way the three-way merge decides them; a clash the merge reports names the
same ``field``. Multi-valued properties (TEL, EMAIL, ADR...) give one row per value:
values with the same meaning on both sides share a row, and a value one side has and the
other has not is paired with an unmatched value of the same label on the other side (a
changed phone number shows as one row), else shown alone. All lines of an Apple group
(``item1.EMAIL`` + ``item1.X-ABLabel:NASA``) are one value, labelled "Email (NASA)".
"""

from __future__ import annotations

from dataclasses import dataclass

from syncgui.engine.itemformat import FieldPair
from syncgui.providers.vcard.card import ContentLine, parse_card
from syncgui.providers.vcard.merge import fields_of
from syncgui.providers.vcard.values import display, type_values
from syncgui.providers.vcard.vendor import X_PROPERTIES, vendor_field

LABELS = {
    "FN": "Name",
    "N": "Structured name",
    "NICKNAME": "Nickname",
    "TEL": "Phone",
    "EMAIL": "Email",
    "ADR": "Address",
    "LABEL": "Address label",
    "NOTE": "Note",
    "ORG": "Organization",
    "TITLE": "Job title",
    "ROLE": "Role",
    "BDAY": "Birthday",
    "ANNIVERSARY": "Anniversary",
    "GENDER": "Gender",
    "URL": "Website",
    "PHOTO": "Photo",
    "LOGO": "Logo",
    "SOUND": "Sound",
    "KEY": "Public key",
    "CATEGORIES": "Groups",
    "IMPP": "Instant messaging",
    "GEO": "Location",
    "TZ": "Time zone",
    "LANG": "Language",
    "KIND": "Kind",
    "MEMBER": "Member",
    "RELATED": "Related",
    "SORT-STRING": "Sort as",
    "X-ABDATE": "Date",
    "X-ABRELATEDNAMES": "Related name",
    "X-SOCIALPROFILE": "Social profile",
    "X-ANDROID-CUSTOM": "Android field",
    "X-SYNCGUI-CONFLICT-COPY": "Conflict copy of",
}
# Rows come in this order; other fields follow in the order the cards have them.
ORDER = ("FN", "N", "NICKNAME", "ORG", "TITLE", "ROLE", "TEL", "EMAIL", "ADR", "URL", "IMPP",
         "BDAY", "ANNIVERSARY", "NOTE")  # fmt: skip
_RANK = {name: n for n, name in enumerate(ORDER)}
HIDDEN = frozenset({"BEGIN", "END", "VERSION", "PRODID", "REV", "UID"})
# Type words that say nothing to the user (defaults, encodings)
_QUIET_TYPES = frozenset({"PREF", "INTERNET", "VOICE", "X400", "INTL", "POSTAL", "PARCEL"})
_APPLE_LABEL = ("_$!<", ">!$_")
# lines of an Apple group that qualify its value, never the value itself
_GROUP_EXTRAS = frozenset({"X-ABLABEL", "X-ABADR"})


@dataclass(frozen=True, slots=True)
class _Value:
    field: str
    label: str
    text: str
    meaning: object


def field_rows(a: bytes | None, b: bytes | None) -> list[FieldPair]:
    """Both sides of a contact field by field (None: that side deleted); raises
    :class:`~syncgui.engine.errors.BadItem` for a card that cannot be read."""
    singles_a, multi_a = _fields(a)
    singles_b, multi_b = _fields(b)
    rows: list[FieldPair] = []
    for name in dict.fromkeys([*singles_a, *singles_b]):
        got_a, got_b = singles_a.get(name), singles_b.get(name)
        text_a = got_a.text if got_a else None
        text_b = got_b.text if got_b else None
        same = got_a is not None and got_b is not None and got_a.meaning == got_b.meaning
        label = (got_a or got_b or _Value(name, _label(name), "", None)).label
        rows.append(FieldPair(name, label, text_a, text_b, same))
    rows += _pair_values(multi_a, multi_b)
    return sorted(rows, key=lambda row: _RANK.get(row.field, len(ORDER)))


def _fields(data: bytes | None) -> tuple[dict[str, _Value], list[_Value]]:
    if data is None:
        return {}, []
    fields = fields_of(parse_card(data))
    lines = fields.card.lines
    singles: dict[str, _Value] = {}
    for name in fields.single:
        if name in HIDDEN:
            continue
        text = fields.text(name) or ""
        singles[name] = _Value(name, _label(name), text, fields.values(name))
    values = [
        _unit_value([lines[i] for i in unit.lines], unit.meaning)
        for unit in fields.units
        if unit.group is not None or lines[unit.lines[0]].name not in HIDDEN
    ]
    return singles, values


def _unit_value(lines: list[ContentLine], meaning: object) -> _Value:
    """One value's label and text: a well-known vendor property in words ("Nickname" for
    Android's ``vnd.android.cursor.item/nickname``: :mod:`.vendor`), an Apple group's
    X-ABLabel or the TYPE words as the qualifier ("Email (NASA)", "Phone (work)")."""
    labelled = [line for line in lines if line.name not in _GROUP_EXTRAS]
    main = next((line for line in labelled if not line.name.startswith("X-AB")), None)
    main = main or (labelled or lines)[0]
    vendor = vendor_field(main)
    label, text = vendor if vendor is not None else (_label(main.name), None)
    apple = [line for line in lines if line.name == "X-ABLABEL"]
    qualifier = _apple_label(apple[0].text()) if apple else _types(main)
    if qualifier and "(" not in label:
        label = f"{label} ({qualifier})"
    return _Value(main.name, label, display(main) if text is None else text, meaning)


def _pair_values(a: list[_Value], b: list[_Value]) -> list[FieldPair]:
    rows: list[FieldPair] = []
    left = list(b)
    only_a: list[_Value] = []
    for value in a:
        match = next((i for i, other in enumerate(left) if other.meaning == value.meaning), None)
        if match is None:
            only_a.append(value)
            continue
        left.pop(match)
        rows.append(FieldPair(value.field, value.label, value.text, value.text, True))
    for value in only_a:
        match = next((i for i, other in enumerate(left) if other.label == value.label), None)
        other = left.pop(match) if match is not None else None
        rows.append(
            FieldPair(value.field, value.label, value.text, other.text if other else None, False)
        )
    rows += [FieldPair(v.field, v.label, None, v.text, False) for v in left]
    return rows


def _label(name: str) -> str:
    label = LABELS.get(name) or X_PROPERTIES.get(name)
    return label or name


def _types(line: ContentLine) -> str:
    kinds = [k.lower() for k in type_values(line) if k not in _QUIET_TYPES]
    return ", ".join(dict.fromkeys(kinds))


def _apple_label(text: str) -> str:
    """Apple writes its built-in labels as ``_$!<Home>!$_``."""
    start, end = _APPLE_LABEL
    if text.startswith(start) and text.endswith(end):
        return text[len(start) : -len(end)].lower()
    return text.strip()
