"""Property values: decoding, meaning (for comparison), display text and re-encoding.

Only the standard library is used (``binascii.a2b_qp`` in :mod:`.card` and the encoder
here for quoted-printable, ``codecs`` for charsets; base64 stays text, it is never decoded).
vobject is not used: it cannot write vCard 4.0, drops 2.1 bare types, cuts values at
unescaped commas and is slow, and the few conversions a merge needs between vCard 2.1 and
3.0/4.0 lines are simple to do exactly.

A line's *meaning* is what it says independent of how it is written: quoted-printable,
charset, backslash escapes, folding, line endings, parameter order and case, bare 2.1
types versus ``TYPE=``, ``PREF=1`` versus ``TYPE=pref``, ``ENCODING=b`` versus a
``data:`` URI. Two lines with equal meaning are the same field value.
"""

from __future__ import annotations

import re

from syncgui.providers.vcard.card import ContentLine
from syncgui.providers.vcard.text import escape, unescape

Meaning = tuple[str, tuple[tuple[str, str], ...], object]

STRUCTURED = frozenset({"N", "ADR", "ORG", "GENDER", "CLIENTPIDMAP"})
LISTS = frozenset({"CATEGORIES", "NICKNAME"})
TEXT = frozenset(
    {"FN", "NOTE", "TITLE", "ROLE", "SORT-STRING", "LABEL", "MAILER", "EMAIL", "UID",
     "PRODID", "KIND", "X-SYNCGUI-CONFLICT-COPY"}
)  # fmt: skip
BINARY = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
_MEDIA = {"PHOTO": "image", "LOGO": "image", "SOUND": "audio", "KEY": "application"}
_IMPLIED_TYPES = {"EMAIL": "INTERNET", "TEL": "VOICE"}  # defaults, written by some only
# how a value is written, not what it says (LANGUAGE: Outlook tags every N and FN with it)
_IGNORED_PARAMS = frozenset({"ENCODING", "CHARSET", "VALUE", "PID", "LANGUAGE"})
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})((?:T.*)?)")
_DATES = frozenset({"BDAY", "ANNIVERSARY"})
_DATA_URI = re.compile(r"data:([^;,\\]*)(?:;[^,\\]*)?;base64\\?,(.*)", re.DOTALL | re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_FOLD_WIDTH = 75
_QP_WIDTH = 76


def binary_value(line: ContentLine) -> tuple[str, str] | None:
    """``(media type, base64 text)`` of an inline PHOTO/LOGO/SOUND/KEY, else None."""
    if line.name not in BINARY:
        return None
    encoding = line.encoding
    if encoding in ("B", "BASE64"):
        data = _WHITESPACE.sub("", line.value.decode("ascii", errors="replace"))
        return _media_type(line), data
    if line.value[:5].lower() != b"data:":
        return None
    found = _DATA_URI.fullmatch(line.value.decode("ascii", errors="replace"))
    if found is None:
        return None
    return found.group(1).lower(), _WHITESPACE.sub("", found.group(2))


def _media_type(line: ContentLine) -> str:
    for kind in line.param("TYPE"):
        if kind.upper() not in ("PREF", "HOME", "WORK"):
            if "/" in kind:
                return kind.lower()
            return f"{_MEDIA[line.name]}/{kind.lower()}"
    return ""


def _value_meaning(line: ContentLine) -> object:
    name = line.name
    if name in BINARY:
        binary = binary_value(line)
        if binary is not None:
            return ("binary", *binary)
    if name in STRUCTURED:
        parts = list(line.components(";"))
        while parts and not parts[-1]:
            parts.pop()
        return tuple(parts)
    if name in LISTS:
        return tuple(part.strip() for part in line.components(","))
    if name in TEXT:
        return line.text()
    if name in _DATES:
        text = raw_form(line).strip()
        date = _DATE.fullmatch(text)  # 1985-04-12 and 19850412 are one date
        return "".join(date.groups()) if date else text
    return raw_form(line)


def raw_form(line: ContentLine) -> str:
    r"""Decoded value of a property whose escaping is unknown: escapes kept, newlines as
    ``\n`` (so 2.1 quoted-printable newlines and 3.0 ``\n`` compare equal)."""
    text = line.raw_text()
    if line.name == "TEL" and text[:4].lower() == "tel:":
        return text[4:]
    return text.replace("\r\n", "\n").replace("\n", "\\n").replace("\\N", "\\n")


def type_values(line: ContentLine) -> list[str]:
    """TYPE values in upper case (PREF added for a vCard 4.0 ``PREF`` parameter)."""
    kinds = [kind.upper() for kind in line.param("TYPE") if kind]
    if line.param("PREF") and "PREF" not in kinds:
        kinds.append("PREF")
    return kinds


def meaning(line: ContentLine) -> Meaning:
    """What ``line`` says, independent of how it is encoded (group not included)."""
    params: list[tuple[str, str]] = []
    binary = line.name in BINARY and binary_value(line) is not None
    if line.semi >= 0:
        if not binary:
            implied = _IMPLIED_TYPES.get(line.name, "")
            kinds = [kind for kind in type_values(line) if kind != implied]
            if kinds:
                params.append(("TYPE", ",".join(sorted(set(kinds)))))
        for param in line.params:
            if param.name not in _IGNORED_PARAMS and param.name not in ("TYPE", "PREF"):
                params.append((param.name, param.value.strip('"')))
    return line.name, tuple(sorted(params)), _value_meaning(line)


def display(line: ContentLine) -> str:
    """Human text of a line's value (for conflict dialogs and labels)."""
    name = line.name
    binary = binary_value(line)
    if binary is not None:
        size = len(binary[1]) * 3 // 4
        return f"({binary[0] or name.lower()}, {size / 1024:.1f} KB)"
    if name == "N":
        parts = list(line.components(";")) + [""] * 5
        return " ".join(p.strip() for p in (parts[3], parts[1], parts[2], parts[0], parts[4]) if p)
    if name in STRUCTURED:
        return ", ".join(p.strip() for p in line.components(";") if p.strip())
    if name in LISTS:
        return ", ".join(p.strip() for p in line.components(",") if p.strip())
    if name in TEXT:
        return line.text()
    return unescape(raw_form(line).replace("\\n", "\n"))


# --- writing -------------------------------------------------------------------------


def with_line_ending(raw: bytes, eol: bytes) -> bytes:
    """``raw`` (one logical line) with every line break written as ``eol``."""
    body = raw.replace(b"\r\n", b"\n")
    if not body.endswith(b"\n"):
        body += b"\n"
    return body if eol == b"\n" else body.replace(b"\n", eol)


def text_line(name: str, text: str, version: str, eol: bytes) -> bytes:
    """A new line ``NAME:text`` (a text property) written for ``version``."""
    return _render(name, [], escape(text, version), version, eol)


def transplant(line: ContentLine, source: str, target: str, eol: bytes) -> bytes:
    """``line`` of a ``source``-version card written into a ``target``-version card.

    Lines move verbatim between cards of one version (only the line ending follows the
    target card); between 2.1 and 3.0/4.0 the value is decoded and re-encoded, and an
    inline binary value changes form between 3.0 and 4.0."""
    binary = binary_value(line)
    if source == target or not (binary or "2.1" in (source, target) or _is_tel_uri(line)):
        return with_line_ending(line.raw, eol)
    head = line.header()
    name = head.split(";", 1)[0]
    params = _kept_params(line, target, binary is not None)
    if binary is not None:
        return _render_binary(name, params, binary, target, eol)
    return _render(name, params, _encoded_value(line, target), target, eol)


def _is_tel_uri(line: ContentLine) -> bool:
    return line.name == "TEL" and line.value[:4].lower() == b"tel:"


def _encoded_value(line: ContentLine, target: str) -> str:
    name = line.name
    if name in STRUCTURED:
        return ";".join(escape(part, target, ";") for part in line.components(";"))
    if name in LISTS:
        return ",".join(escape(part, target, ",") for part in line.components(","))
    if name in TEXT:
        return escape(line.text(), target)
    text = raw_form(line)
    return text.replace("\\n", "\n") if target == "2.1" else text


def _kept_params(line: ContentLine, target: str, binary: bool) -> list[tuple[str, str]]:
    """Parameters rewritten for ``target``: TYPE values gathered (bare in 2.1), 4.0 PREF
    and ``TYPE=pref`` exchanged, ENCODING/CHARSET dropped (added again when needed)."""
    kinds = [] if binary else type_values(line)
    pref = "PREF" in kinds and target == "4.0"
    params: list[tuple[str, str]] = [("TYPE", kind) for kind in kinds if not pref or kind != "PREF"]
    if pref:
        params.append(("PREF", (line.param("PREF") or ("1",))[0]))
    for param in line.params:
        if param.name in ("ENCODING", "CHARSET", "TYPE", "PREF"):
            continue
        if param.name == "VALUE" and (binary or line.name == "TEL"):
            continue
        params.append((param.name, param.value))
    return params


def _header(name: str, params: list[tuple[str, str]], version: str) -> str:
    """``name;params`` for ``version``: TYPE values bare in 2.1, else one ``TYPE=a,b``."""
    out = [name]
    kinds = [value for key, value in params if key == "TYPE"]
    for key, value in params:
        if key == "TYPE":
            if version == "2.1":
                out.append(value)
            elif kinds:
                out.append("TYPE=" + ",".join(kinds))
                kinds = []
        elif version != "2.1" and any(c in value for c in ':;,"') and value[:1] != '"':
            out.append(f'{key}="{value.replace(chr(34), chr(39))}"')
        else:
            out.append(f"{key}={value}")
    return ";".join(out)


def _render(
    name: str, params: list[tuple[str, str]], value: str, version: str, eol: bytes
) -> bytes:
    if version == "2.1" and (not value.isascii() or "\n" in value or "\r" in value):
        params = [*params, ("CHARSET", "UTF-8"), ("ENCODING", "QUOTED-PRINTABLE")]
        head = _header(name, params, version).encode() + b":"
        data = value.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        return encode_qp(head, data, eol)
    line = (_header(name, params, version) + ":" + value).encode()
    return line + eol if version == "2.1" else fold(line, eol)


def _render_binary(
    name: str, params: list[tuple[str, str]], binary: tuple[str, str], version: str, eol: bytes
) -> bytes:
    media, data = binary
    subtype = media.split("/", 1)[-1].upper() if media else ""
    if version == "4.0":
        value = f"data:{media or 'application/octet-stream'};base64,{data}"
        return fold((_header(name, params, version) + ":" + value).encode(), eol)
    if version == "2.1":
        params = [("ENCODING", "BASE64"), *([("TYPE", subtype)] if subtype else []), *params]
        line = (_header(name, params, version) + ":" + data).encode()
        return fold(line, eol) + eol  # a blank line ends a 2.1 base64 block
    params = [("ENCODING", "b"), *([("TYPE", subtype)] if subtype else []), *params]
    return fold((_header(name, params, version) + ":" + data).encode(), eol)


def fold(line: bytes, eol: bytes, width: int = _FOLD_WIDTH) -> bytes:
    """Fold ``line`` (no line ending) at ``width`` octets without splitting a UTF-8
    sequence; continuation lines start with a space."""
    if len(line) <= width:
        return line + eol
    pieces: list[bytes] = []
    start = 0
    limit = width
    while len(line) - start > limit:
        end = start + limit
        while end > start and (line[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(line[start:end])
        start = end
        limit = width - 1
    pieces.append(line[start:])
    return (eol + b" ").join(pieces) + eol


def encode_qp(head: bytes, data: bytes, eol: bytes) -> bytes:
    """``head`` followed by ``data`` quoted-printable encoded, with soft line breaks that
    keep physical lines within 76 characters (continuations unindented, as Android, and
    never starting with a blank, which readers that unfold first would drop)."""
    encoded = [chr(b) if (33 <= b <= 126 and b != 61) or b == 32 else f"={b:02X}" for b in data]
    if encoded and encoded[-1] == " ":
        encoded[-1] = "=20"
    lines: list[str] = []
    current = head.decode()
    for token in encoded:
        if len(current) + len(token) > _QP_WIDTH - 1:
            lines.append(current + "=")
            current = ""
        # a continuation starting with a blank would read as a fold to some readers
        current += "=20" if not current and token == " " else token
    lines.append(current)
    return eol.join(line.encode() for line in lines) + eol
