"""The content-line model: parsing, byte fidelity, decoding and validation; bad input of
every kind is a BadItem that says why, in linear time."""

from __future__ import annotations

import base64
import contextlib
import logging
import re
from encodings.aliases import aliases
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.engine.errors import BadItem
from syncgui.engine.itemformat import ItemInfo
from syncgui.providers.vcard import format as format_module
from syncgui.providers.vcard.card import Card, parse_card
from syncgui.providers.vcard.format import describe_card
from syncgui.providers.vcard.sniff import quick_card_problem
from syncgui.providers.vcard.split import (
    NO_END,
    cardlike,
    find_value,
    single_card_problem,
    split_cards,
)
from syncgui.providers.vcard.text import decode_bytes, decode_charset, text_codec
from syncgui.providers.vcard.values import binary_value, meaning

CARDS = Path(__file__).parent.parent / "data" / "cards"
GOOD = sorted(p.name for p in CARDS.iterdir() if not p.name.startswith("broken-"))


def load(name: str) -> bytes:
    return (CARDS / name).read_bytes()


def joined(card: Card) -> bytes:
    return card.prefix + b"".join(line.raw for line in card.lines) + card.suffix


def by_name(card: Card, name: str) -> list[str]:
    return [line.text() for line in card.lines if line.name == name]


@pytest.mark.parametrize("name", GOOD)
def test_every_fixture_parses_and_keeps_its_bytes(name: str) -> None:
    data = load(name)
    card = parse_card(data)
    assert joined(card) == data
    assert card.lines[0].name == "BEGIN"
    assert card.lines[-1].name == "END"
    for line in card.lines:
        line.text()  # every value decodes
        assert line.params is not None


def test_android_21_quoted_printable_soft_breaks_and_bare_types() -> None:
    card = parse_card(load("android-21.vcf"))
    assert card.version == "2.1"
    assert card.eol == b"\r\n"
    # the soft line break splits a UTF-8 sequence; the continuation is unindented
    assert by_name(card, "FN") == ["Ayşe Öztürk 山田太郎"]
    n = card.first("N")
    assert n is not None
    assert n.components() == ("Öztürk", "Ayşe", "", "", "")
    assert by_name(card, "NOTE") == ["First line\nSecond line; with semicolon"]
    cell = next(card.find("TEL"))
    assert cell.param("TYPE") == ("CELL", "PREF")
    assert all(p.bare for p in cell.params)
    assert cell.text() == "+90 532 123 45 67"


def test_android_21_base64_photo_keeps_its_blank_line() -> None:
    card = parse_card(load("android-21.vcf"))
    photo = card.first("PHOTO")
    assert photo is not None
    assert photo.raw.endswith(b"\r\n\r\n")  # the blank line that ends a 2.1 base64 block
    assert photo.encoding == "BASE64"
    found = binary_value(photo)
    assert found is not None
    media, data = found
    assert media == "image/jpeg"
    assert base64.b64decode(data).startswith(b"\xff\xd8\xff")


def test_samsung_quoted_printable_uid_is_decoded() -> None:
    card = parse_card(load("samsung-21.vcf"))
    assert by_name(card, "UID") == ["3081464754-0-64@samsungmobile.com"]
    assert not load("samsung-21.vcf").endswith(b"\n")  # END:VCARD without a line ending
    assert card.lines[-1].raw == b"END:VCARD"


def test_latin1_charset_in_21_works() -> None:
    card = parse_card(load("latin1-21.vcf"))
    assert by_name(card, "FN") == ["José González"]
    n = card.first("N")
    assert n is not None and n.components() == ("González", "José")


def test_apple_30_groups_params_and_unescaped_comma() -> None:
    card = parse_card(load("apple-30.vcf"))
    email = card.first("EMAIL")
    assert email is not None
    assert email.group == "item1"
    assert email.key == "ITEM1.EMAIL"
    assert email.param("TYPE") == ("INTERNET", "pref")
    label = card.first("X-ABLABEL")
    assert label is not None and label.group == "item1" and label.text() == "_$!<Other>!$_"
    bday = card.first("BDAY")
    assert bday is not None and bday.param("X-APPLE-OMIT-YEAR") == ("1604",)
    assert by_name(card, "NOTE") == ["Met at WWDC, likes apples"]  # nothing cut at the comma
    assert by_name(card, "X-ABUID") == ["5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE:ABPerson"]


def test_v40_data_uri_photo_value_uri_and_pid() -> None:
    card = parse_card(load("v40.vcf"))
    assert card.version == "4.0"
    photo = card.first("PHOTO")
    assert photo is not None
    found = binary_value(photo)
    assert found is not None and found[0] == "image/jpeg"
    assert base64.b64decode(found[1]).startswith(b"\xff\xd8\xff")
    tel = card.first("TEL")
    assert tel is not None
    assert tel.param("VALUE") == ("uri",)
    assert tel.param("TYPE") == ("voice", "cell")
    assert tel.param("PID") == ("1.1",)
    assert tel.text() == "tel:+1-555-555-5555"
    logo = card.first("LOGO")
    assert logo is not None and binary_value(logo) is None


def test_crlf_folded_lines_unfold_even_inside_utf8_and_headers() -> None:
    data = load("crlf-folded.vcf")
    card = parse_card(data)
    assert card.eol == b"\r\n"
    note = card.first("NOTE")
    assert note is not None
    assert note.text().startswith("Zürich office, Bahnhofstrasse 1. Ask for Ms. Zoë Keller")
    assert "front desk, she has the keys\nSecond line" in note.text()
    email = card.first("EMAIL")  # the fold is inside the parameter name
    assert email is not None and email.param("TYPE") == ("WORK",)
    assert email.text() == "zoe.keller@example.ch"
    adr = card.first("ADR")
    assert adr is not None and adr.components()[6] == "Switzerland and a long tail to fold"


def test_no_uid_card_with_lf_endings() -> None:
    card = parse_card(load("no-uid.vcf"))
    assert card.eol == b"\n"
    assert card.first("UID") is None
    categories = card.first("CATEGORIES")
    assert categories is not None and categories.components(",") == ("myContacts", "Family")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("broken-empty.vcf", "empty"),
        ("broken-truncated.vcf", "truncated"),
        ("broken-plain.txt", "not a vCard"),
        ("broken-garbage.bin", "not a vCard"),
    ],
)
def test_broken_fixtures_raise_bad_item(name: str, words: str) -> None:
    with pytest.raises(BadItem, match=words) as caught:
        parse_card(load(name))
    assert caught.value.title == "Unreadable item"


CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\n%sEND:VCARD\r\n"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"   \r\n\t\n", "empty"),
        (b"hello\r\n" + CARD % b"", "does not start with BEGIN:VCARD"),
        (CARD % b"" + b"trailing words\r\n", "content after END:VCARD"),
        (CARD % b"" + CARD % b"", "more than one card"),
        (CARD % b"just some words\r\n", "line 4 has no colon"),
        (CARD % b"TEL;TYPE=CELL\r\n", "line 4 has no colon"),
        (CARD % b"TWO WORDS:x\r\n", "line 4 has no valid property name"),
        (CARD % b":x\r\n", "line 4 has no valid property name"),
        (CARD % b"BEGIN:VCARD\r\nFN:B\r\nEND:VCARD\r\n", "line 4 starts a nested BEGIN:VCARD"),
        (CARD % b"NOTE:caf\xe9\r\n", r"line 4 \(NOTE\) is not valid UTF-8 and names no CHARSET"),
        (CARD % b'X-A;P="open:x\r\n', "unterminated quoted parameter"),
        (CARD % b"X-A;P=\xff\xfe:x\r\n", "line 4 has undecodable bytes in its name or param"),
        (b"\xff\xfe" + "BEGIN:VCARD".encode("utf-16-le"), "UTF-16"),
        (b"BEGIN:VCARD\rVERSION:3.0\rFN:A\rEND:VCARD\r", "old Mac line endings"),
        (b"\x00\x01\x02BEGIN:VCARD", "binary data"),
        (b"BEGIN:VCARD\nVERSION:3.0\nFN:A\n", "truncated: it has no END:VCARD"),
    ],
)
def test_broken_cards_name_the_problem(data: bytes, words: str) -> None:
    with pytest.raises(BadItem, match=words):
        parse_card(data)


def test_what_names_the_item_in_messages() -> None:
    with pytest.raises(BadItem, match=r"^Card 'x\.vcf' is empty\.$"):
        parse_card(b"", what="Card 'x.vcf'")


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf\r\n\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n\r\n  \r\n",
        b"begin:vcard\nversion:2.1\nfn;quoted-printable:Caf=C3=A9\nend:vcard\n",
        b"BEGIN:VCARD\nVERSION:3.0\n\nFN:A\n\n\nEND:VCARD",
        b"BEGIN:VCARD\nVERSION:3.0\nF\n N:A\nEND:VCARD\n",
    ],
)
def test_tolerated_oddities_keep_their_bytes(data: bytes) -> None:
    card = parse_card(data)
    assert joined(card) == data
    fn = card.first("FN")
    assert fn is not None and fn.text() in ("A", "Café")


def test_quoted_parameter_may_hold_colon_and_semicolon() -> None:
    card = parse_card(b'BEGIN:VCARD\r\nVERSION:3.0\r\nX-A;P="a:b;c":v:w\r\nEND:VCARD\r\n')
    line = card.first("X-A")
    assert line is not None
    assert line.param("P") == ("a:b;c",)
    assert line.text() == "v:w"


def test_21_base64_with_unindented_continuation_lines() -> None:
    photo = base64.b64encode(b"\xff\xd8\xff" + bytes(range(200))).decode()
    chunks = [photo[i : i + 60] for i in range(0, len(photo), 60)]
    body = "\r\n".join(["PHOTO;ENCODING=BASE64;TYPE=JPEG:" + chunks[0], *chunks[1:], ""])
    data = b"BEGIN:VCARD\r\nVERSION:2.1\r\n" + body.encode() + b"\r\nEND:VCARD\r\n"
    card = parse_card(data)
    line = card.first("PHOTO")
    assert line is not None
    found = binary_value(line)
    assert found is not None and found[1] == photo
    assert joined(card) == data


def test_quoted_printable_continuation_keeps_leading_space() -> None:
    data = b"BEGIN:VCARD\nVERSION:2.1\nNOTE;ENCODING=QUOTED-PRINTABLE:one=\n two\nEND:VCARD\n"
    note = parse_card(data).first("NOTE")
    assert note is not None and note.text() == "one two"


def test_quoted_printable_value_ending_in_equals_before_end() -> None:
    data = b"BEGIN:VCARD\nVERSION:2.1\nNOTE;QUOTED-PRINTABLE:a=3D=\nEND:VCARD\n"
    card = parse_card(data)
    assert card.lines[-1].name == "END"
    note = card.first("NOTE")
    assert note is not None and note.encoding == "QUOTED-PRINTABLE"


def test_meaning_ignores_encoding_details() -> None:
    plain = parse_card("BEGIN:VCARD\nVERSION:3.0\nNOTE:Grüße\\, Zoë\nEND:VCARD\n".encode())
    qp = parse_card(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gr=C3=BC=C3=9Fe, Zo=C3=AB\r\n"
        b"END:VCARD\r\n"
    )
    folded = parse_card(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nNOTE:Grü\r\n ße\\, Zoë\r\nEND:VCARD\r\n".encode()
    )
    notes = [card.first("NOTE") for card in (plain, qp, folded)]
    texts = [None if note is None else note.text() for note in notes]
    assert texts == ["Grüße, Zoë"] * 3, texts  # every card parsed, its note decoded
    assert len({meaning(note) for note in notes if note is not None}) == 1


def test_meaning_of_types_across_versions() -> None:
    lines = [
        b"BEGIN:VCARD\nVERSION:2.1\nTEL;CELL;PREF;VOICE:+1 555\nEND:VCARD\n",
        b"BEGIN:VCARD\nVERSION:3.0\nTEL;type=pref;TYPE=cell:+1 555\nEND:VCARD\n",
        b'BEGIN:VCARD\nVERSION:4.0\nTEL;VALUE=uri;TYPE="cell";PREF=1:tel:+1 555\nEND:VCARD\n',
    ]
    tels = [parse_card(data).first("TEL") for data in lines]
    assert all(tel is not None for tel in tels), tels  # no parse may drop the line
    assert len({meaning(tel) for tel in tels if tel is not None}) == 1


# --- the fast path (lazy line splitting) agrees with the line-by-line parser ------------

NAMES = ("UID", "FN", "N", "ORG", "EMAIL", "TEL", "PHOTO", "VERSION", "NOTE", "X-ABLABEL")


def assert_lazy_agrees(data: bytes) -> None:
    lazy = parse_card(data)
    full = parse_card(data)
    lines = full.lines  # splits everything
    for name in NAMES:
        found = lazy.first(name)
        expected = next((line for line in lines if line.name == name), None)
        if expected is None:
            assert found is None
            continue
        assert found is not None
        got = (found.raw, found.colon, found.semi, found.group, found.name)
        assert got == (expected.raw, expected.colon, expected.semi, expected.group, expected.name)
        assert found.params == expected.params
    assert joined(full) == data


@pytest.mark.parametrize("name", GOOD)
def test_lazy_lookup_agrees_for_fixtures(name: str) -> None:
    assert_lazy_agrees(load(name))


@pytest.mark.parametrize(
    ("name", "fast"),
    [
        ("apple-30.vcf", True),
        ("v40.vcf", True),  # quoted TYPE="voice,cell" holds no colon
        ("no-uid.vcf", True),
        ("android-21.vcf", False),  # quoted-printable soft breaks
        ("latin1-21.vcf", False),  # not UTF-8
        ("crlf-folded.vcf", False),  # a header folded before its colon
    ],
)
def test_plain_cards_take_the_fast_path(name: str, fast: bool) -> None:
    card = parse_card(load(name))
    assert card.first("FN") is not None
    assert (card._lines is None) is fast  # nothing was split for the lookup
    assert joined(card) == load(name)


_value = st.text(alphabet=st.sampled_from([*'ab Zü,;:=\\"', "\u5c71"]), min_size=0, max_size=90)
_line = st.tuples(
    st.sampled_from(["", "item1.", "item2."]),
    st.sampled_from(["FN", "N", "TEL", "EMAIL", "NOTE", "X-ABLabel", "UID", "ORG"]),
    st.sampled_from(["", ";TYPE=CELL", ";type=pref;TYPE=HOME", ';X-P="a:b"', ";CELL"]),
    _value,
)


def _fold(line: bytes, width: int, eol: bytes) -> bytes:
    parts = [line[i : i + width] for i in range(0, len(line), width)] or [b""]
    return (eol + b" ").join(parts)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(_line, max_size=12),
    eol=st.sampled_from([b"\r\n", b"\n"]),
    width=st.integers(min_value=5, max_value=200),
    blank=st.booleans(),
)
def test_lazy_lookup_agrees_for_generated_cards(
    lines: list[tuple[str, str, str, str]], eol: bytes, width: int, blank: bool
) -> None:
    body = [b"BEGIN:VCARD", b"VERSION:3.0"]
    uids = [i for i, line in enumerate(lines) if line[1] == "UID"]
    kept = [line for i, line in enumerate(lines) if i not in uids[1:]]  # two UIDs are refused
    for group, name, params, value in kept:
        body.append(_fold(f"{group}{name}{params}:{value}".encode(), width, eol))
        if blank:
            body.append(b"")
    data = eol.join([*body, b"END:VCARD"]) + eol
    assert_lazy_agrees(data)


# --- bad input never costs a contact: every failure is a BadItem, in linear time -------

_C = b"BEGIN:VCARD\r\nVERSION:2.1\r\nUID:u-1\r\n%s\r\nEND:VCARD\r\n"

# CHARSET values Python knows as codecs that cannot decode with certainty: they fail with
# UnicodeError or ValueError (not UnicodeDecodeError), or are no text encoding at all.
ODD_CHARSETS = [
    (b"punycode", b"a..b", "a..b"),
    (b"idna", b"xn--abc-", "xn--abc-"),
    (b"undefined", b"Ann", "Ann"),
    (b"unicode_escape", b"\\xzz", "xzz"),  # read as UTF-8, then the 3.0 escapes resolved
    (b"raw_unicode_escape", b"\\u12", "u12"),
    (b"rot13", b"Ann", "Ann"),
    (b"hex", b"414", "414"),
    (b"base64", b"QQ==", "QQ=="),
    (b"zlib", b"xx", "xx"),
    (b"bz2", b"x", "x"),
    (b"uu", b"x", "x"),
    (b"quopri", b"A=3D", "A=3D"),
    (b"no-such-charset", b"caf\xc3\xa9", "café"),
    (b"ut f8", b"Ann", "Ann"),
]


@pytest.mark.parametrize(("charset", "value", "label"), ODD_CHARSETS)
def test_a_charset_that_cannot_decode_with_certainty_reads_as_unknown(
    charset: bytes, value: bytes, label: str
) -> None:
    data = _C % (b"FN;CHARSET=" + charset + b":" + value)
    assert describe_card(data) == ItemInfo("u-1", label)  # as UTF-8
    assert find_value(data, "FN") is None  # a damaged card is not keyed by a guess
    assert find_value(data, "UID") == "u-1"


def test_a_nul_in_a_charset_name_is_no_crash() -> None:
    data = _C % b"FN;CHARSET=U\0TF-8:Ann"
    with pytest.raises(BadItem, match="binary data"):
        describe_card(data)
    assert find_value(data, "FN") is None
    assert find_value(data, "UID") == "u-1"


@pytest.mark.parametrize(
    ("charset", "expected"),
    [
        (None, "utf-8"),
        ("UTF-8", "utf-8"),
        ("latin1", "iso8859-1"),
        ("SHIFT_JIS", "shift_jis"),
        ("rot13", None),
        ("base64", None),
        ("idna", None),
        ("unicode-escape", None),
        ("U\0TF-8", None),
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_text_codec_knows_character_sets_only(charset: str | None, expected: str | None) -> None:
    assert (text_codec(charset) if charset is not None else "utf-8") == expected


def test_decode_bytes_never_raises() -> None:
    assert decode_bytes(b"caf\xe9", None) == "café"  # undeclared non-UTF-8: Windows-1252
    assert decode_bytes(b"caf\xe9", "UTF-8") == "café"
    assert decode_bytes(b"\x83\x65", "SHIFT_JIS") == "テ"
    assert decode_bytes(b"\xff", "SHIFT_JIS") == "\ufffd"
    assert decode_bytes(b"a..b", "punycode") == "a..b"
    assert decode_bytes(b"caf\xc3\xa9", "rot13") == "café"
    assert decode_bytes(b"A", "U\0TF-8") == "A"
    assert decode_charset(b"caf\xe9", "UTF-8") is None


@pytest.mark.parametrize("name", sorted(set(aliases) | set(aliases.values())))
def test_every_codec_name_python_knows_is_safe(name: str) -> None:
    for value in (b"Ann", b"caf\xc3\xa9 =3D \\x", b"\xff\xfe=00", b"xn--a-"):
        data = (_C % b"FN;CHARSET=%s;ENCODING=QUOTED-PRINTABLE:%s") % (name.encode(), value)
        info = describe_card(data)  # anything but BadItem would fail here
        assert info.uid == "u-1"
        find_value(data, "FN")


def test_describe_turns_any_other_failure_into_bad_item(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(card: Card) -> str:
        raise RuntimeError("a bug in the codec")

    monkeypatch.setattr(format_module, "card_label", broken)
    data = _C % b"FN:Secret Person\r\nNOTE:private"
    caplog.set_level(logging.WARNING, logger="syncgui.providers.vcard.format")
    with pytest.raises(BadItem, match=r"unexpected error .*\(RuntimeError\)") as caught:
        describe_card(data)
    assert isinstance(caught.value.__cause__, RuntimeError)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is not None  # with its traceback
    logged = record.getMessage()
    assert "'u-1'" in logged and f"{len(data)} bytes" in logged
    assert "Secret" not in logged and "private" not in logged  # never the card's content


# -- cards with odd encodings or line ends: a card, or a BadItem that says why ----------

_PLAIN = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c-1\r\nFN:Cat Ünï\r\nEND:VCARD\r\n"


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"\xef\xbb\xbf" + _PLAIN.encode(), "c-1"),
        (_PLAIN.encode().replace(b"\r\n", b"\r\r\n"), "c-1"),  # iOS
        (_PLAIN.encode().replace(b"\r\n", b"\r"), "old Mac line endings"),
        (_PLAIN.encode("utf-16"), "is UTF-16 encoded"),
        (_PLAIN.encode("utf-16-le"), "is UTF-16 encoded"),  # no byte order mark
        (_PLAIN.encode("utf-16-be"), "is UTF-16 encoded"),
        (_PLAIN.encode("utf-32"), "is UTF-32 encoded"),
        (_PLAIN.encode().replace(b"FN:", b"FN "), "line 4 has no colon"),
        (_PLAIN.encode().replace(b"Cat", b"C\xffat"), r"line 4 \(FN\) is not valid UTF-8"),
        (_PLAIN.encode().replace(b"FN:", b"BEGIN:VCARD\r\nFN:"), "line 4 starts a nested"),
        (_PLAIN.encode().replace(b"c-1", b"../x"), "../x"),
        (_PLAIN.encode().replace(b"c-1", b"CON"), "CON"),
        (_PLAIN.encode().replace(b"c-1", b"u" * 10_000), "u" * 10_000),
        (_PLAIN.encode().replace(b"UID:c-1", b"UID:"), None),
        (_PLAIN.encode().replace(b"UID:c-1", b"UID;QUOTED-PRINTABLE:a=00b"), "a\0b"),
    ],
)
def test_odd_cards_parse_or_say_why(data: bytes, outcome: str | None) -> None:
    if outcome is None or outcome in ("c-1", "../x", "CON", "a\0b") or outcome.startswith("uu"):
        info = describe_card(data)
        assert info.uid == outcome and info.label == "Cat Ünï"
        return
    with pytest.raises(BadItem, match=outcome):
        describe_card(data)


def test_bad_quoted_printable_decodes_leniently() -> None:
    data = _C % b"FN;ENCODING=QUOTED-PRINTABLE:=ZZ=4=\r\n=C3=A9t=C3"
    # not UTF-8 as a whole (the last byte is cut off), so read as Windows-1252
    assert describe_card(data).label == "=ZZ=4Ã©tÃ"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_PLAIN.encode().replace(b"\r\n", b"\r"), "old Mac line endings"),
        (_PLAIN.encode("utf-16"), "UTF-16 text"),
        (_PLAIN.encode("utf-16-le"), "UTF-16 text"),
    ],
)
def test_the_cheap_checks_name_line_ends_and_encodings(data: bytes, problem: str) -> None:
    assert problem in (quick_card_problem(data) or "")
    assert problem in (single_card_problem(data) or problem)


def test_find_value_reads_cr_only_lines() -> None:
    data = _PLAIN.encode().replace(b"\r\n", b"\r")
    assert find_value(data, "UID") == "c-1"
    assert find_value(data, "FN") == "Cat Ünï"


# -- linear time ------------------------------------------------------------------------

_HEAD21 = b"BEGIN:VCARD\r\nVERSION:2.1\r\nUID:x\r\nFN:Big\r\n"


def _photo_21(size: int) -> bytes:
    data = base64.b64encode(bytes(range(256)) * (size // 256))
    lines = [data[i : i + 76] for i in range(0, len(data), 76)]
    return b"PHOTO;ENCODING=BASE64;TYPE=JPEG:" + b"\r\n".join(lines) + b"\r\n\r\n"


HUGE = {
    "a 1 MB line": _HEAD21 + b"NOTE:" + b"a" * 1_000_000 + b"\r\nEND:VCARD\r\n",
    "a 1 MB folded line": _HEAD21 + b"NOTE:" + b"\r\n ".join([b"x" * 74] * 14_000) + b"\r\n"
    b"END:VCARD\r\n",
    "5,000 properties": _HEAD21
    + b"".join(b"TEL:+1 555 %d\r\n" % i for i in range(5000))
    + b"END:VCARD\r\n",
    "400,000 quoted-printable soft breaks": _HEAD21
    + b"NOTE;ENCODING=QUOTED-PRINTABLE:"
    + b"=\r\n" * 400_000
    + b"END:VCARD\r\n",
    "200,000 blank lines": _HEAD21 + b"\r\n" * 200_000 + b"END:VCARD\r\n",
    "a 2 MB 2.1 photo": _HEAD21 + _photo_21(2_000_000) + b"END:VCARD\r\n",
    "a 1 MB line without a colon": _HEAD21 + b"a" * 1_000_000 + b"\r\nEND:VCARD\r\n",
    "1 MB of parameters": _HEAD21 + b"X-A;" + b"P=1;" * 250_000 + b":v\r\nEND:VCARD\r\n",
    "100,000 BEGIN lines": b"BEGIN:VCARD\r\n" * 100_000,
    "100,000 nested AGENT cards": b"BEGIN:VCARD\r\n" + b"AGENT:\r\nBEGIN:VCARD\r\n" * 100_000,
    "100,000 glued BEGINs": b"BEGIN:VCARD\r\n" + b"NOTE:cutBEGIN:VCARD\r\n" * 100_000,
    "a CR-only 1 MB file": b"BEGIN:VCARD\rFN:x\r" * 60_000,
    "100,000 :VCARD in a value": _HEAD21 + b"NOTE:" + b"BEGIN:VCARD " * 100_000 + b"\r\n"
    b"END:VCARD\r\n",
}


@pytest.mark.parametrize("name", sorted(HUGE))
def test_huge_and_hostile_cards_are_answered_or_refused_as_bad(name: str) -> None:
    """Each reader answers or raises BadItem, nothing else (how long they take, against a
    quadratic codec's minute and more: benchmarks/bench_hostile_cards.py)."""
    data = HUGE[name]
    for work in (describe_card, split_cards, lambda d: find_value(d, "NOTE"), single_card_problem):
        with contextlib.suppress(BadItem):
            work(data)


# -- a card cut off never glues onto the next one ---------------------------------------

ANN = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nEND:VCARD\r\n"
CAT = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:cat\r\nFN:Cat\r\nEND:VCARD\r\n"
AGENT_21 = (
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nAGENT:\r\n"
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Assistant\r\nEND:VCARD\r\n"
    b"TEL;WORK:+1 555 0100\r\nEND:VCARD\r\n"
)
QP_21 = (
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nUID:qp\r\n"
    b"NOTE;ENCODING=QUOTED-PRINTABLE:first line=0D=0A=\r\nsecond =\r\n line\r\n"
    b"END:VCARD\r\n"
)
MIDDLES = {name: load(name) for name in GOOD} | {"agent-21": AGENT_21, "qp-21": QP_21}


def _pieces(data: bytes) -> list[tuple[bytes, str | None]]:
    return [(data[s.start : s.end], s.problem) for s in split_cards(data)]


@pytest.mark.parametrize("name", sorted(MIDDLES))
@pytest.mark.parametrize(
    "after", [CAT, b"\xef\xbb\xbf" + CAT, CAT.replace(b"\r\n", b"\n")], ids=["crlf", "bom", "lf"]
)
def test_a_card_cut_anywhere_ends_there_and_the_next_is_read_alone(name: str, after: bytes) -> None:
    """Three cards, the middle one cut at every byte: the outer two stay good and byte
    identical; what is left of the middle one is a card with a problem (or, cut inside its
    BEGIN line, text between cards that the file store reports)."""
    middle = MIDDLES[name]
    nested_at = middle.find(b"BEGIN:VCARD", 1) if name == "agent-21" else -1
    for cut in range(1, middle.rindex(b"END:VCARD") + 1):
        data = ANN + middle[:cut] + after
        pieces = _pieces(data)
        assert pieces[0] == (ANN, None), cut
        assert pieces[-1] == (after.removeprefix(b"\xef\xbb\xbf"), None), (cut, pieces)
        rest = pieces[1:-1]
        if not rest:  # cut inside the BEGIN line
            assert cut < len(b"BEGIN:VCARD\r\n")
            gap = data[len(ANN) : data.rindex(after.removeprefix(b"\xef\xbb\xbf"))]
            assert cardlike(gap), (cut, gap)
            continue
        assert rest[0][1] is not None, (cut, rest)  # the cut-off card has a problem
        assert b"".join(piece for piece, _ in rest) in middle[:cut], cut
        if cut > nested_at >= 0:  # cut inside or after the agent: that is a card of its own
            assert len(rest) <= 2
        else:
            assert len(rest) == 1, (cut, rest)


GLUED = {
    "cut mid-line": b"NOTE:cut here",
    "cut after a fold's blank": b"NOTE:long\r\n ",
    "cut after a quoted-printable soft break": b"NOTE;QUOTED-PRINTABLE:a=\r\n",
    "cut in a quoted-printable soft break": b"NOTE;QUOTED-PRINTABLE:a=",
    "cut after a non-empty AGENT line": b"AGENT:x\r\n",
    "cut after an empty AGENT line": b"AGENT:\r\n",
    "cut after AGENT:": b"AGENT:",
    "cut after a CR": b"NOTE:x\r",
    "cut in an iOS line end": b"NOTE:x\r\r",
}


@pytest.mark.parametrize("shape", sorted(GLUED))
@pytest.mark.parametrize(
    "begin",
    [b"BEGIN:VCARD", b"begin:vcard", b"\xef\xbb\xbfBEGIN:VCARD", b"BEGIN:VCARD  "],
    ids=["plain", "lower", "bom", "blanks"],
)
def test_glued_shapes_split_into_three_cards(shape: str, begin: bytes) -> None:
    cut = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bob\r\n" + GLUED[shape]
    after = CAT.replace(b"BEGIN:VCARD", begin, 1)
    pieces = _pieces(ANN + cut + after)
    assert [problem is None for _, problem in pieces] == [True, False, True], pieces
    assert pieces[0][0] == ANN
    assert pieces[2][0] == after.removeprefix(b"\xef\xbb\xbf")
    assert pieces[1][0] == cut
    # the folder store's parser refuses the same bytes as one card
    with pytest.raises(BadItem):
        parse_card(cut + after)


@pytest.mark.parametrize(
    ("what", "next_card"),
    [
        ("trailing text after BEGIN:VCARD", b"BEGIN:VCARD junk\r\nVERSION:3.0\r\nEND:VCARD\r\n"),
        ("CR-only line ends", CAT.replace(b"\r\n", b"\r")),
        ("iOS line ends", CAT.replace(b"\r\n", b"\r\r\n")),
    ],
)
def test_odd_begin_lines_start_a_card_too(what: str, next_card: bytes) -> None:
    cut = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bob\r\n"
    pieces = _pieces(ANN + cut + next_card + ANN)
    assert [piece for piece, _ in pieces] == [ANN, cut, next_card, ANN], what
    assert pieces[1][1] is not None


@pytest.mark.parametrize(
    "card",
    [
        AGENT_21,
        # two agents, the second one glued to its AGENT header
        AGENT_21.replace(
            b"TEL;WORK", b"AGENT:BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Two\r\nEND:VCARD\r\nTEL;WORK"
        ),
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Boss\r\n"
        b"AGENT:BEGIN:VCARD\\nVERSION:3.0\\nFN:Assistant\\nEND:VCARD\\n\r\nEND:VCARD\r\n",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Boss\r\n"  # the same, folded just after BEGIN:VCARD
        b"AGENT:BEGIN:VCARD\r\n \\nVERSION:3.0\\nFN:Assistant\\nEND:VCARD\\n\r\nEND:VCARD\r\n",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:a card starts with BEGIN:VCARD and ends\r\n"
        b" with END:VCARD\r\nEND:VCARD\r\n",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:say BEGIN:VCARD then END:VCARD\r\nEND:VCARD\r\n",
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;QUOTED-PRINTABLE:BEGIN:VCARD=0D=0A=\r\n"
        b"END:VCARD =\r\nend\r\nEND:VCARD\r\n",
    ],
    ids=["agent-21", "two-agents-21", "agent-30", "agent-30-folded", "note-folded", "note", "qp"],
)
def test_legitimate_cards_are_never_split(card: bytes) -> None:
    assert _pieces(ANN + card + CAT) == [(ANN, None), (card, None), (CAT, None)]


def test_a_cut_inside_the_begin_line_leaves_reported_text_between_cards() -> None:
    for fragment in (b"B", b"BEGI", b"BEGIN:VC", b"BEGIN:VCAR"):
        assert _pieces(ANN + fragment + CAT) == [(ANN, None), (CAT, None)]
        assert cardlike(fragment)
    for gap in (b"", b"\r\n", b"\n\n \t", b"\xef\xbb\xbf", b"\r\n\x1a"):
        assert not cardlike(gap)
    # once BEGIN:VCARD is whole it is a card, cut off (a lone CR is a line break)
    for fragment in (b"BEGIN:VCARD", b"BEGIN:VCARD ", b"BEGIN:VCARD\r"):
        assert _pieces(ANN + fragment + CAT) == [(ANN, None), (fragment, NO_END), (CAT, None)]


def test_an_indented_begin_outside_a_card_stays_in_a_gap() -> None:
    data = ANN + b"  BEGIN:VCARD\r\nFN:Indented\r\n" + CAT
    assert _pieces(data) == [(ANN, None), (CAT, None)]


@pytest.mark.parametrize(
    ("middle", "words"),
    [
        # the BEGIN line of a second card damaged: the two read as one card otherwise
        (b"NOTE:cut\r\nBEGIN:VCXRD\r\nVERSION:3.0\r\nUID:b\r\n", "BEGIN line inside the card"),
        (b"NOTE:cut\r\nBEGXN:VCARD\r\nVERSION:3.0\r\nUID:b\r\n", "2 VERSION lines"),
        (b"NOTE:cut\r\nBEGXN:VCARD\r\nUID:b\r\n", "2 different UIDs"),
        (b"NOTE:cut\r\nBEGXN:VCARD\r\nUID;QUOTED-PRINTABLE:=62\r\n", "2 different UIDs"),
        (b"END:VCARDBEGIN:\r\n VCARD\r\nUID:b\r\n", "END line that does not end the card"),
    ],
)
def test_two_cards_joined_by_a_damaged_begin_line_are_refused(middle: bytes, words: str) -> None:
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\n" + middle + b"FN:B\r\nEND:VCARD\r\n"
    with pytest.raises(BadItem, match=words):
        describe_card(data)


@pytest.mark.parametrize(
    "extra",
    [
        b"UID:a\r\n",  # the same UID twice: one identity
        b"item1.UID:other\r\n",  # a grouped line is not the card's UID
        b"NOTE;QUOTED-PRINTABLE:x=\r\nVERSION:4.0 is mentioned\r\n",  # a continuation line
    ],
)
def test_lines_that_only_look_like_a_second_identity_are_fine(extra: bytes) -> None:
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\n" + extra + b"END:VCARD\r\n"
    assert describe_card(data) == ItemInfo("a", "A")


@pytest.mark.parametrize("glue", [b"", b"\xef\xbb\xbf"])
def test_files_joined_without_a_line_break_split_at_the_end_line(glue: bytes) -> None:
    first = ANN.removesuffix(b"\r\n")  # a file that did not end with a line break
    data = first + glue + CAT.lower().replace(b"uid:cat", b"UID:cat")
    assert [(piece, problem) for piece, problem in _pieces(data)] == [
        (first, None),
        (CAT.lower().replace(b"uid:cat", b"UID:cat"), None),
    ]
    with pytest.raises(BadItem, match="line 5 is an END line that does not end the card"):
        parse_card(data)  # one file, two cards


@pytest.mark.parametrize("name", GOOD)
def test_ios_line_ends_read_as_crlf(name: str) -> None:
    """CR CR LF everywhere (folds and quoted-printable soft breaks included) reads as the
    same card: the same lines, the same meaning."""
    data = load(name)
    ios = re.sub(rb"\r?\n", b"\r\r\n", data)
    card, other = parse_card(data), parse_card(ios)
    assert joined(other) == ios
    assert [meaning(line) for line in other.lines] == [meaning(line) for line in card.lines]
