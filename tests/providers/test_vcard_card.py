"""The content-line model: parsing, byte fidelity, decoding and validation."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.engine.errors import BadItem
from syncgui.providers.vcard.card import Card, parse_card
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
    for group, name, params, value in lines:
        body.append(_fold(f"{group}{name}{params}:{value}".encode(), width, eol))
        if blank:
            body.append(b"")
    data = eol.join([*body, b"END:VCARD"]) + eol
    assert_lazy_agrees(data)
