"""What a card says, read without syncgui: the tests' own judge of the people fixtures.

Deliberately small and independent of ``syncgui.providers.vcard``: it reads the shapes of
``make_people.py`` (folding, quoted-printable soft breaks, ``CHARSET``, groups, 3.0/4.0
escapes) and nothing more exotic. A card becomes a set of *fields* ``(NAME, value)`` with
everything that does not change what the card says left out: the group, parameters,
encoding and escapes; e-mail addresses case-folded; a phone number as its national digits
(its ``+`` country code or its trunk 0 taken off). ``UID``, ``REV``, ``PRODID`` and
``VERSION`` are kept apart (:data:`STAMPS`): a sync may set them.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Every country code the fixtures use (a + number's code is the longest of these it starts
# with: none is a prefix of another).
COUNTRY_CODES = frozenset(
    {"1", "7", "30", "33", "34", "39", "41", "44", "45", "46", "47", "48", "49", "52", "61", "64",
     "81", "82", "84", "86", "90", "91", "233", "351", "353", "354", "420"}
)  # fmt: skip
STAMPS = frozenset({"UID", "REV", "PRODID", "VERSION"})
_STRUCTURE = frozenset({"BEGIN", "END"})
_STRUCTURED = frozenset({"N", "ADR", "ORG"})
_LISTS = frozenset({"CATEGORIES", "NICKNAME"})
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NOT_DIGIT = re.compile(r"\D")

Field = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Line:
    group: str
    name: str  # upper case
    params: tuple[str, ...]  # as written, upper case
    value: str  # decoded (quoted-printable, charset), escapes still in


@dataclass(frozen=True, slots=True)
class Read:
    """One card: its version, UID (None: none), display name, fields and handles."""

    version: str
    uid: str | None
    name: str
    fields: frozenset[Field]
    emails: frozenset[str]
    phones: frozenset[str]

    @property
    def handles(self) -> frozenset[str]:
        return frozenset({f"email:{e}" for e in self.emails} | {f"tel:{p}" for p in self.phones})


def phone_key(text: str) -> str:
    """The national digits of a number: ``+44 20 7946 0018`` and ``020 7946 0018`` are both
    ``2079460018``; ``(206) 555-0143`` and ``+1 206 555 0143`` are ``2065550143``."""
    text = text.strip()
    if text[:4].lower() == "tel:":
        text = text[4:]
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+"):
        for size in (3, 2, 1):
            if digits[:size] in COUNTRY_CODES:
                return digits[size:]
        return digits
    return digits[1:] if digits.startswith("0") else digits


def _physical(data: bytes) -> list[bytes]:
    return re.split(rb"\r?\n", data.rstrip(b"\r\n"))


def _is_qp(head: bytes) -> bool:
    params = [p.strip().upper() for p in head.split(b";")[1:]]
    return b"ENCODING=QUOTED-PRINTABLE" in params or b"QUOTED-PRINTABLE" in params


def logical_lines(data: bytes) -> list[bytes]:
    """Unfolded lines: a line starting with a blank continues the one before; a
    quoted-printable line ending in ``=`` continues on the next (2.1 soft break)."""
    out: list[bytes] = []
    for raw in _physical(data):
        if out and raw[:1] in (b" ", b"\t"):
            out[-1] += raw[1:]
        elif out and _is_qp(out[-1].partition(b":")[0]) and out[-1].endswith(b"="):
            out[-1] = out[-1][:-1] + raw
        else:
            out.append(raw)
    return [line for line in out if line]


def parse_line(raw: bytes) -> Line:
    head, _, value = raw.partition(b":")
    name_part, *params = head.decode("ascii").split(";")
    group, _, name = name_part.rpartition(".")
    upper = tuple(p.strip().upper() for p in params)
    charset = next((p.split("=", 1)[1] for p in upper if p.startswith("CHARSET=")), "UTF-8")
    if "ENCODING=QUOTED-PRINTABLE" in upper or "QUOTED-PRINTABLE" in upper:
        value = binascii.a2b_qp(value)
    text = value.decode(charset).replace("\r\n", "\n")
    return Line(group.lower(), name.upper(), upper, text)


def _unescape(text: str, version: str) -> str:
    if version == "2.1":
        return text.replace("\\;", ";")
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _split(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` not escaped by a backslash (escapes kept)."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i : i + 2]
            i += 2
            continue
        if text[i] == sep:
            parts.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    parts.append(current)
    return parts


def normal_value(line: Line, version: str) -> str:
    """What a line's value says (see the module docstring)."""
    if line.name in _STRUCTURED:
        parts = [_unescape(p, version).strip() for p in _split(line.value, ";")]
        while parts and not parts[-1]:
            parts.pop()
        return ";".join(parts)
    if line.name in _LISTS:
        return ",".join(_unescape(p, version).strip() for p in _split(line.value, ","))
    text = _unescape(line.value, version)
    if line.name == "EMAIL":
        return text.strip().casefold()
    if line.name == "TEL":
        return phone_key(text)
    return text.strip()


def read(data: bytes) -> Read:
    lines = [parse_line(raw) for raw in logical_lines(data)]
    version = next((ln.value.strip() for ln in lines if ln.name == "VERSION"), "3.0")
    uid = next((ln.value.strip() for ln in lines if ln.name == "UID"), None)
    fields: set[Field] = set()
    fn = n = ""
    for ln in lines:
        if ln.name in _STRUCTURE or ln.name in STAMPS:
            continue
        value = normal_value(ln, version)
        fields.add((ln.name, value))
        if ln.name == "FN":
            fn = value
        elif ln.name == "N":
            n = " ".join(reversed([p for p in value.split(";")[:2] if p]))
    emails = frozenset(v for k, v in fields if k == "EMAIL")
    phones = frozenset(v for k, v in fields if k == "TEL")
    return Read(version, uid, fn or n, frozenset(fields), emails, phones)


def name_key(name: str) -> str:
    """A name with case, punctuation and word order left out (the matching rule)."""
    words = re.sub(r"[^\w\s]|_", " ", name.casefold()).split()
    return " ".join(sorted(words))


def union(cards: Iterable[Read]) -> frozenset[Field]:
    out: set[Field] = set()
    for card in cards:
        out |= card.fields
    return frozenset(out)
