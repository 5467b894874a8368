"""Match keys of vCards (matching when stores meet): the same contact exported by different
programs is found, different people are not taken for one, damaged cards are refused."""

from __future__ import annotations

import itertools
import logging
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.engine.errors import BadItem
from syncgui.engine.itemformat import ItemFormat, MatchKeys
from syncgui.engine.matching import Candidate, MatchLevel, MatchRule, find_matches, person_keys
from syncgui.providers.vcard import identity
from syncgui.providers.vcard.card import parse_card
from syncgui.providers.vcard.format import VCardFormat
from syncgui.providers.vcard.identity import match_keys, name_key, phone_keys

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import cards

CARDS = Path(__file__).parent.parent / "data" / "cards"
FORMAT: ItemFormat = VCardFormat()


def card(*lines: str, version: str = "3.0", eol: str = "\r\n") -> bytes:
    return eol.join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""]).encode()


def candidate(n: int, data: bytes) -> Candidate:
    return Candidate(bytes([n]) * 16, f"card {n}", f"{n}.vcf", match_keys(data))


def same_person(a: bytes, b: bytes) -> bool:
    """Whether matching takes ``a`` and ``b`` (one on each side) for one contact."""
    report = find_matches([candidate(1, a)], [candidate(2, b)], MatchLevel.PEOPLE)
    return [m.rule for m in report.matches] in ([MatchRule.PERSON], [MatchRule.CONTENT])


# -- one contact, five programs ------------------------------------------------------------

ANDROID_21 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:O'Brien;Zo=C3=AB;;;\r\n"
    b"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Zo=C3=AB O'Brien\r\n"
    b"TEL;CELL;PREF:+44 20 7946 0018\r\n"
    b"EMAIL;HOME:zoe.obrien@example.com\r\n"
    b"NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Met at the sync conference in Z=C3=BCrich,=\r\n"
    b" we talked about address books=0D=0Aand tea\r\n"
    b"END:VCARD\r\n"
)
GOOGLE_30 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:3.0\r\n"
    b"FN:Zo\xc3\xab O'Brien\r\n"
    b"N:O'Brien;Zo\xc3\xab;;;\r\n"
    b"EMAIL;TYPE=INTERNET;TYPE=HOME:Zoe.OBrien@Example.com\r\n"
    b"TEL;TYPE=CELL:020 7946 0018\r\n"
    b"CATEGORIES:myContacts\r\n"
    b"END:VCARD\r\n"
)
OUTLOOK_21 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"N;LANGUAGE=en-gb;CHARSET=Windows-1252:O'Brien;Zo\xeb\r\n"
    b"FN;CHARSET=Windows-1252:Zo\xeb O'Brien\r\n"
    b"TEL;WORK;VOICE:+44 (0)20 7946 0018\r\n"
    b"EMAIL;PREF;INTERNET:zoe.obrien@example.com\r\n"
    b"X-MS-OL-DEFAULT-POSTAL-ADDRESS:0\r\n"
    b"REV:20240301T100000Z\r\n"
    b"END:VCARD\r\n"
)
APPLE_30 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:3.0\r\n"
    b"PRODID:-//Apple Inc.//macOS 14.4//EN\r\n"
    b"N:O'Brien;Zo\xc3\xab;;;\r\n"
    b"FN:Zo\xc3\xab O'Brien\r\n"
    b"item1.EMAIL;type=INTERNET;type=pref:zoe.obrien@example.com\r\n"
    b"item1.X-ABLabel:_$!<Other>!$_\r\n"
    b"item2.TEL;type=pref:0044 20 7946 0018\r\n"
    b"item2.X-ABLabel:_$!<Mobile>!$_\r\n"
    b"UID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE\r\n"
    b"REV:2024-03-01T10:00:00Z\r\n"
    b"END:VCARD\r\n"
)
THUNDERBIRD_40 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:4.0\r\n"
    b"FN:Zo\xc3\xab O'Brien\r\n"
    b"N:O'Brien;Zo\xc3\xab;;;\r\n"
    b"EMAIL;PREF=1:zoe.obrien@example.com\r\n"
    b'TEL;TYPE="cell";VALUE=uri:tel:+44-20-7946-0018\r\n'
    b"UID:2b4f8c9a-1d3e-4f5a-8b7c-6d5e4f3a2b1c\r\n"
    b"END:VCARD\r\n"
)
EXPORTS = {
    "Android 2.1": ANDROID_21,
    "Google 3.0": GOOGLE_30,
    "Outlook 2.1": OUTLOOK_21,
    "Apple 3.0": APPLE_30,
    "Thunderbird 4.0": THUNDERBIRD_40,
}


@pytest.mark.parametrize("program", EXPORTS)
def test_each_export_reads_the_name_and_the_handles(program: str) -> None:
    keys = FORMAT.match_keys(EXPORTS[program])
    assert keys.name == "brien o zoë"
    assert {"tel:2079460018", "email:zoe.obrien@example.com"} <= keys.handles


@pytest.mark.parametrize(
    ("a", "b"), list(itertools.permutations(EXPORTS, 2)), ids="{0[0]}-{0[1]}".format
)
def test_the_same_contact_from_two_programs_is_matched(a: str, b: str) -> None:
    assert same_person(EXPORTS[a], EXPORTS[b])


def test_exports_of_one_contact_differ_in_content() -> None:
    """Different programs write different lines: only the person rule matches them."""
    contents = {match_keys(data).content for data in EXPORTS.values()}
    assert len(contents) == len(EXPORTS)


# -- content: what an export may change without changing the card -------------------------

BASE = card(
    "UID:base-1",
    "FN:Ann Example",
    "N:Example;Ann;;;",
    "TEL;TYPE=CELL:+1 555 0100",
    "EMAIL;TYPE=HOME:ann@example.org",
    "item1.URL:https://example.org/ann",
    "item1.X-ABLabel:blog",
    "NOTE:A long note that some programs fold at 75 octets and others do not fold at all",
    "REV:2024-01-01T00:00:00Z",
)


def _fold_note(data: bytes, eol: bytes = b"\r\n") -> bytes:
    return data.replace(b"at 75 octets", b"at 75 oc" + eol + b" tets")


def _reorder(data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    body = lines[2:-2]
    return b"\r\n".join([*lines[:2], *reversed(body), *lines[-2:]])


@pytest.mark.parametrize(
    ("what", "data"),
    [
        ("another UID", BASE.replace(b"UID:base-1", b"UID:other-store-77")),
        ("no UID", BASE.replace(b"UID:base-1\r\n", b"")),
        ("another REV", BASE.replace(b"REV:2024-01-01T00:00:00Z", b"REV:20250102T030405Z")),
        ("a PRODID", BASE.replace(b"VERSION:3.0\r\n", b"VERSION:3.0\r\nPRODID:-//Acme//EN\r\n")),
        ("LF line ends", BASE.replace(b"\r\n", b"\n")),
        ("iOS CR CR LF line ends", BASE.replace(b"\r\n", b"\r\r\n")),
        ("a folded line", _fold_note(BASE)),
        ("a folded line, LF", _fold_note(BASE.replace(b"\r\n", b"\n"), b"\n")),
        ("a line folded in its name", BASE.replace(b"EMAIL;TYPE", b"EMA\r\n IL;TYPE")),
        ("a tab fold", BASE.replace(b"NOTE:A long", b"NOTE:A\r\n\t long")),
        ("another order", _reorder(BASE)),
        ("lower-case names", BASE.replace(b"TEL;TYPE=", b"tel;type=").replace(b"FN:", b"fn:")),
        ("an upper-case group", BASE.replace(b"item1.", b"ITEM1.")),
        ("a byte order mark", b"\xef\xbb\xbf" + BASE),
        ("blank lines around", b"\r\n" + BASE + b"\r\n\r\n"),
    ],
)
def test_content_ignores_what_exports_change(what: str, data: bytes) -> None:
    assert match_keys(data).content == match_keys(BASE).content, what


@pytest.mark.parametrize(
    ("what", "data"),
    [
        ("a changed value", BASE.replace(b"+1 555 0100", b"+1 555 0101")),
        ("a changed note", BASE.replace(b"long note", b"longer note")),
        ("a changed parameter value", BASE.replace(b"TYPE=CELL", b"TYPE=WORK")),
        ("a parameter value's case", BASE.replace(b"TYPE=CELL", b"TYPE=cell")),
        ("a trailing blank in a value", BASE.replace(b"Ann Example", b"Ann Example ")),
        ("another version", BASE.replace(b"VERSION:3.0", b"VERSION:4.0")),
        ("another group", BASE.replace(b"item1.", b"item2.")),
        ("a line more", BASE.replace(b"REV:", b"ORG:Acme\r\nREV:")),
        ("a line less", BASE.replace(b"item1.X-ABLabel:blog\r\n", b"")),
        ("a line twice", BASE.replace(b"REV:", b"TEL;TYPE=CELL:+1 555 0100\r\nREV:")),
    ],
)
def test_content_changes_with_the_card(what: str, data: bytes) -> None:
    assert match_keys(data).content != match_keys(BASE).content, what


def test_content_ignores_where_a_quoted_printable_line_breaks() -> None:
    note = "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:"
    one = card("FN:Ann", note + "Gr=C3=BC=C3=9Fe aus Z=C3=BCrich", version="2.1")
    two = card("FN:Ann", note + "Gr=C3=BC=C3=\r\n=9Fe aus Z=\r\n=C3=BCrich", version="2.1")
    lf = two.replace(b"\r\n", b"\n")
    assert match_keys(one).content == match_keys(two).content == match_keys(lf).content
    qp_written_otherwise = card(
        "FN:Ann", note + "Gr=C3=BC=C3=9Fe aus Z=C3=BCrich=20", version="2.1"
    )
    assert match_keys(qp_written_otherwise).content != match_keys(one).content


def test_same_content_is_matched_without_a_name_or_handle() -> None:
    a = card("UID:a", "ORG:Acme Ltd", "NOTE:reception")
    b = card("ORG:Acme Ltd", "UID:b", "NOTE:reception", eol="\n")
    assert match_keys(a).name == "" and match_keys(a).handles == frozenset()
    report = find_matches([candidate(1, a)], [candidate(2, b)], MatchLevel.EXACT)
    assert [m.rule for m in report.matches] == [MatchRule.CONTENT]


# -- name ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "name"),
    [
        (["FN:John Doe"], "doe john"),
        (["FN:Doe, John"], "doe john"),
        (["FN:  john   DOE "], "doe john"),
        (["FN:Dr. J. (Johnny) O'Neil-Doe"], "dr j johnny neil-doe o"),
        (['FN:"Johnny" Doe'], "doe johnny"),
        (["FN:John\\, Doe"], "doe john"),
        (["N:Doe;John;;;"], "doe john"),
        (["N:Doe;John;Quincy;Dr.;Jr."], "doe john"),  # given and family name only
        (["N:Doe\\;Smith;John;;;"], "doe john smith"),
        (["FN:", "N:Doe;John;;;"], "doe john"),  # an empty FN: N
        (["FN:Ann Other", "N:Doe;John;;;"], "ann other"),  # FN first
        (["FN:STRASSE"], "strasse"),
        (["FN:Straße"], "strasse"),  # case folded
        (["FN:Ｊｏｈｎ　Ｄｏｅ"], "doe john"),  # NFKC: fullwidth letters and space
        (["FN:Zoe\u0308"], "zoë"),  # NFKC: composed
        (["FN:Ивана Смирнова"], "ивана смирнова"),
        (["FN:山田 太郎"], "太郎 山田"),
        (["item1.FN:Grouped Name"], "grouped name"),
        (["ORG:Acme Ltd"], ""),  # no name: ORG and EMAIL are no name
        (["EMAIL:ann@example.org"], ""),
        (["FN:...", "ORG:Acme"], ""),
        ([], ""),
    ],
)
def test_name(lines: list[str], name: str) -> None:
    assert match_keys(card(*lines)).name == name


@pytest.mark.parametrize(
    "line",
    [
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller",
        "FN;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:J=C3=BCrgen =\r\nM=C3=BCller",
        "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FCller",
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;",
        "N;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;",
    ],
)
def test_name_of_a_21_card_is_decoded(line: str) -> None:
    assert match_keys(card(line, version="2.1")).name == "jürgen müller"


def test_name_in_a_declared_charset_is_decoded() -> None:
    data = card("FN;CHARSET=ISO-8859-1:PLACEHOLDER", version="2.1")
    data = data.replace(b"PLACEHOLDER", "José González".encode("latin-1"))
    assert match_keys(data).name == "gonzález josé"


def test_name_key() -> None:
    assert name_key("Doe, John") == name_key("john doe") == "doe john"
    assert name_key(" ; ") == ""


# -- handles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "handles"),
    [
        (["EMAIL:ann@example.org"], {"email:ann@example.org"}),
        (["EMAIL;TYPE=WORK: Ann.Other@Example.ORG "], {"email:ann.other@example.org"}),
        (["item1.EMAIL;type=INTERNET:ann@example.org"], {"email:ann@example.org"}),
        (["EMAIL:not an address"], set()),
        (["EMAIL:"], set()),
        (["EMAIL:a@x.org", "EMAIL:b@x.org"], {"email:a@x.org", "email:b@x.org"}),
        (["URL:https://ann@example.org", "NOTE:ann@example.org"], set()),
    ],
)
def test_email_handles(lines: list[str], handles: set[str]) -> None:
    assert match_keys(card(*lines)).handles == handles


def test_email_of_a_21_card_is_decoded() -> None:
    line = "EMAIL;INTERNET;ENCODING=QUOTED-PRINTABLE:j=C3=BCrgen@example.de"
    assert match_keys(card(line, version="2.1")).handles == {"email:jürgen@example.de"}


@pytest.mark.parametrize(
    ("number", "keys"),
    [
        ("+44 20 7946 0018", {"442079460018", "42079460018", "2079460018", "79460018"}),
        ("+44 (0)20 7946 0018", {"4402079460018", "402079460018", "2079460018"}),
        ("0044 20 7946 0018", {"442079460018", "42079460018", "2079460018", "79460018"}),
        ("(+44) 20 7946 0018", {"442079460018", "42079460018", "2079460018", "79460018"}),
        ("020 7946 0018", {"2079460018"}),  # national: the trunk 0 dropped
        ("2079460018", {"2079460018"}),
        ("+1 555 0001", {"15550001", "5550001", "550001"}),
        ("555 0001", {"5550001"}),
        ("+1-555-555-0100", {"15555550100", "5555550100", "555550100", "55550100"}),
        ("tel:+1-555-555-0100", {"15555550100", "5555550100", "555550100", "55550100"}),
        ("TEL:+1-555-555-0100;ext=102", {"15555550100", "5555550100", "555550100", "55550100"}),
        ("tel:030-1234567", {"301234567"}),
        (
            "＋４４ ２０ ７９４６ ００１８",
            {"442079460018", "42079460018", "2079460018", "79460018"},
        ),
        ("٠٢٠ ٧٩٤٦ ٠٠١٨", {"2079460018"}),  # Arabic-Indic digits
        ("112", set()),  # too short: emergency and short codes, extensions
        ("+49 110", set()),
        ("ext. 4711", set()),
        ("0 1234", set()),
        ("", set()),
        ("n/a", set()),
    ],
)
def test_phone_keys(number: str, keys: set[str]) -> None:
    assert phone_keys(number) == {f"tel:{k}" for k in keys}


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("+44 (0)20 7946 0018", "+44 20 7946 0018"),
        ("+44 (0)20 7946 0018", "020 7946 0018"),
        ("+44 20 7946 0018", "020 7946 0018"),
        ("0044 20 7946 0018", "020 7946 0018"),
        ("0044 20 7946 0018", "+44-20-7946-0018"),
        ("+1 555 0001", "555 0001"),
        ("+1 (408) 555-0100", "408.555.0100"),
        ("+49 170 1234567", "0170 1234567"),
        ("+353 1 234 5678", "01 234 5678"),  # a 3-digit country code
        ("+7 495 123-45-67", "495 123-45-67"),
    ],
)
def test_one_number_written_two_ways_shares_a_key(one: str, other: str) -> None:
    assert phone_keys(one) & phone_keys(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("+44 20 7946 0018", "+44 20 7946 0019"),
        ("020 7946 0018", "020 7946 0081"),
        ("555 0001", "555 0002"),
    ],
)
def test_different_numbers_share_no_key(one: str, other: str) -> None:
    assert not phone_keys(one) & phone_keys(other)


@pytest.mark.parametrize(
    "line",
    [
        "TEL;CELL:+49 170 1234567",
        "TEL;TYPE=CELL:0170 1234567",
        "item3.TEL;type=CELL:+49 (0)170 1234567",
        "TEL;VALUE=uri;TYPE=cell:tel:+49-170-1234567",
        "TEL;ENCODING=QUOTED-PRINTABLE:+49 170 =\r\n1234567",
        "TEL;CHARSET=UTF-8:＋４９ １７０ １２３４５６７",
        "TEL;TYPE=CELL:+49\\ 170\\ 1234567",  # escapes, read leniently
    ],
)
def test_phone_lines_of_every_kind(line: str) -> None:
    version = "2.1" if "QUOTED" in line else "3.0"
    assert "tel:1701234567" in match_keys(card(line, version=version)).handles


def test_a_short_number_gives_no_handle() -> None:
    keys = match_keys(card("FN:Pizza", "TEL:1234", "TEL;TYPE=WORK:+49 110"))
    assert keys.handles == frozenset()


# -- different people stay apart ------------------------------------------------------------


def test_people_sharing_only_a_name_are_not_one() -> None:
    a = card("FN:John Smith", "TEL:+44 20 7946 0018", "EMAIL:john@example.org")
    b = card("FN:John Smith", "TEL:+1 212 555 0199", "EMAIL:jsmith@example.com")
    assert not person_keys(candidate(1, a)) & person_keys(candidate(2, b))
    assert not same_person(a, b)


def test_people_sharing_only_a_phone_are_not_one() -> None:
    """A household's landline: two people, one number."""
    a = card("FN:Ann Smith", "TEL;TYPE=HOME:020 7946 0018")
    b = card("FN:Bob Smith", "TEL;TYPE=HOME:+44 20 7946 0018")
    assert match_keys(a).handles & match_keys(b).handles
    assert not person_keys(candidate(1, a)) & person_keys(candidate(2, b))
    assert not same_person(a, b)


def test_people_sharing_only_an_email_domain_are_not_one() -> None:
    a = card("FN:Ann Smith", "EMAIL:ann@example.org")
    b = card("FN:Ann Smith", "EMAIL:info@example.org")
    assert not same_person(a, b)


def test_a_card_without_a_name_is_never_taken_for_a_person() -> None:
    a = card("UID:a", "TEL:+44 20 7946 0018")
    b = card("UID:b", "TEL:020 7946 0018")
    assert person_keys(candidate(1, a)) == set()
    assert not same_person(a, b)


# -- cards the codec refuses ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in CARDS.iterdir() if "broken" in p.name))
def test_a_broken_card_raises_bad_item(name: str) -> None:
    with pytest.raises(BadItem):
        FORMAT.match_keys((CARDS / name).read_bytes())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\n",  # cut off
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nBEGIN:VCARD\r\nFN:Bob\r\nEND:VCARD\r\n",
        card("FN:Ann").replace(b"\r\n", b"\r"),  # old Mac line ends
        card("FN:Ann").decode().encode("utf-16"),
        card("FN:Ann", "NOTE no colon here"),
    ],
)
def test_a_card_the_codec_refuses_raises_bad_item(data: bytes) -> None:
    with pytest.raises(BadItem):
        match_keys(data)
    with pytest.raises(BadItem):
        parse_card(data)


def test_any_other_failure_is_a_bad_item_for_that_card(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str) -> str:
        raise RuntimeError("a bug in the reader")

    monkeypatch.setattr(identity, "name_key", broken)
    data = card("UID:u-1", "FN:Secret Person", "NOTE:private")
    caplog.set_level(logging.WARNING, logger="syncgui.providers.vcard.identity")
    with pytest.raises(BadItem, match=r"unexpected error .*\(RuntimeError\)") as caught:
        match_keys(data)
    assert isinstance(caught.value.__cause__, RuntimeError)
    (record,) = caplog.records
    assert record.exc_info is not None
    logged = record.getMessage()
    assert "'u-1'" in logged and f"{len(data)} bytes" in logged
    assert "Secret" not in logged and "private" not in logged


@pytest.mark.parametrize("charset", ["rot13", "base64", "idna", "punycode", "x-unknown", "utf-16"])
def test_odd_charsets_are_read_as_the_codec_reads_them(charset: str) -> None:
    data = card(
        f"FN;CHARSET={charset}:Ann Example",
        f"TEL;CHARSET={charset}:+44 20 7946 0018",
        f"EMAIL;CHARSET={charset}:ann@example.org",
    )
    keys = match_keys(data)  # anything but a result would fail here
    fn = parse_card(data).first("FN")
    assert fn is not None
    assert keys.name == name_key(fn.text())


# -- the quick reading agrees with the codec's lines ---------------------------------------


def _both_readings(data: bytes) -> tuple[MatchKeys | None, MatchKeys]:
    return identity._keys_of_plain(data), identity._keys_of_card(parse_card(data))


@pytest.mark.parametrize(
    "data",
    [
        *(p.read_bytes() for p in sorted(CARDS.iterdir()) if "broken" not in p.name),
        *EXPORTS.values(),
        BASE,
        card('X-THING;LABEL="a:b";TYPE=x:value', "FN:Quoted Colon"),
        card("PHOTO;ENCODING=BASE64;TYPE=JPEG:QUJD\r\nREVG\r\n", "FN:Unindented", version="2.1"),
    ],
)
def test_quick_reading_is_the_codecs(data: bytes) -> None:
    quick, parsed = _both_readings(data)
    assert quick is None or quick == parsed
    assert match_keys(data) == parsed


def test_quick_reading_of_generated_contacts() -> None:
    quick = 0
    for contact in cards.generate(300, photo_share=0.1, lf_share=0.3):
        fast, parsed = _both_readings(contact.data)
        assert fast is None or fast == parsed, contact.file_name
        quick += fast is not None
        assert parsed.name
    assert quick > 200  # most cards take the quick path


_VALUE = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\\;,:=\"' "),
    max_size=30,
)
_PROPERTY = st.tuples(
    st.sampled_from(["FN", "N", "TEL", "EMAIL", "NOTE", "ORG", "item1.TEL", "X-Custom", "url"]),
    st.sampled_from(["", ";TYPE=CELL", ";type=home;PREF=1", ';LABEL="a;b"', ";CHARSET=UTF-8"]),
    _VALUE,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_PROPERTY, min_size=1, max_size=8),
    st.sampled_from(["\r\n", "\n"]),
    st.integers(5, 40),
    st.randoms(use_true_random=False),
)
def test_refolding_and_reordering_keep_the_keys(
    properties: list[tuple[str, str, str]], eol: str, width: int, rng: random.Random
) -> None:
    lines = [f"{name}{params}:{value.strip()}" for name, params, value in properties]
    plain = card(*lines, eol=eol)
    shuffled = list(lines)
    rng.shuffle(shuffled)
    folded = [
        "\r\n ".join(line[i : i + width] for i in range(0, len(line), width)) for line in shuffled
    ]
    other = card(*folded)
    keys, moved = match_keys(plain), match_keys(other)
    assert (moved.content, moved.handles) == (keys.content, keys.handles)
    names = [name for name, _params, _value in properties if name in ("FN", "N")]
    if len(names) == len(set(names)):  # else the first FN (or N) is read: the order counts
        assert moved.name == keys.name
    for data in (plain, other):
        quick, parsed = _both_readings(data)
        assert quick is None or quick == parsed
