"""The vCard :class:`~syncgui.engine.itemformat.ItemFormat`: names, UIDs, copies and merges.

Every operation keeps the card's original bytes except for the lines it must change:
:meth:`VCardFormat.with_uid` adds or replaces exactly one line, :meth:`VCardFormat.as_copy` changes
the UID line and adds one marker line. Importing this module does not import vobject.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from syncgui.engine.errors import BadItem
from syncgui.engine.itemformat import FieldPair, ItemInfo, MatchKeys, MergeOutcome, MergeSide
from syncgui.providers.vcard.card import Card, ContentLine, parse_card
from syncgui.providers.vcard.safety import unexpected
from syncgui.providers.vcard.values import display, text_line

log = logging.getLogger(__name__)

COPY_MARKER = "X-SYNCGUI-CONFLICT-COPY"
UNNAMED = "(unnamed card)"


def describe_card(raw: bytes) -> ItemInfo:
    """UID (decoded, or None) and a label for ``raw``; raises BadItem, and only BadItem.

    Whatever else goes wrong reading a card (a bug of the codec) becomes a BadItem too, so
    that it costs that card alone: it is logged with its traceback, naming the card by
    size, content hash and UID (never its content)."""
    try:
        card = parse_card(raw)
        return ItemInfo(card_uid(card), card_label(card))
    except BadItem:
        raise
    except Exception as err:  # the safety net: any other failure is this card's problem
        raise unexpected(raw, err, "read a card") from err


def card_uid(card: Card) -> str | None:
    """The decoded UID value (quoted-printable and folded UIDs included), or None."""
    return _uid_of(card.first("UID"))


def _uid_of(line: ContentLine | None) -> str | None:
    return None if line is None else line.text().strip() or None


def card_label(card: Card) -> str:
    """FN, else N as "Given Family", else ORG, else the first EMAIL or TEL."""
    line = card.first("FN")
    if line is not None and (text := " ".join(line.text().split())):
        return text
    line = card.first("N")
    if line is not None:
        parts = [*line.components(";"), "", ""]
        name = " ".join(p.strip() for p in (parts[1], parts[0]) if p.strip())
        if name or (name := " ".join(display(line).split())):
            return name
    for names in (("ORG",), ("EMAIL", "TEL")):
        line = card.first(*names)
        if line is not None and (text := " ".join(display(line).split())):
            return text
    return UNNAMED


# A plain UID line (no parameters, not folded): its value, with the blanks around it, for
# the quick path of with_uid. Anchored on the line feed before it (and tried at the very
# start apart): a pattern that may start anywhere, as ``(?m)^`` does, is tried at every
# byte of the card (30 instead of 7 ms for 10,000 cards).
_UID_LINE = rb"(?:[A-Za-z0-9-]++\.)?(?i:UID):[ \t]*+([^\r\n]*+)\r?(?=\n|\Z)"
_PLAIN_UID = re.compile(rb"\n" + _UID_LINE)
_PLAIN_UID_FIRST = re.compile(_UID_LINE)


def with_uid(data: bytes, uid: str) -> bytes:
    """``data`` with ``uid`` as its UID: unchanged (the same object) when it already is;
    otherwise the first UID line replaced (an empty one filled in) or, when there is none,
    one line ``UID:<uid>`` added after VERSION. Each store keeps its own UID for a contact
    matched across stores, so a card written over another store's copy takes that copy's."""
    # every card written by a sync goes through here
    found = _PLAIN_UID_FIRST.match(data) or _PLAIN_UID.search(data)
    if (
        found is not None
        and found.group(1).rstrip(b" \t") == uid.encode("utf-8", "replace")
        and not _next_line_folded(data, found.end())
    ):
        return data
    card = parse_card(data)
    present = card.first("UID")
    if present is None:
        at = card.end_of("VERSION")
        if at is not None:  # the common case, a card without UID: no line is split
            return data[:at] + text_line("UID", uid, card.version, card.eol) + data[at:]
    elif _uid_of(present) == uid:
        return data
    line = text_line("UID", uid, card.version, card.eol)
    first = card.index_of("UID")
    if first is not None:
        return card.rebuild({first: [line]})
    return card.rebuild({}, {_uid_position(card): [line]})


def _next_line_folded(data: bytes, end: int) -> bool:
    """Whether the line ending at ``end`` continues on the next (a folded line)."""
    rest = data[end : end + 3].lstrip(b"\r\n")
    return rest[:1] in (b" ", b"\t")


def as_copy(data: bytes, uid: str, origin: str) -> bytes:
    """A marked copy: the UID replaced (or added) and ``X-SYNCGUI-CONFLICT-COPY:<origin>``
    added before END:VCARD (an existing marker is replaced); all else byte-identical."""
    card = parse_card(data)
    uid_line = text_line("UID", uid, card.version, card.eol)
    marker = text_line(COPY_MARKER, origin, card.version, card.eol)
    replace: dict[int, list[bytes]] = {}
    after: dict[int, list[bytes]] = {}
    for name, new in (("UID", uid_line), (COPY_MARKER, marker)):
        found = [i for i, line in enumerate(card.lines) if line.name == name]
        for i in found:
            replace[i] = [new] if i == found[0] else []
        if not found:
            position = _uid_position(card) if name == "UID" else len(card.lines) - 2
            after.setdefault(position, []).append(new)
    return card.rebuild(replace, after)


def _uid_position(card: Card) -> int:
    version = card.index_of("VERSION")
    return 0 if version is None else version


class VCardFormat:
    """:class:`~syncgui.engine.itemformat.ItemFormat` for vCard 2.1, 3.0 and 4.0 data."""

    def describe(self, data: bytes) -> ItemInfo:
        return describe_card(data)

    def with_uid(self, data: bytes, uid: str) -> bytes:
        return with_uid(data, uid)

    def as_copy(self, data: bytes, uid: str, origin: str) -> bytes:
        return as_copy(data, uid, origin)

    # Comparing, matching and merging are imported when first used: a sync that only carries
    # changes across (the usual one) needs none of them, and they are a third of the codec.

    def same(self, a: bytes, b: bytes) -> bool:
        from syncgui.providers.vcard.merge import same_cards

        return same_cards(a, b)

    def compare(self, a: bytes | None, b: bytes | None) -> list[FieldPair]:
        from syncgui.providers.vcard.compare import field_rows

        return field_rows(a, b)

    def match_keys(self, data: bytes) -> MatchKeys:
        from syncgui.providers.vcard.identity import match_keys

        return match_keys(data)

    def merge(self, base: bytes | None, ours: bytes, theirs: bytes) -> MergeOutcome:
        from syncgui.providers.vcard.merge import merge_cards

        return merge_cards(base, ours, theirs)

    def merge_choosing(
        self, base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, MergeSide]
    ) -> bytes:
        from syncgui.providers.vcard.merge import merge_cards_choosing

        return merge_cards_choosing(base, ours, theirs, prefer)
