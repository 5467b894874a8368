"""Find the vCards in a stream of bytes without decoding or parsing it.

A ``.vcf`` file is split into card spans (``BEGIN:VCARD`` … ``END:VCARD`` with the END line's
line break) and the gaps around them; nothing is normalised, so joining the pieces again gives
back the exact bytes. The scan works on bytes with one regular expression, in linear time.
:func:`find_value` recovers a UID or a name from a card the codec refuses, and
:func:`single_card_problem` is the cheap check that one file holds exactly one card.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

# A BEGIN/END line: at the start of the data or after a line feed, optionally after a UTF-8
# BOM (files concatenated from several exports carry one per export). The leading "\n" gives
# the regex engine a literal to scan for, which keeps a 100 MB file well under a second.
_MARK = re.compile(rb"\n(?:\xef\xbb\xbf)?(BEGIN|END):VCARD[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_FIRST = re.compile(rb"(?:\xef\xbb\xbf)?(BEGIN|END):VCARD[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# vCard 2.1 embeds a nested card after an empty AGENT property: "AGENT:" then BEGIN:VCARD.
_AGENT = re.compile(rb"(?:[A-Za-z0-9-]+\.)?AGENT(?:;[^:\r\n]*)?:[ \t]*\r?\n\Z", re.IGNORECASE)
# Anything in a gap that looks like part of a card (or binary data that may hide cards).
_CARDLIKE = re.compile(rb"(?:BEGIN|END)[ \t]*:[ \t]*VCARD|\x00", re.IGNORECASE)
_QP_PARAM = re.compile(r";(?:ENCODING=)?(?:QUOTED-PRINTABLE|QUOTED)(?=[;:]|$)")
_CHARSET_PARAM = re.compile(r";CHARSET=([^;:]+)")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)

NO_END = "no END:VCARD line (the card is cut off)"


@dataclass(frozen=True, slots=True)
class Span:
    """One card at ``data[start:end]``; ``problem`` says why it is broken (None: complete)."""

    start: int
    end: int
    problem: str | None = None


def _marks(data: bytes) -> list[tuple[bool, int, int]]:
    """Every BEGIN/END line as (is_begin, start of the keyword, end of the line break)."""
    found = []
    first = _FIRST.match(data)
    if first is not None:
        found.append(first)
    found.extend(_MARK.finditer(data))
    marks = []
    size = len(data)
    for m in found:
        end = m.end()
        if end < size and data[end] == 0x0A:
            end += 1
        marks.append((m.group(1).upper() == b"BEGIN", m.start(1), end))
    return marks


def _after_agent(data: bytes, line_start: int) -> bool:
    """True when the line before ``line_start`` is an empty AGENT property (2.1 nesting)."""
    prev = data.rfind(b"\n", 0, max(line_start - 1, 0)) + 1
    return _AGENT.match(data, prev, line_start) is not None


def split_cards(data: bytes) -> list[Span]:
    """The card spans of ``data`` in order; the bytes between them are gaps.

    A BEGIN while a card is open starts a new card (the open one has no END) unless it
    follows an empty AGENT line; an END without a BEGIN belongs to a gap."""
    spans: list[Span] = []
    open_at = -1
    depth = 0
    for is_begin, start, end in _marks(data):
        if is_begin:
            if open_at < 0:
                open_at, depth = start, 1
            elif _after_agent(data, start):
                depth += 1
            else:
                spans.append(Span(open_at, _line_start(data, start), NO_END))
                open_at, depth = start, 1
        elif open_at >= 0:
            depth -= 1
            if depth == 0:
                spans.append(Span(open_at, end))
                open_at = -1
    if open_at >= 0:
        spans.append(Span(open_at, len(data), NO_END))
    return spans


def _line_start(data: bytes, keyword_at: int) -> int:
    """Where the line holding the keyword at ``keyword_at`` begins (before any BOM)."""
    return data.rfind(b"\n", 0, keyword_at) + 1


def cardlike(gap: bytes) -> bool:
    """True when a gap holds something that may be a damaged card, or binary data."""
    return _CARDLIKE.search(gap) is not None


def line_break(data: bytes) -> bytes:
    """The line break ``data`` uses (CRLF when its first line break is one; else LF)."""
    at = data.find(b"\n")
    if at > 0 and data[at - 1] == 0x0D:
        return b"\r\n"
    return b"\r\n" if at < 0 else b"\n"


def find_value(raw: bytes, prop: str) -> str | None:
    """The first value of property ``prop`` in ``raw`` decoded as the vCard codec decodes it
    (folds, quoted-printable, CHARSET, backslash escapes), stripped; None if absent.

    A line scan for damaged cards the codec refuses, to recover their UID or name. None as
    well when the value cannot be decoded with certainty."""
    head = re.compile(
        rb"^(?:[A-Za-z0-9_-]+\.)?" + re.escape(prop.encode("ascii")) + rb"((?:;[^:\r\n]*)?):",
        re.IGNORECASE | re.MULTILINE,
    )
    m = head.search(raw)
    if m is None:
        return None
    params = m.group(1).decode("ascii", errors="replace").upper()
    qp = _QP_PARAM.search(params) is not None
    value = _logical_value(raw, m.end(), qp)
    if qp:
        value = binascii.a2b_qp(value)
    charset = _CHARSET_PARAM.search(params)
    try:
        text = value.decode(charset.group(1) if charset else "utf-8")
    except (LookupError, UnicodeDecodeError):
        return None
    return _ESCAPED.sub(lambda e: "\n" if e.group(1) in "nN" else e.group(1), text).strip() or None


def _logical_value(raw: bytes, start: int, qp: bool) -> bytes:
    """The value from ``start`` to the end of its logical line: folds (a line break and one
    space or tab) removed, and quoted-printable soft line breaks ("=" at the end)."""
    pieces: list[bytes] = []
    pos = start
    while True:
        end = raw.find(b"\n", pos)
        line = raw[pos:] if end < 0 else raw[pos:end]
        line = line.removesuffix(b"\r")
        soft = qp and line.endswith(b"=")
        pieces.append(line[:-1] if soft else line)
        if end < 0:
            break
        pos = end + 1
        if soft:
            continue
        if raw[pos : pos + 1] not in (b" ", b"\t"):
            break
        pos += 1
    return b"".join(pieces)


_BEGIN = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*BEGIN:VCARD\s*$", re.I | re.M)
_END = re.compile(rb"^END:VCARD\s*\Z", re.I | re.M)


def quick_card_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be a vCard, by its ends alone (None: it may well be one).

    For reads on the sync's hot path; full validation is the codec's, at change detection."""
    if not data.strip():
        return "the file is empty"
    if b"\x00" in data:
        return "binary data, not a vCard"
    if not _BEGIN.match(data[:64]):
        return "not a vCard (no BEGIN:VCARD line)"
    if not _END.search(data[-64:]):
        return "no END:VCARD line (the card is cut off)"
    return None


def single_card_problem(data: bytes) -> str | None:
    """Why ``data`` is not exactly one complete vCard (None when it is).

    A cheap byte check, no parsing: empty, binary, no BEGIN, no END, several cards."""
    if not data.strip():
        return "the file is empty"
    if b"\x00" in data:
        return "binary data, not a vCard"
    spans = split_cards(data)
    if not spans:
        return "not a vCard (no BEGIN:VCARD line)"
    broken = next((s.problem for s in spans if s.problem is not None), None)
    if broken is not None:
        return broken
    if len(spans) > 1:
        return f"it holds {len(spans)} cards where one is expected"
    return None
