"""vCard text at the level below properties: character sets, backslash escapes, and
splitting at separators. What the line parser (:mod:`.card`) and the card splitter
(:mod:`.split`) need, with no knowledge of properties; :mod:`.values` builds on it.
"""

from __future__ import annotations

import codecs
import functools
import re

_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


# Codecs Python counts as text encodings that are no character set a vCard can name: they
# decode escapes or domain names, or always fail. Codecs that are not text encodings at all
# (rot13, hex, base64, zlib, bz2, uu, quopri) are refused by their CodecInfo.
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined"})
# What a codec may raise on bytes it cannot decode: UnicodeDecodeError, a plain UnicodeError
# (punycode, idna), ValueError, TypeError (a codec that does not return text).
_CODEC_ERRORS = (ValueError, LookupError, TypeError)


def text_codec(charset: str) -> str | None:
    """Python's name for the character set a CHARSET parameter names, or None when it is
    unknown, malformed (a NUL, an empty name, a name too long for one) or a codec that is
    not a character set."""
    return _codec(charset) if len(charset) <= _LONGEST_NAME else None


_LONGEST_NAME = 64  # the longest codec name Python knows has 20-odd characters


@functools.lru_cache(maxsize=512)
def _codec(charset: str) -> str | None:
    try:
        info = codecs.lookup(charset)
    except _CODEC_ERRORS:
        return None
    name = info.name.replace("-", "_")
    if not info._is_text_encoding or name in _NOT_CHARSETS:
        return None
    return info.name


def decode_charset(value: bytes, charset: str | None) -> str | None:
    """``value`` decoded strictly in ``charset`` (default UTF-8); None when it cannot be
    decoded with certainty: an unknown charset, a codec that is no character set, bytes the
    charset does not accept."""
    codec = text_codec(charset) if charset else "utf-8"
    if codec is None:
        return None
    try:
        return value.decode(codec)
    except _CODEC_ERRORS:
        return None


def decode_bytes(value: bytes, charset: str | None) -> str:
    """Decode a value in ``charset`` (default UTF-8); never raises. Undeclared non-UTF-8
    text is read as Windows-1252; a charset that is unknown or no character set (rot13,
    base64, a name with a NUL...) as UTF-8 with replacement characters; bytes a declared
    charset does not accept with replacement characters in that charset."""
    text = decode_charset(value, charset)
    if text is not None:
        return text
    codec = text_codec(charset) if charset else "utf-8"
    if codec is None:  # unknown, or not a character set
        return value.decode("utf-8", errors="replace")
    if codec == "utf-8":  # declared or assumed UTF-8 that is not: Windows-1252 is likeliest
        return value.decode("cp1252", errors="replace")
    try:
        return value.decode(codec, errors="replace")
    except _CODEC_ERRORS:
        return value.decode("utf-8", errors="replace")


def unescape(text: str) -> str:
    r"""Resolve ``\n``, ``\N``, ``\,``, ``\;``, ``\\`` (and, leniently, any ``\x``)."""
    if "\\" not in text:
        return text
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def escape(text: str, version: str, sep: str = "") -> str:
    """Escape one text component for ``version``. 3.0/4.0 escape backslash, newline, comma
    and semicolon; 2.1 only backslash and semicolon (its newlines go quoted-printable)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;")
    if version == "2.1":
        return text.replace(sep, "\\" + sep) if sep and sep != ";" else text
    text = text.replace("\r\n", "\n").replace("\n", "\\n")
    return text.replace(",", "\\,")


def split_escaped(text: str, sep: str) -> list[str]:
    """Split at ``sep`` characters not preceded by an escaping backslash (escapes kept)."""
    if "\\" not in text:
        return text.split(sep)
    parts: list[str] = []
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == sep:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def split_outside_quotes(text: str, sep: str) -> list[str]:
    """Split at ``sep`` characters outside double quotes (quotes kept)."""
    if '"' not in text:
        return text.split(sep)
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
