"""Whether a file's bytes can be a vCard at all, judged from its ends, without splitting or
parsing it: the checks on the sync's hot path (every card read), kept apart from the codec so
that listing and reading a store do not load it."""

from __future__ import annotations

import re

_BEGIN = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*BEGIN:VCARD\s*$", re.I | re.M)
_END = re.compile(rb"^END:VCARD\s*\Z", re.I | re.M)


def text_problem(data: bytes) -> str | None:
    """Why ``data`` is not vCard text at all (empty, UTF-16 or UTF-32, binary), or None."""
    if not data.strip():
        return "the file is empty"
    wide = wide_encoding(data)
    if wide is not None:
        return f"{wide} text; only UTF-8 vCards are supported"
    if b"\x00" in data:
        return "binary data, not a vCard"
    return None


def quick_card_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be a vCard, by its ends alone (None: it may well be one).

    For reads on the sync's hot path; full validation is the codec's, at change detection."""
    problem = text_problem(data)
    if problem is not None:
        return problem
    if b"\n" not in data and b"\r" in data:
        return "old Mac line endings (CR only), which vCard readers do not accept"
    if not _BEGIN.match(data[:64]):
        return "not a vCard (no BEGIN:VCARD line)"
    if not _END.search(data[-64:]):
        return "no END:VCARD line (the card is cut off)"
    return None


# "BEGIN:VCARD" in UTF-16 and UTF-32 with the NULs at its start stripped: the same for
# both byte orders
_WIDE_BEGINS = (
    ("UTF-32", "BEGIN:VCARD".encode("utf-32-le")[:-3]),
    ("UTF-16", "BEGIN:VCARD".encode("utf-16-le")[:-1]),
)


def wide_encoding(data: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when ``data`` is text in one of them (by its byte order
    mark, or BEGIN:VCARD written in it), else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:128]
    if b"\x00" not in head:  # the common case: wide text has a NUL in every character
        return None
    head = head.lstrip(b"\x00 \t\r\n").upper()
    return next((name for name, begin in _WIDE_BEGINS if head.startswith(begin)), None)
