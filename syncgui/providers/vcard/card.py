"""Content-line model of one vCard that keeps the card's original bytes.

:func:`parse_card` validates a card and splits it into logical lines without decoding any
value: each :class:`ContentLine` holds the exact bytes it was read from (folds,
quoted-printable soft line breaks and its line ending included), so lines nobody changed
are written back byte-identical. Values are decoded only when asked for.

Handles vCard 2.1 (quoted-printable with soft line breaks and unindented continuation
lines, ``CHARSET``, bare types such as ``TEL;CELL;VOICE``, base64 blocks ended by a blank
line), 3.0 (``itemN.`` groups) and 4.0. Does not import vobject.

Every failure is a :class:`BadItem` that says why, and the parse takes linear time whatever
the input. Refused besides what is not a vCard at all: UTF-16 and UTF-32, CR-only line ends,
a card inside a card (vCard 2.1 agents included), and two cards joined into one — a BEGIN
or an END line inside, two VERSION lines or two different UIDs, or bytes the ``.vcf``
splitter (:mod:`.split`) would read as more than one card.

Speed: a plain card (UTF-8, no quoted-printable soft breaks, no colon inside a quoted
parameter value, no header folded before its colon) is checked with a few regular-expression
scans and its lines are split only when :attr:`Card.lines` is first used; :meth:`Card.first`
finds single lines without splitting the rest. Every other card goes through the
line-by-line parser at once.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from syncgui.engine.errors import BadItem
from syncgui.providers.vcard.sniff import wide_encoding
from syncgui.providers.vcard.text import (
    decode_bytes,
    split_escaped,
    split_outside_quotes,
    unescape,
)

# A property name: RFC 6350 allows letters, digits and "-"; "_" and "/" are read as well
# (vCard 2.1 allows any word; KDE writes "X-messaging/aim-All").
_NAME = rb"(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_/-]+)"
# A logical line ends at a line feed that is not followed by a space or tab (a fold).
_LOGICAL_SPLIT = re.compile(rb"\n(?![ \t])")
_HEAD = re.compile(_NAME + rb"([;:])")
# line breaks may be iOS's CR CR LF as well
_FOLD = re.compile(rb"\r*\n[ \t]")
_SOFT_BREAK = re.compile(rb"=\r*\n")
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/=]+\r*\n?")
_BLANK_LINES = re.compile(rb"(?:\r*\n)*")
_BOM = b"\xef\xbb\xbf"
_SOFT_ENDS = (b"=\r\n", b"=\n", b"=\r\r\n")
_CARD_EDGES = (b"END:VCARD", b"BEGIN:VCARD")
# Fast path: a card body in which every line start is a fold, a blank line or a simple
# property whose colon is on the same physical line (no colon in quoted parameters), no
# line ends with "=" before an unindented line (a possible quoted-printable soft break),
# and no BEGIN or END line occurs inside.
_FAST_START = re.compile(rb"((?:\xef\xbb\xbf)?\s*)(?i:BEGIN:VCARD)(\r?\n)")
_FAST_END = re.compile(rb"\n(?i:END:VCARD)(?:\r?\n)*\Z")
# Possessive repeats and the quoted parameter values as an unrolled loop (runs of plain
# bytes, then one quoted value at a time) instead of an alternation per byte: the same
# language, but half the time (this scan is most of what a plain card costs).
_FAST_SUSPECT = re.compile(
    rb"\n(?:(?i:BEGIN|END)[;:]"
    rb"|(?![ \t]|\r*\n|(?:[A-Za-z0-9_-]++\.)?[A-Za-z0-9_/-]++"
    rb"(?:;[^:\r\n\"]*+(?:\"[^\"\r\n:]*+\"[^:\r\n\"]*+)*+)?:))"
)
_FAST_SOFT_BREAK = re.compile(rb"=\r*\n(?![ \t])")
_VCARDS = re.compile(rb":(?i:vcard)")
# VERSION and UID lines without a group (and QP continuation lines that look like them): a
# quick count, for the common case of one of each
_IDENTITY = re.compile(rb"\n((?i:VERSION|UID))[;:]")
_NAME_CACHE: dict[bytes, str] = {}
_FINDERS: dict[tuple[str, ...], re.Pattern[bytes]] = {}

# vCard 2.1 bare parameters that are not types
_BARE_ENCODINGS = frozenset({"QUOTED-PRINTABLE", "QUOTED", "BASE64", "8BIT", "7BIT", "B"})
_BARE_VALUES = frozenset({"INLINE", "URL", "URI", "CONTENT-ID", "CID"})


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter as written. A vCard 2.1 bare parameter (``TEL;CELL``) has ``bare``
    set and the name it stands for: TYPE, ENCODING (``QUOTED-PRINTABLE``) or VALUE."""

    name: str
    value: str
    bare: bool = False

    def values(self) -> tuple[str, ...]:
        """The comma-separated values (``TYPE=HOME,WORK``, ``TYPE="home,work"``)."""
        return tuple(self.value.replace('"', "").split(","))


class ContentLine:
    """One logical line of a card: parsed name, undecoded value, original bytes."""

    __slots__ = ("_params", "colon", "group", "name", "raw", "semi")

    def __init__(self, raw: bytes, colon: int, semi: int, group: str | None, name: str) -> None:
        self.raw = raw  # original bytes, including folds and the line ending
        self.colon = colon  # offset of the separating colon in ``raw``
        self.semi = semi  # offset of the first ";" in the unfolded header, or -1
        self.group = group  # as written, e.g. "item1"
        self.name = name  # upper-cased property name
        self._params: tuple[Param, ...] | None = None

    def __repr__(self) -> str:
        return f"ContentLine({self.raw[:60]!r})"

    @property
    def key(self) -> str:
        """``GROUP.NAME`` in upper case, or NAME for a line without group."""
        return f"{self.group.upper()}.{self.name}" if self.group else self.name

    def header(self) -> str:
        """Everything before the colon, unfolded: ``group.NAME;params``."""
        head = self.raw[: self.colon]
        if b"\n" in head:
            head = _FOLD.sub(b"", head)
        return head.decode("utf-8", errors="replace")

    @property
    def params(self) -> tuple[Param, ...]:
        if self._params is None:
            text = self.header()[self.semi + 1 :] if self.semi >= 0 else ""
            self._params = _parse_params(text) if text else ()
        return self._params

    def param(self, name: str) -> tuple[str, ...]:
        """All values of parameter ``name`` (upper case), bare 2.1 parameters included."""
        return tuple(v for p in self.params if p.name == name for v in p.values())

    @property
    def encoding(self) -> str | None:
        found = self.param("ENCODING")
        return found[0].upper() if found else None

    @property
    def charset(self) -> str | None:
        found = self.param("CHARSET")
        return found[0] if found else None

    @property
    def is_qp(self) -> bool:
        if self.semi < 0 or b"QUOTED" not in self.raw[self.semi : self.colon].upper():
            return False  # cheap test first: this is asked while splitting lines
        return self.encoding in ("QUOTED-PRINTABLE", "QUOTED")

    @property
    def line_ending(self) -> bytes:
        return b"\r\n" if self.raw.endswith(b"\r\n") else b"\n" if self.raw.endswith(b"\n") else b""

    @property
    def value(self) -> bytes:
        """The raw value: unfolded and without soft line breaks, still encoded."""
        value = self.raw[self.colon + 1 :].rstrip(b"\r\n")
        if b"\n" not in value:
            return value
        if self.is_qp:
            value = _SOFT_BREAK.sub(b"", value)
        return _FOLD.sub(b"", value).replace(b"\r", b"").replace(b"\n", b"")

    def raw_text(self) -> str:
        """The value decoded from quoted-printable and its charset, escapes kept (a
        quoted-printable CRLF becomes a plain newline)."""
        if self.semi < 0:  # no parameters: neither quoted-printable nor a charset
            return decode_bytes(self.value, None)
        value = self.value
        if self.is_qp:
            value = binascii.a2b_qp(value).replace(b"\r\n", b"\n")
        return decode_bytes(value, self.charset)

    def text(self) -> str:
        """The decoded value with backslash escapes resolved (components not split)."""
        return unescape(self.raw_text())

    def components(self, sep: str = ";") -> tuple[str, ...]:
        """A structured value (N, ADR, ORG) split at unescaped ``sep`` and unescaped."""
        return tuple(unescape(part) for part in split_escaped(self.raw_text(), sep))


class Card:
    """One valid card. ``prefix + b"".join(line.raw for line in lines) + suffix`` is the
    original data; ``lines`` runs from BEGIN:VCARD to END:VCARD, both included."""

    __slots__ = ("_lines", "_version", "data", "eol", "prefix", "suffix", "what")

    def __init__(
        self,
        data: bytes,
        *,
        prefix: bytes,
        suffix: bytes,
        eol: bytes,
        lines: tuple[ContentLine, ...] | None,
        what: str,
    ) -> None:
        self.data = data
        self.prefix = prefix  # whitespace (or a byte order mark) before BEGIN:VCARD
        self.suffix = suffix  # whitespace after END:VCARD
        self.eol = eol  # line ending of the BEGIN line: b"\r\n" or b"\n"
        self.what = what
        self._lines = lines
        self._version: str | None = None

    @property
    def version(self) -> str:
        """``"2.1"``, ``"3.0"`` or ``"4.0"``; found when first asked for (describing a card
        never needs it)."""
        if self._version is None:
            line = self.first("VERSION")
            self._version = normalize_version(line.value.strip()) if line else "3.0"
        return self._version

    @property
    def lines(self) -> tuple[ContentLine, ...]:
        if self._lines is None:
            self._lines = _Parser(self.data, self.what, True).run().lines
        return self._lines

    def find(self, name: str) -> Iterator[ContentLine]:
        """Lines named ``name`` (upper case), in card order, whatever their group."""
        return (line for line in self.lines if line.name == name)

    def first(self, *names: str) -> ContentLine | None:
        """The first line named one of ``names`` (upper case), whatever its group."""
        if self._lines is not None:
            return next((line for line in self._lines if line.name in names), None)
        finder = _FINDERS.get(names) or _finder(names)
        found = finder.search(self.data)
        return None if found is None else _line_at(self.data, found)

    def end_of(self, name: str) -> int | None:
        """The offset in :attr:`data` just after the first line named ``name`` (the blank
        lines that belong to it included): where :meth:`rebuild` puts what goes after that
        line. None when there is no such line. Splits no lines of a plain card."""
        if self._lines is not None:
            at = len(self.prefix)
            for line in self._lines:
                at += len(line.raw)
                if line.name == name:
                    return at
            return None
        found = (_FINDERS.get((name,)) or _finder((name,))).search(self.data)
        return None if found is None else _line_end(self.data, found.end())

    def index_of(self, name: str) -> int | None:
        return next((i for i, line in enumerate(self.lines) if line.name == name), None)

    def rebuild(
        self,
        replace: Mapping[int, Sequence[bytes]],
        after: Mapping[int, Sequence[bytes]] | None = None,
    ) -> bytes:
        """The card's bytes with line ``i`` replaced by ``replace[i]`` (an empty sequence
        drops it) and ``after[i]`` inserted after line ``i``; all else byte-identical."""
        after = after or {}
        out = [self.prefix]
        for i, line in enumerate(self.lines):
            out.extend(replace.get(i, (line.raw,)))
            out.extend(after.get(i, ()))
        out.append(self.suffix)
        return b"".join(out)


def normalize_version(text: bytes | str) -> str:
    """``"2.1"``, ``"3.0"`` or ``"4.0"`` from a VERSION value (3.0 when unknown)."""
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    if text.startswith("2"):
        return "2.1"
    if text.startswith("4"):
        return "4.0"
    return "3.0"


def parse_card(data: bytes, *, what: str = "The card") -> Card:
    """Parse one card; raise :class:`BadItem` naming what is wrong (``what`` starts it)."""
    if not data or data.isspace():
        raise BadItem(f"{what} is empty.")
    wide = wide_encoding(data)
    if wide is not None:
        raise BadItem(f"{what} is {wide} encoded; only UTF-8 vCards are supported.")
    if b"\0" in data:
        raise BadItem(f"{what} is not a vCard: it holds binary data.")
    utf8 = data.isascii() or _is_utf8(data)
    card = _fast_card(data, what) if utf8 else None
    if card is None:
        card = _Parser(data, what, utf8).card()
    _check_one_card(data, what)
    _check_identity(card, data, what)
    return card


def _check_identity(card: Card, data: bytes, what: str) -> None:
    """Refuse a card with two VERSION lines or two different UIDs: two cards joined (the
    BEGIN line between them damaged), whose identity cannot be told. A quick scan first;
    the lines are looked at only when it finds more than one of either."""
    found = _IDENTITY.findall(data)
    if len(found) < 2 or (len(found) == 2 and found[0].upper() != found[1].upper()):
        return
    versions = [line for line in card.lines if line.name == "VERSION"]
    if len(versions) > 1:
        raise BadItem(
            f"{what} is broken: it has {len(versions)} VERSION lines (two cards joined?)."
        )
    uids = {line.text().strip() for line in card.lines if line.name == "UID"}
    if len(uids) > 1:
        raise BadItem(f"{what} is broken: it has {len(uids)} different UIDs (two cards joined?).")


def _fast_card(data: bytes, what: str) -> Card | None:
    """The card with its lines split lazily, when it is a plain one (see the module)."""
    start = _FAST_START.match(data)
    end = _FAST_END.search(data, max(0, len(data) - 1024))
    if (
        start
        and end
        and not _FAST_SUSPECT.search(data, start.end() - 1, end.start())
        and not _FAST_SOFT_BREAK.search(data, start.end() - 1, end.start())
    ):
        rest = data[end.start() + 10 :]
        suffix = rest[2:] if rest.startswith(b"\r\n") else rest[1:]
        prefix, eol = start.group(1), start.group(2)
        return Card(data, prefix=prefix, suffix=suffix, eol=eol, lines=None, what=what)
    return None


def _check_one_card(data: bytes, what: str) -> None:
    """Refuse a card that the splitter of ``.vcf`` files would not read as one complete
    card: one cut off and joined to the next (``NOTE:cut BEGIN:VCARD`` at a line's end,
    a BEGIN after a fold's blank or a quoted-printable soft break), which the line parser
    reads as values. A plain card has two ``:VCARD``s; only then is the splitter asked."""
    if len(_VCARDS.findall(data)) <= 2:
        return
    from syncgui.providers.vcard.split import split_cards  # only for such a card: 2 ms to load

    spans = split_cards(data)
    if len(spans) == 1 and spans[0].problem is None:
        return
    if len(spans) > 1:
        number = data.count(b"\n", 0, spans[1].start) + 1
        raise BadItem(
            f"{what} is broken: line {number} starts another card (BEGIN:VCARD) before this "
            "one ended; a card cut off and the next one joined to it?"
        )
    problem = spans[0].problem if spans else "no BEGIN:VCARD line"
    raise BadItem(f"{what} is broken: {problem}.")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _remember_name(bname: bytes) -> str:
    name = bname.decode("ascii").upper()
    if len(_NAME_CACHE) < 2000:
        _NAME_CACHE[bname] = name
    return name


def _finder(names: tuple[str, ...]) -> re.Pattern[bytes]:
    alternatives = b"|".join(re.escape(name.encode("ascii")) for name in names)
    pattern = re.compile(rb"\n" + rb"(?:([A-Za-z0-9_-]+)\.)?(?i:(" + alternatives + rb"))([;:])")
    if len(_FINDERS) < 200:
        _FINDERS[names] = pattern
    return pattern


def _line_at(data: bytes, found: re.Match[bytes]) -> ContentLine:
    """The fast-path line whose header ``found`` matched (its blank lines attached)."""
    start = found.start() + 1
    raw = data[start : _line_end(data, found.end())]
    group, bname, sep = found.groups()
    head = found.end() - start
    colon = head - 1 if sep == b":" else raw.index(b":", head)
    name = _NAME_CACHE.get(bname) or _remember_name(bname)
    return ContentLine(
        raw, colon, -1 if sep == b":" else head - 1, group.decode() if group else None, name
    )


def _line_end(data: bytes, inside: int) -> int:
    """Where the fast-path line holding offset ``inside`` ends, its blank lines included."""
    after = _LOGICAL_SPLIT.search(data, inside)
    end = after.end() if after else len(data)
    return _BLANK_LINES.match(data, end).end()  # type: ignore[union-attr]  # always matches


@dataclass(frozen=True, slots=True)
class _Parsed:
    lines: tuple[ContentLine, ...]
    prefix: bytes
    suffix: bytes
    eol: bytes


class _Parser:
    """Walks the logical lines of one card (keeps what error messages need)."""

    def __init__(self, data: bytes, what: str, utf8: bool) -> None:
        self.data = data
        self.what = what
        self.utf8 = utf8
        self.lines: list[ContentLine] = []
        self.prefix = b""
        # logical lines with their line feed; the last one may have none
        chunks = _LOGICAL_SPLIT.split(data)
        last = chunks.pop()
        self.chunks = [chunk + b"\n" for chunk in chunks]
        if last:
            self.chunks.append(last)

    def fail(self, problem: str) -> BadItem:
        consumed = len(self.prefix) + sum(len(line.raw) for line in self.lines)
        number = self.data.count(b"\n", 0, consumed) + 1
        return BadItem(f"{self.what} is broken: line {number} {problem}.")

    def card(self) -> Card:
        parsed = self.run()
        return Card(
            self.data,
            prefix=parsed.prefix,
            suffix=parsed.suffix,
            eol=parsed.eol,
            lines=parsed.lines,
            what=self.what,
        )

    def run(self) -> _Parsed:
        chunks = self.chunks
        i = self._skip_prefix()
        lines = self.lines
        count = len(chunks)
        match = _HEAD.match
        names = _NAME_CACHE
        while i < count:  # the hot loop: keep it flat
            chunk = chunks[i]
            i += 1
            found = match(chunk)
            if found is None:
                i = self._irregular(chunk, i)
                continue
            group, bname, sep = found.groups()
            name = names.get(bname) or _remember_name(bname)
            if sep == b":":
                group_name = group.decode() if group else None
                line = ContentLine(chunk, found.end() - 1, -1, group_name, name)
            else:
                line = self._with_params(chunk, found.end(), group, name)
            if chunk.endswith(_SOFT_ENDS) and line.is_qp:
                line, i = self._soft_breaks(line, i)
            if not self.utf8:
                self._check_bytes(line)
            if name == "END":
                if line.value.strip().upper() == b"VCARD":
                    lines.append(line)
                    return self._finish(chunks[i:])
                raise self.fail("is an END line that does not end the card (two cards joined?)")
            if name == "BEGIN" and lines:
                if line.value.lstrip().upper().startswith(b"VCARD"):
                    raise self.fail("starts a nested BEGIN:VCARD (a card inside a card)")
                raise self.fail("is a BEGIN line inside the card (two cards joined?)")
            lines.append(line)
        raise BadItem(f"{self.what} is truncated: it has no END:VCARD line.")

    def _skip_prefix(self) -> int:
        """Keep whitespace (and a byte order mark) before BEGIN:VCARD as the prefix."""
        chunks = self.chunks
        for i, chunk in enumerate(chunks):
            stripped = chunk.removeprefix(_BOM).lstrip()
            if not stripped:
                self.prefix += chunk
                continue
            lead = len(chunk) - len(stripped)
            self.prefix += chunk[:lead]
            chunks[i] = stripped
            first = stripped.split(b"\n", 1)[0].rstrip()
            if first.upper() != b"BEGIN:VCARD":
                if first.upper().startswith(b"BEGIN:VCARD\r"):
                    raise BadItem(f"{self.what} uses old Mac line endings (CR only).")
                if not self.utf8:
                    raise BadItem(f"{self.what} is not a vCard: it holds binary data.")
                raise BadItem(f"{self.what} is not a vCard: it does not start with BEGIN:VCARD.")
            return i
        raise BadItem(f"{self.what} is empty.")  # pragma: no cover - data.strip() was checked

    def _with_params(self, chunk: bytes, end: int, group: bytes | None, name: str) -> ContentLine:
        colon = chunk.find(b":", end)
        if colon < 0:
            raise self.fail("has no colon (it is not a property)")
        if chunk.find(b'"', end, colon) >= 0:
            colon = self._quoted_colon(chunk, end)
        return ContentLine(chunk, colon, end - 1, group.decode() if group else None, name)

    def _irregular(self, chunk: bytes, i: int) -> int:
        """A chunk the fast path did not take: a blank line (kept with the line before
        it), an unindented continuation of a vCard 2.1 base64 block, a header folded
        inside its name; anything else is an error. ``i``: the index of the next chunk;
        returns the index of the next chunk not used here."""
        lines = self.lines
        if lines and self._attaches(lines[-1], lines[-1].raw, chunk):
            last = lines[-1]
            pieces = [last.raw, chunk]
            chunks = self.chunks
            # the blank and base64 lines that follow as well, joined once (linear time)
            while i < len(chunks) and self._attaches(last, pieces[-2][-3:] + pieces[-1], chunks[i]):
                pieces.append(chunks[i])
                i += 1
            joined = b"".join(pieces)
            lines[-1] = ContentLine(joined, last.colon, last.semi, last.group, last.name)
            return i
        colon = chunk.find(b":")
        if colon < 0:
            raise self.fail("has no colon (it is not a property)")
        found = _HEAD.match(_FOLD.sub(b"", chunk[: colon + 1]))
        if found is None:
            raise self.fail("has no valid property name before its colon")
        group, bname, sep = found.groups()
        semi = -1 if sep == b":" else found.end() - 1
        line = ContentLine(
            chunk, colon, semi, group.decode() if group else None, _remember_name(bname)
        )
        lines.append(line)
        return i

    @staticmethod
    def _attaches(last: ContentLine, raw_end: bytes, chunk: bytes) -> bool:
        """True when ``chunk`` belongs to the line ``last`` (whose bytes so far end with
        ``raw_end``): a blank line, or an unindented line of a 2.1 base64 block that no
        blank line has ended yet."""
        if not chunk.strip():
            return True
        return (
            last.semi >= 0
            and last.encoding in ("BASE64", "B")
            and not raw_end.endswith((b"\n\n", b"\n\r\n", b"\n\r\r\n"))
            and _BASE64_LINE.fullmatch(chunk) is not None
        )

    def _quoted_colon(self, chunk: bytes, start: int) -> int:
        quoted = False
        for i in range(start, len(chunk)):
            byte = chunk[i]
            if byte == 0x22:  # '"'
                quoted = not quoted
            elif byte == 0x3A and not quoted:  # ':'
                return i
        raise self.fail("has an unterminated quoted parameter value")

    def _soft_breaks(self, line: ContentLine, i: int) -> tuple[ContentLine, int]:
        """Join the physical lines that follow a quoted-printable soft line break (not an
        END or BEGIN line of a card: a value cut off there is not continued by it)."""
        pieces = [line.raw]
        chunks = self.chunks
        while pieces[-1].endswith(_SOFT_ENDS) and i < len(chunks):
            following = chunks[i]
            if following.strip().upper() in _CARD_EDGES:
                break
            pieces.append(following)
            i += 1
        raw = b"".join(pieces)
        return ContentLine(raw, line.colon, line.semi, line.group, line.name), i

    def _check_bytes(self, line: ContentLine) -> None:
        raw = line.raw
        if raw.isascii():
            return
        try:  # unfolded: a fold may split a UTF-8 sequence
            _FOLD.sub(b"", raw[: line.colon]).decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("has undecodable bytes in its name or parameters") from None
        if line.is_qp or line.charset:
            return
        try:
            line.value.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"({line.name}) is not valid UTF-8 and names no CHARSET") from None

    def _finish(self, rest: list[bytes]) -> _Parsed:
        suffix = b"".join(rest)
        if suffix.strip():
            if suffix.lstrip().upper().startswith(b"BEGIN:VCARD"):
                raise BadItem(f"{self.what} holds more than one card.")
            raise BadItem(f"{self.what} is broken: there is content after END:VCARD.")
        lines = tuple(self.lines)
        eol = b"\r\n" if lines[0].raw.endswith(b"\r\n") else b"\n"
        return _Parsed(lines, self.prefix, suffix, eol)


def _parse_params(text: str) -> tuple[Param, ...]:
    params: list[Param] = []
    for item in split_outside_quotes(text, ";"):
        name, eq, value = item.partition("=")
        name = name.strip()
        if eq:
            params.append(Param(name.upper(), value))
        elif name:
            upper = name.upper()
            if upper in _BARE_ENCODINGS:
                params.append(Param("ENCODING", name, bare=True))
            elif upper in _BARE_VALUES:
                params.append(Param("VALUE", name, bare=True))
            else:
                params.append(Param("TYPE", name, bare=True))
    return tuple(params)
