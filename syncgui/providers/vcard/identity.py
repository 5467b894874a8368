"""The keys that tell a card is the same contact as one in a store it never met.

:func:`match_keys` gives :class:`~syncgui.engine.itemformat.MatchKeys` for the engine's
matching (:mod:`syncgui.engine.matching`):

* ``content``: a digest of the card's lines with UID, REV and PRODID (and the BEGIN and
  END lines) left out, each line unfolded (quoted-printable soft line breaks of vCard 2.1
  included) and without line breaks (CR LF, LF, CR), its group, property name and
  parameter names in upper case, the lines sorted. Everything else counts as written:
  values byte for byte (still quoted-printable or escaped), parameter values and their
  order, bare 2.1 parameters (``TEL;CELL``), VERSION.
* ``name``: FN, else N as "given family", in Unicode NFKC, case-folded, ``.,;:"'()`` read
  as blanks and its words sorted: "Doe, John" and "john doe" agree. "" when the card has
  neither (an ORG or an EMAIL alone is no name).
* ``handles``: ``email:`` and each EMAIL value with an "@", stripped and case-folded;
  ``tel:`` and the digits of each TEL (of a ``tel:`` URI without its scheme and its
  parameters such as ``;ext=``). A number written internationally (a "+" before its first
  digit, or digits that start with "00", which are dropped) gives all its digits and, for a
  country code of one to three digits, the digits after it without one leading 0: "+44
  (0)20 7946 0018", "+44 20 7946 0018" and "020 7946 0018" share ``tel:2079460018``. A
  national number gives its digits without one leading trunk 0. A form of fewer than 6
  digits is dropped (extensions, short codes).

Values are decoded as the codec decodes them (quoted-printable, CHARSET, backslash
escapes; digits of any script count).

Speed (matching reads every new card of both stores): :func:`~.card.parse_card` validates
the card; then a card with no quoted-printable soft line break, no unindented base64 line
and no colon inside a quoted parameter value is read by one split of its unfolded bytes,
which gives the lines the codec gives (any other card is read through
:attr:`~.card.Card.lines`). The normal form of each distinct header (``TEL;type=CELL``) is
worked out once and kept; only FN (or N), EMAIL and TEL values are decoded, plain ASCII and
UTF-8 ones without the codec.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass

from syncgui.engine.errors import BadItem
from syncgui.engine.itemformat import MatchKeys
from syncgui.providers.vcard.card import Card, ContentLine, parse_card
from syncgui.providers.vcard.safety import unexpected
from syncgui.providers.vcard.text import decode_bytes, split_escaped, split_outside_quotes, unescape

log = logging.getLogger(__name__)

#: left out of ``content``: the card's frame and the stamps each store or export sets
NOT_CONTENT = frozenset({"BEGIN", "END", "UID", "REV", "PRODID"})
#: read as blanks in a name
NAME_PUNCTUATION = ".,;:\"'()"
#: the fewest digits a phone number handle has
MIN_PHONE_DIGITS = 6

_READ = frozenset({"FN", "N", "EMAIL", "TEL"})
_NAME_BLANKS = bytes.maketrans(NAME_PUNCTUATION.encode(), b" " * len(NAME_PUNCTUATION))
_NOT_DIGITS = bytes(c for c in range(256) if not 0x30 <= c <= 0x39)
_BEFORE_NUMBER = bytes(c for c in range(256) if not 0x30 <= c <= 0x39 and c != 0x2B)  # "+"
_FOLD = re.compile(rb"\r*\n[ \t]")
_BOM = b"\xef\xbb\xbf"
_HEADS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class _Head:
    """What matching needs of one header as written (``item1.TEL;type=CELL``)."""

    key: bytes  # its normal form: ``ITEM1.TEL;TYPE=CELL``
    content: bytes  # what its lines start with in the digest (``ITEM1.TEL;TYPE=CELL:``), or b""
    role: str  # the property name when a key reads its value (FN, N, EMAIL, TEL), else ""
    semi: int  # offset of its first ";", or -1
    qp: bool  # its value is quoted-printable
    plain: bool  # neither quoted-printable nor a CHARSET: the value is UTF-8 text


# the normal forms of the headers met so far (a few dozen distinct ones in most stores)
_HEADS: dict[bytes, _Head] = {}

# a line that a key reads: its header and its value (unfolded, no soft line breaks, no CR)
_Read = tuple[_Head, bytes]


def match_keys(raw: bytes) -> MatchKeys:
    """The keys of ``raw`` (see the module); raises BadItem, and only BadItem.

    As :func:`~.format.describe_card` does, a failure of the codec itself becomes a
    BadItem for this card alone, logged with its size, content hash and UID."""
    try:
        card = parse_card(raw)
        keys = _keys_of_plain(raw)
        return _keys_of_card(card) if keys is None else keys
    except BadItem:
        raise
    except Exception as err:  # the safety net: any other failure is this card's problem
        raise unexpected(raw, err, "read a card for matching") from err


def _keys_of_plain(raw: bytes) -> MatchKeys | None:
    """The keys of a valid card read from its bytes unfolded and split at line breaks, or
    None when those are not the lines the codec reads: a quoted-printable line may go on
    after a soft line break, a line is an unindented base64 line (it has no colon), or a
    line's first colon is inside a quoted parameter value."""
    data = raw.replace(b"\r", b"") if b"\r" in raw else raw
    soft = b"=\n" in data
    if b"\n " in data:
        data = data.replace(b"\n ", b"")
    if b"\n\t" in data:
        data = data.replace(b"\n\t", b"")
    if data[:1].isspace() or data.startswith(_BOM):
        data = data.lstrip().removeprefix(_BOM).lstrip()
    content: list[bytes] = []
    read: list[_Read] = []
    heads = _HEADS
    for line in data.split(b"\n"):
        head_bytes, colon, value = line.partition(b":")
        if not colon:
            if line.strip():
                return None
            continue
        head = heads.get(head_bytes)
        if head is None:
            if head_bytes.count(b'"') % 2:
                return None
            head = _head(head_bytes)
        if soft and head.qp:
            return None
        if head.content:
            content.append(head.content + value)
        if head.role:
            read.append((head, value))
    return _keys(content, read)


def _keys_of_card(card: Card) -> MatchKeys:
    """The keys of a card read through the codec's lines."""
    content: list[bytes] = []
    read: list[_Read] = []
    for line in card.lines:
        head_bytes = line.raw[: line.colon]
        if b"\n" in head_bytes:
            head_bytes = _FOLD.sub(b"", head_bytes)
        head_bytes = head_bytes.replace(b"\r", b"")
        head = _HEADS.get(head_bytes) or _head(head_bytes)
        value = line.value.replace(b"\r", b"")
        if head.content:
            content.append(head.content + value)
        if head.role:
            read.append((head, value))
    return _keys(content, read)


def _head(head: bytes) -> _Head:
    """The :class:`_Head` of an unfolded header, kept for the next card that has it."""
    semi = head.find(b";")
    prop = head if semi < 0 else head[:semi]
    name = prop.rpartition(b".")[2].decode("ascii", errors="replace").upper()
    key = prop.upper() + (b"" if semi < 0 else _params_key(head[semi:]))
    line = ContentLine(head + b":", len(head), semi, None, name)
    found = _Head(
        key=key,
        content=b"" if name in NOT_CONTENT else key + b":",
        role=name if name in _READ else "",
        semi=semi,
        qp=line.is_qp,
        plain=not line.is_qp and line.charset is None,
    )
    if len(_HEADS) < _HEADS_KEPT:
        _HEADS[head] = found
    return found


def _params_key(params: bytes) -> bytes:
    """``;type=CELL;pref`` as ``;TYPE=CELL;pref``: parameter names in upper case, values
    and bare parameters as written."""
    if b"=" not in params:
        return params
    items = split_outside_quotes(params.decode("utf-8", errors="surrogateescape"), ";")
    out = []
    for item in items:
        name, eq, value = item.encode("utf-8", errors="surrogateescape").partition(b"=")
        out.append(name.upper() + eq + value)
    return b";".join(out)


def _keys(content: list[bytes], read: list[_Read]) -> MatchKeys:
    """The keys of a card from its lines in the digest and the lines a key reads."""
    handles: set[str] = set()
    fn: _Read | None = None
    n: _Read | None = None
    for head, value in read:
        role = head.role
        if role == "TEL":
            if head.plain and value.isascii() and b"\\" not in value:
                _add_phone_keys(value, handles)  # the text the codec reads, as it is
            else:
                _add_phone_keys(_ascii_number(_text(head, value)), handles)
        elif role == "EMAIL":
            handles |= email_keys(_text(head, value))
        elif role == "FN":
            fn = fn or (head, value)
        else:
            n = n or (head, value)
    content.sort()
    digest = hashlib.sha1(b"\n".join(content), usedforsecurity=False).hexdigest()
    return MatchKeys(digest, _name(fn, n), frozenset(handles))


def _text(head: _Head, value: bytes) -> str:
    """The decoded value, backslash escapes resolved (as :meth:`ContentLine.text`)."""
    if head.plain:
        text = _plain_text(value)
        return unescape(text) if "\\" in text else text
    return _line(head, value).text()


def _plain_text(value: bytes) -> str:
    """A value with neither quoted-printable nor CHARSET, decoded with its escapes (as
    :meth:`ContentLine.raw_text`)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(value, None)


def _line(head: _Head, value: bytes) -> ContentLine:
    """A line the codec decodes as the card's own (a header's key reads as the header)."""
    return ContentLine(head.key + b":" + value, len(head.key), head.semi, None, head.role)


def _name(fn: _Read | None, n: _Read | None) -> str:
    """FN's words, else those of N's given and family name (see :func:`name_key`)."""
    if fn is not None and (name := name_key(_text(*fn))):
        return name
    if n is None:
        return ""
    head, value = n
    if head.plain:
        parts = [unescape(part) for part in split_escaped(_plain_text(value), ";")[:2]]
    else:
        parts = list(_line(head, value).components(";")[:2])
    return name_key(" ".join(parts))


def name_key(text: str) -> str:
    """``text`` in NFKC, case-folded, punctuation read as blanks, its words sorted."""
    if text.isascii():
        words = text.encode("ascii").lower().translate(_NAME_BLANKS).split()
        return b" ".join(sorted(words)).decode("ascii")
    text = unicodedata.normalize("NFKC", text).casefold()
    # the punctuation is ASCII: no byte of another character's UTF-8 is one of it
    text = (
        text.encode("utf-8", errors="surrogatepass")
        .translate(_NAME_BLANKS)
        .decode("utf-8", errors="surrogatepass")
    )
    return " ".join(sorted(text.split()))


def email_keys(text: str) -> set[str]:
    """The ``email:`` handle of one e-mail address as written (none without an "@")."""
    email = text.strip().casefold()
    return {"email:" + email} if "@" in email else set()


def phone_keys(text: str) -> set[str]:
    """The ``tel:`` handles of one phone number as written (see the module)."""
    keys: set[str] = set()
    _add_phone_keys(_ascii_number(text), keys)
    return keys


def _ascii_number(text: str) -> bytes:
    """``text`` in ASCII: digits of any script as ASCII digits, a fullwidth "+" as "+"."""
    if not text.isascii():
        text = "".join(
            str(unicodedata.decimal(c)) if c.isdecimal() else c if c.isascii() else " "
            for c in unicodedata.normalize("NFKC", text)
        )
    return text.encode("ascii")


def _add_phone_keys(number: bytes, keys: set[str]) -> None:
    """Add the handles of the number written ``number`` (ASCII) to ``keys``."""
    number = number.lstrip()
    if number[:4].lower() == b"tel:":
        number = number[4:].partition(b";")[0]  # a URI's parameters (ext=) are no part of it
    digits = number.translate(None, _NOT_DIGITS).decode("ascii")
    if number.lstrip(_BEFORE_NUMBER)[:1] != b"+":
        if digits[:2] != "00":  # a national number: without its trunk 0
            if digits[:1] == "0":
                digits = digits[1:]
            if len(digits) >= MIN_PHONE_DIGITS:
                keys.add("tel:" + digits)
            return
        digits = digits[2:]
    if len(digits) < MIN_PHONE_DIGITS:
        return
    keys.add("tel:" + digits)
    for rest in (digits[1:], digits[2:], digits[3:]):  # without a country code of 1-3 digits
        form = rest[1:] if rest[:1] == "0" else rest  # and the trunk 0 after it
        if len(form) >= MIN_PHONE_DIGITS:
            keys.add("tel:" + form)
