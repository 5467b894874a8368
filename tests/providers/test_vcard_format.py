"""VCardFormat: describe, with_uid, as_copy, same, and the speed of describe."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from syncgui.engine.errors import BadItem
from syncgui.engine.itemformat import ItemFormat, ItemInfo
from syncgui.providers.vcard.card import parse_card
from syncgui.providers.vcard.format import VCardFormat, describe_card

CARDS = Path(__file__).parent.parent / "data" / "cards"
FORMAT: ItemFormat = VCardFormat()


def load(name: str) -> bytes:
    return (CARDS / name).read_bytes()


def card(*lines: str, version: str = "3.0", eol: str = "\r\n") -> bytes:
    return eol.join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""]).encode()


def without_line(data: bytes, line: bytes) -> bytes:
    assert data.count(line) == 1
    return data.replace(line, b"", 1)


@pytest.mark.parametrize(
    ("name", "uid", "label"),
    [
        ("android-21.vcf", None, "Ayşe Öztürk 山田太郎"),
        ("samsung-21.vcf", "3081464754-0-64@samsungmobile.com", "Jürgen Müller"),
        ("latin1-21.vcf", None, "José González"),
        ("apple-30.vcf", "5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE", "Johnny Appleseed"),
        ("v40.vcf", "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1", "Jane Doe"),
        ("no-uid.vcf", None, "Max Mustermann"),
        ("crlf-folded.vcf", "crlf-folded-1", "Zoë Keller"),
    ],
)
def test_describe_fixtures(name: str, uid: str | None, label: str) -> None:
    assert FORMAT.describe(load(name)) == ItemInfo(uid, label)
    assert describe_card(load(name)) == ItemInfo(uid, label)


@pytest.mark.parametrize(
    ("lines", "label"),
    [
        (["FN:  Ann   Lee ", "N:Other;Name;;;"], "Ann Lee"),
        (["FN:", "N:Lee;Ann;Marie;Dr.;"], "Ann Lee"),
        (["N:;;;Dr.;"], "Dr."),
        (["ORG:Acme\\, Inc.;Sales"], "Acme, Inc., Sales"),
        (["TEL;VALUE=uri:tel:+1-555-0100", "EMAIL:a@example.com"], "+1-555-0100"),
        (["item1.EMAIL:a@example.com", "TEL:+1 555"], "a@example.com"),
        (["NOTE:nothing to name it by"], "(unnamed card)"),
    ],
)
def test_describe_label_fallbacks(lines: list[str], label: str) -> None:
    assert FORMAT.describe(card(*lines)).label == label


def test_describe_empty_uid_is_none() -> None:
    assert FORMAT.describe(card("UID:", "FN:A")).uid is None


@pytest.mark.parametrize(
    "name", ["broken-empty.vcf", "broken-truncated.vcf", "broken-plain.txt", "broken-garbage.bin"]
)
def test_describe_raises_bad_item(name: str) -> None:
    with pytest.raises(BadItem):
        FORMAT.describe(load(name))


# --- with_uid ----------------------------------------------------------------------------


def test_with_uid_leaves_a_card_with_that_uid_alone() -> None:
    for name in ("apple-30.vcf", "samsung-21.vcf", "android-21.vcf"):
        data = load(name)
        uid = FORMAT.describe(data).uid or "u-1"
        data = FORMAT.with_uid(data, uid)
        assert FORMAT.with_uid(data, uid) is data


def test_with_uid_replaces_another_uid_and_changes_nothing_else() -> None:
    """A contact matched across stores keeps each store's own UID: a card written over a
    copy with another UID takes that UID, every other line byte-identical."""
    data = load("apple-30.vcf")
    old = FORMAT.describe(data).uid
    assert old is not None
    result = FORMAT.with_uid(data, "their-own")
    assert FORMAT.describe(result).uid == "their-own"
    assert result.replace(b"UID:their-own", f"UID:{old}".encode()) == data


def test_with_uid_replaces_a_folded_uid_whole() -> None:
    data = card("FN:A", "UID:abc", " def", "TEL:1")
    assert FORMAT.describe(data).uid == "abcdef"
    assert FORMAT.with_uid(data, "abcdef") is data
    assert FORMAT.with_uid(data, "abc") == card("FN:A", "UID:abc", "TEL:1")


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("no-uid.vcf", b"UID:new-uid-1\n"),
        ("android-21.vcf", b"UID:new-uid-1\r\n"),
        ("latin1-21.vcf", b"UID:new-uid-1\r\n"),
    ],
)
def test_with_uid_adds_exactly_one_line_after_version(name: str, line: bytes) -> None:
    data = load(name)
    result = FORMAT.with_uid(data, "new-uid-1")
    assert without_line(result, line) == data
    lines = parse_card(result).lines
    assert lines[1].name == "VERSION"
    assert lines[2].raw == line
    assert FORMAT.describe(result).uid == "new-uid-1"


def test_with_uid_escapes_and_encodes_for_the_version() -> None:
    result = FORMAT.with_uid(card("FN:A"), "a,b;c")
    assert b"UID:a\\,b\\;c\r\n" in result
    assert FORMAT.describe(result).uid == "a,b;c"
    result = FORMAT.with_uid(card("FN:A", version="2.1"), "Zoë")
    assert FORMAT.describe(result).uid == "Zoë"


def test_with_uid_fills_an_empty_uid_line_in_place() -> None:
    data = card("FN:A", "UID:", "TEL:1")
    assert FORMAT.with_uid(data, "u") == card("FN:A", "UID:u", "TEL:1")


def test_with_uid_without_version_goes_after_begin() -> None:
    data = b"BEGIN:VCARD\nFN:A\nEND:VCARD\n"
    assert FORMAT.with_uid(data, "u") == b"BEGIN:VCARD\nUID:u\nFN:A\nEND:VCARD\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (  # blank lines after VERSION belong to it: the UID goes after them
            b"BEGIN:VCARD\r\nVERSION:3.0\r\n\r\n\r\nFN:A\r\nEND:VCARD\r\n",
            b"BEGIN:VCARD\r\nVERSION:3.0\r\n\r\n\r\nUID:u\r\nFN:A\r\nEND:VCARD\r\n",
        ),
        (  # VERSION later in the card, a BOM and blanks before BEGIN, CRLF set by BEGIN
            b"\xef\xbb\xbf \nBEGIN:VCARD\nFN:A\r\nversion:4.0\r\nEND:VCARD\n\n",
            b"\xef\xbb\xbf \nBEGIN:VCARD\nFN:A\r\nversion:4.0\r\nUID:u\nEND:VCARD\n\n",
        ),
        (  # a folded VERSION line, and a UID in a NOTE that is no UID line
            b"BEGIN:VCARD\nVERSION:3.\n 0\nNOTE:x\n UID:u\nEND:VCARD\n",
            b"BEGIN:VCARD\nVERSION:3.\n 0\nUID:u\nNOTE:x\n UID:u\nEND:VCARD\n",
        ),
        (  # not a plain card (quoted-printable soft break): the line model's way
            b"BEGIN:VCARD\nVERSION:2.1\nNOTE;QUOTED-PRINTABLE:a=\nb\nEND:VCARD\n",
            b"BEGIN:VCARD\nVERSION:2.1\nUID:u\nNOTE;QUOTED-PRINTABLE:a=\nb\nEND:VCARD\n",
        ),
    ],
)
def test_with_uid_adds_the_line_after_the_whole_version_line(data: bytes, expected: bytes) -> None:
    assert FORMAT.with_uid(data, "u") == expected


def test_with_uid_inserts_where_the_line_model_does() -> None:
    """The insertion that splits no line agrees with rebuilding the card from its lines."""
    for made in generated_cards(40, seed=3):
        data = made.replace(b"UID:", b"X-OLD-ID:", 1)
        card = parse_card(data)
        line = f"UID:new{card.eol.decode()}".encode()
        version = card.index_of("VERSION")
        assert version is not None
        assert FORMAT.with_uid(data, "new") == card.rebuild({}, {version: [line]})


# --- as_copy -----------------------------------------------------------------------------


def test_as_copy_replaces_uid_and_marks_the_copy() -> None:
    data = load("apple-30.vcf")
    result = FORMAT.as_copy(data, "copy-1", "Laptop, Contacts; 2024\nsecond")
    old_uid = b"UID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE\r\n"
    marker = b"X-SYNCGUI-CONFLICT-COPY:Laptop\\, Contacts\\; 2024\\nsecond\r\n"
    assert result == data.replace(old_uid, b"UID:copy-1\r\n").replace(
        b"END:VCARD", marker + b"END:VCARD"
    )
    copy = parse_card(result)
    marker_line = copy.first("X-SYNCGUI-CONFLICT-COPY")
    assert marker_line is not None and marker_line.text() == "Laptop, Contacts; 2024\nsecond"
    assert FORMAT.describe(result) == ItemInfo("copy-1", "Johnny Appleseed")


def test_as_copy_of_21_card_replaces_the_quoted_printable_uid() -> None:
    data = load("samsung-21.vcf")
    result = FORMAT.as_copy(data, "copy-2", "Handy")
    uid = parse_card(data).first("UID")
    assert uid is not None
    assert result == data.replace(uid.raw, b"UID:copy-2\r\n").replace(
        b"END:VCARD", b"X-SYNCGUI-CONFLICT-COPY:Handy\r\nEND:VCARD"
    )
    result = FORMAT.as_copy(data, "copy-2", "Müller's phone")
    marker = parse_card(result).first("X-SYNCGUI-CONFLICT-COPY")
    assert marker is not None
    assert marker.is_qp and marker.text() == "Müller's phone"


def test_as_copy_adds_uid_when_missing() -> None:
    data = load("no-uid.vcf")
    result = FORMAT.as_copy(data, "copy-3", "Folder")
    expected = data.replace(b"VERSION:3.0\n", b"VERSION:3.0\nUID:copy-3\n").replace(
        b"END:VCARD", b"X-SYNCGUI-CONFLICT-COPY:Folder\nEND:VCARD"
    )
    assert result == expected


def test_as_copy_of_a_copy_replaces_the_marker() -> None:
    first = FORMAT.as_copy(load("no-uid.vcf"), "c1", "A")
    second = FORMAT.as_copy(first, "c2", "B")
    assert second == first.replace(b"UID:c1", b"UID:c2").replace(b"COPY:A", b"COPY:B")


# --- same --------------------------------------------------------------------------------


def test_same_ignores_line_endings_folding_order_uid_on_one_side_rev_prodid() -> None:
    a = card("UID:u", "FN:Ann Lee", "TEL:1", "EMAIL:a@x", "REV:2024-01-01", "PRODID:x")
    b = card("EMAIL:a@x", "TEL:1", "FN:Ann\n  Lee", "REV:2025-01-01", eol="\n")
    assert FORMAT.same(a, b)
    assert FORMAT.same(b, a)


def test_same_across_versions() -> None:
    a = card("FN:Zoë", "TEL;TYPE=CELL:1", "NOTE:a\\, b")
    b = card(
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Zo=C3=AB", "TEL;CELL:1", "NOTE:a, b",
        version="2.1",
    )  # fmt: skip
    assert FORMAT.same(a, b)


@pytest.mark.parametrize(
    "other",
    [
        card("UID:u", "FN:Ann", "TEL:2"),
        card("UID:u", "FN:Ann", "TEL:1", "TEL:1"),
        card("UID:u", "FN:Ann", "TEL;TYPE=WORK:1"),
        card("UID:u", "FN:Ann"),
    ],
)
def test_same_sees_real_differences(other: bytes) -> None:
    assert not FORMAT.same(card("UID:u", "FN:Ann", "TEL:1"), other)


def test_same_ignores_the_uid() -> None:
    """Each store may keep its own UID for a contact matched across stores."""
    assert FORMAT.same(card("UID:u", "FN:Ann", "TEL:1"), card("UID:v", "FN:Ann", "TEL:1"))
    assert FORMAT.same(card("UID:u", "FN:Ann"), card("FN:Ann"))


def test_same_ignores_group_labels() -> None:
    a = card("item1.EMAIL:a@x", "item1.X-ABLabel:home", "item2.URL:http://x")
    b = card("item2.EMAIL:a@x", "item7.URL:http://x", "item2.X-ABLabel:home")
    assert FORMAT.same(a, b)
    assert not FORMAT.same(a, card("item1.EMAIL:a@x", "item2.X-ABLabel:home", "item3.URL:http://x"))


def test_merge_through_the_format() -> None:
    base = card("FN:A", "TEL:1")
    outcome = FORMAT.merge(base, card("FN:B", "TEL:1"), card("FN:A", "TEL:1", "TEL:2"))
    assert outcome.data == card("FN:B", "TEL:1", "TEL:2")
    chosen = FORMAT.merge_choosing(base, card("FN:B", "TEL:1"), card("FN:C", "TEL:1"), {})
    assert chosen == card("FN:B", "TEL:1")


# --- speed -------------------------------------------------------------------------------


def generated_cards(count: int, seed: int = 1) -> list[bytes]:
    """~1 KB cards like an Apple export; every 20th carries a ~20 KB base64 photo."""
    rnd = random.Random(seed)
    photo = base64.b64encode(rnd.randbytes(15000)).decode()
    folded_photo = "\r\n ".join(photo[i : i + 74] for i in range(0, len(photo), 74))
    cards = []
    for i in range(count):
        lines = [
            f"UID:{i:08d}-aaaa-bbbb-cccc-{rnd.getrandbits(48):012x}",
            f"FN:Person Number {i}",
            f"N:Number {i};Person;;;",
            "ORG:Example Corp;Sales",
            "TITLE:Manager of things",
            f"item1.EMAIL;type=INTERNET;type=pref:person{i}@example.com",
            "item1.X-ABLabel:_$!<Work>!$_",
            f"TEL;type=CELL:+1 555 {i:07d}",
            f"TEL;type=HOME:+1 555 {i + 1:07d}",
            "ADR;type=HOME:;;123 Main Street;Springfield;IL;62701;USA",
            "NOTE:Some note text\\, with a comma and more words to make it longer. Lorem ipsum d",
            " olor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut lab",
            " ore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation.",
            f"URL:https://example.com/people/{i}",
            "BDAY:1980-01-01",
            "CATEGORIES:friends,work",
            "X-ABUID:1234-5678:ABPerson",
            "REV:2024-01-01T00:00:00Z",
        ]
        if i % 20 == 0:
            lines.append("PHOTO;ENCODING=b;TYPE=JPEG:" + folded_photo)
        cards.append(card(*lines))
    return cards


def test_describe_reads_every_generated_card() -> None:
    """10,000 realistic cards (photos, Apple groups, 2.1 and 3.0) each give their UID and
    name (the time they take: benchmarks/bench_hostile_cards.py)."""
    cards = generated_cards(10_000)
    infos = [describe_card(data) for data in cards]
    assert infos[3] == ItemInfo(infos[3].uid, "Person Number 3")
    assert all(info.uid for info in infos)
