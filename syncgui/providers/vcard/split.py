"""Find the vCards in a stream of bytes without decoding or parsing it.

A ``.vcf`` file is split into card spans (``BEGIN:VCARD`` … ``END:VCARD`` with the END line's
line break) and the gaps around them; nothing is normalised, so joining the pieces again gives
back the exact bytes. The scan works on bytes, in linear time (one regular expression finds
every ``:VCARD``). :func:`find_value` recovers a UID or a name from a card the codec refuses,
and :func:`single_card_problem` is the cheap check that one file holds exactly one card
(:mod:`syncgui.providers.vcard.sniff` has the cheaper ones that need no split).

Where a card starts and ends. A line break is LF, CRLF, iOS's CR CR LF or a lone CR.

* An END line (``END:VCARD``, any case, trailing blanks allowed) ends the open card; so
  does an ``END:VCARD`` with the next card's ``BEGIN:VCARD`` right after it on its line
  (files joined with ``cat`` when the first did not end with a line break).
* A line that starts with ``BEGIN:VCARD`` (after an optional UTF-8 byte order mark, any
  case, even with other text after it) starts a card. While a card is open it ends that
  card as cut off (it had no END line), also right after a quoted-printable soft break —
  unless the line before it is an empty ``AGENT:`` property: that is a vCard 2.1 card nested
  in the open one (one level deep).
* A ``BEGIN:VCARD`` that ends a line after other text on it, with no folded continuation
  after it, is the start of the next card glued to the cut-off end of the open one
  (``NOTE:cut here`` + ``BEGIN:VCARD``, or a fold's blank before it): the open card ends
  before it, cut off. After an ``AGENT:`` header (``AGENT:BEGIN:VCARD``) it is a nested 2.1
  card instead. With no card open it starts one, unless only blanks precede it on its line
  (an indented BEGIN outside a card stays in a gap).
* A nested card counts as nested only when its outer card ends with an END line: an outer
  card cut off ends before its first nested card, and every card taken for one of its
  agents is read as a card of its own (what lies between them is reported as text between
  cards). The card taken for an agent may well be the next card of the file after a card
  cut off right after its ``AGENT:`` line: read on its own, it is never lost.

So a legitimate card is never split by what its values say: ``BEGIN:VCARD`` inside a value
is followed by more text on its line (a 3.0 ``AGENT:BEGIN:VCARD\\nFN:…`` value is one line
with escaped line breaks; a NOTE may mention it). The one shape that is split although it
may be intact is a value that *ends* with the text ``BEGIN:VCARD`` at a real line break (or
a 2.1 quoted-printable continuation line that is exactly that text): the card is then
reported as cut off and kept as it is, and the rest may be read as a card of its own;
nothing is lost. Anything between cards but blank lines and byte order marks is reported by
:func:`cardlike`. The codec (:func:`~.card.parse_card`) refuses as one card whatever this
splitter reads as more than one, so a folder and a ``.vcf`` file agree on what is damaged.
"""

from __future__ import annotations

import binascii
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from syncgui.providers.vcard.sniff import text_problem
from syncgui.providers.vcard.text import decode_charset

# Every ":VCARD" (any case); the literal ":" lets the regex engine scan a 100 MB file in a
# fraction of a second. What is before and after it is looked at in Python, per hit.
# Group 1: the rest of the line when it is blanks and a line break (or the end of the data).
_VCARD = re.compile(rb":(?i:vcard)([ \t]*(?:\r*\n|\r|\Z))?")


def _any_case(word: bytes) -> frozenset[bytes]:
    """``word`` (lower-case letters) in every mix of upper and lower case."""
    return frozenset(bytes(c) for c in itertools.product(*((x, x - 32) for x in word)))


_BEGINS, _ENDS = _any_case(b"begin"), _any_case(b"end")
_GLUED_BEGINS = frozenset(
    begin + b":" + vcard for begin in _BEGINS for vcard in _any_case(b"vcard")
)
_BOM = b"\xef\xbb\xbf"
_FOLDS = (b" ", b"\t")
_REST_OF_LINE = re.compile(rb"[^\r\n]*(?:\r*\n|\r|\Z)")
# vCard 2.1 embeds a nested card after an empty AGENT property: "AGENT:" then BEGIN:VCARD.
_AGENT_HEAD = re.compile(rb"[ \t]*(?:[A-Za-z0-9_-]+\.)?AGENT(?:;[^:\r\n]*)?:[ \t]*", re.IGNORECASE)
# Anything in a gap but blank lines, byte order marks and a DOS end-of-file mark.
_BLANK_GAP = re.compile(rb"(?:[ \t\r\n\f\v\x1a]|\xef\xbb\xbf)*")
# One physical line and its line break (LF, CRLF, CR CR LF or a lone CR).
_PHYSICAL_LINE = re.compile(rb"([^\r\n]*)(?:\r*\n|\r|\Z)")
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


# What a mark is: an END line, a BEGIN line, a BEGIN glued after other text on its line,
# a BEGIN:VCARD with other text after it on its line.
_END_LINE, _BEGIN_LINE, _BEGIN_GLUED, _BEGIN_INEXACT = range(4)
# A mark: (kind, at, cut, end). ``at``: where a card it starts begins (the keyword); ``cut``:
# where a card it cuts off ends (its line's start; for a glued BEGIN the keyword, before a
# byte order mark); ``end``: the end of its line, the line break included.
_Mark = tuple[int, int, int, int]


def _line_start(data: bytes, pos: int, floor: int) -> int:
    """Where the line holding ``pos`` starts (a lone CR counts as a line break), looking
    back no further than ``floor``: the line start of the mark before, so that every
    search covers only the bytes since that mark and the whole split stays linear."""
    return max(data.rfind(b"\n", floor, pos), data.rfind(b"\r", floor, pos), floor - 1) + 1


def _marks(data: bytes) -> Iterator[_Mark]:
    """Every BEGIN and END of a card in ``data``, in order (see the module's rules)."""
    for hit in _VCARD.finditer(data):  # the hot loop: about two hits per card
        colon, end = hit.span()
        if colon >= 5 and data[colon - 5 : colon] in _BEGINS:
            at, kind = colon - 5, _BEGIN_LINE
        elif colon >= 3 and data[colon - 3 : colon] in _ENDS:
            at, kind = colon - 3, _END_LINE
        else:
            continue
        lead = at - 3 if at >= 3 and data[at - 3 : at] == _BOM else at
        ends_line = hit.group(1) is not None
        if lead == 0 or data[lead - 1] in b"\r\n":  # at the start of a line
            if ends_line:
                yield kind, at, lead, end
            elif kind == _BEGIN_LINE:  # with other text after it: a damaged card all the same
                rest = _REST_OF_LINE.match(data, end)
                yield _BEGIN_INEXACT, at, lead, rest.end() if rest is not None else len(data)
            elif data[end : end + 14].removeprefix(_BOM)[:11] in _GLUED_BEGINS:
                yield _END_LINE, at, lead, end  # END:VCARD with the next card glued to it
        elif kind == _BEGIN_LINE and ends_line and data[end : end + 1] not in _FOLDS:
            yield _BEGIN_GLUED, at, lead, end


def _nested(data: bytes, mark: _Mark, floor: int) -> bool:
    """True when ``mark`` starts a vCard 2.1 card nested after an ``AGENT:`` header: an
    empty AGENT line before its line, or (glued) on its line before it."""
    kind, at, cut, _ = mark
    if kind == _BEGIN_GLUED:
        return _AGENT_HEAD.fullmatch(data, _line_start(data, at, floor), cut) is not None
    if kind != _BEGIN_LINE:
        return False
    end = cut  # the end of the line before, its line break (LF, CRLF, CR CR LF, CR) left out
    if end > floor and data[end - 1] == 0x0A:
        end -= 1
    while end > floor and data[end - 1] == 0x0D and cut - end < 3:
        end -= 1
    if end == cut:
        return False
    return _AGENT_HEAD.fullmatch(data, _line_start(data, end, floor), end) is not None


def _blank_before(data: bytes, mark: _Mark, floor: int) -> bool:
    """True when only blanks precede a glued BEGIN on its line."""
    cut = mark[2]
    return not data[_line_start(data, cut, floor) : cut].strip()


def split_cards(data: bytes) -> list[Span]:
    """The card spans of ``data`` in order; the bytes between them are gaps (see the
    module's rules for where a card starts and ends)."""
    spans: list[Span] = []
    open_at = -1  # where the open card starts (-1: none is open)
    nested: list[tuple[_Mark, int]] = []  # cards nested in the open one: (BEGIN, end or -1)
    floor = 0  # the line start of the mark before: no line of a later mark starts earlier
    for mark in _marks(data):
        kind, at, cut, end = mark
        inside = bool(nested) and nested[-1][1] < 0  # in a nested card
        if open_at < 0:
            if kind != _END_LINE and not (
                kind == _BEGIN_GLUED and _blank_before(data, mark, floor)
            ):
                open_at, nested = at, []  # (an END without a BEGIN belongs to a gap)
        elif kind == _END_LINE:
            if inside:
                nested[-1] = (nested[-1][0], end)
            else:
                spans.append(Span(open_at, end))
                open_at = -1
        elif not inside and _nested(data, mark, floor):
            nested.append((mark, -1))  # one level deep only
        else:
            spans.extend(_cut_off(open_at, cut, nested))
            open_at, nested = at, []
        floor = cut if kind != _BEGIN_GLUED else end
    if open_at >= 0:
        spans.extend(_cut_off(open_at, len(data), nested))
    return spans


def _cut_off(start: int, cut: int, nested: list[tuple[_Mark, int]]) -> list[Span]:
    """The spans of a card at ``start`` that has no END line and ends at ``cut``. The cards
    nested in it are split off as cards of their own (what lies between them is left to
    the gaps, where it is reported)."""
    if not nested:
        return [Span(start, cut, NO_END)]
    spans = [Span(start, nested[0][0][2], NO_END)]
    for (_, at, _, _), end in nested:
        spans.append(Span(at, cut, NO_END) if end < 0 else Span(at, end))
    return spans


def cardlike(gap: bytes) -> bool:
    """True when a gap holds anything but blank lines and byte order marks: what is left of
    a card cut off inside its BEGIN line, a card the rules above cannot place, binary data."""
    return _BLANK_GAP.fullmatch(gap) is None


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
        rb"(?:^|(?<=\r))(?:[A-Za-z0-9_-]+\.)?"
        + re.escape(prop.encode("ascii"))
        + rb"((?:;[^:\r\n]*)?):",
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
    # as Param.values() reads it: quotes dropped, the first of several values
    text = decode_charset(
        value, charset.group(1).replace('"', "").split(",")[0] if charset else None
    )
    if text is None:
        return None
    return _ESCAPED.sub(lambda e: "\n" if e.group(1) in "nN" else e.group(1), text).strip() or None


def _logical_value(raw: bytes, start: int, qp: bool) -> bytes:
    """The value from ``start`` to the end of its logical line: folds (a line break and one
    space or tab) removed, and quoted-printable soft line breaks ("=" at the end)."""
    pieces: list[bytes] = []
    pos = start
    while True:
        found = _PHYSICAL_LINE.match(raw, pos)
        if found is None:  # pragma: no cover - it matches anywhere, if only at the end
            break
        line = found.group(1)
        soft = qp and line.endswith(b"=")
        pieces.append(line[:-1] if soft else line)
        pos = found.end()
        if pos == found.end(1):  # no line break: the end of the data
            break
        if soft:
            continue
        if raw[pos : pos + 1] not in (b" ", b"\t"):
            break
        pos += 1
    return b"".join(pieces)


def single_card_problem(data: bytes) -> str | None:
    """Why ``data`` is not exactly one complete vCard (None when it is).

    A cheap byte check, no parsing: empty, binary, no BEGIN, no END, several cards."""
    problem = text_problem(data)
    if problem is not None:
        return problem
    spans = split_cards(data)
    if not spans:
        return "not a vCard (no BEGIN:VCARD line)"
    broken = next((s.problem for s in spans if s.problem is not None), None)
    if broken is not None:
        return broken
    if len(spans) > 1:
        return f"it holds {len(spans)} cards where one is expected"
    return None
