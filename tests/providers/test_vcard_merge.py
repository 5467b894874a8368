"""Three-way merge of cards at field level."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.engine.itemformat import FieldClash
from syncgui.providers.vcard.card import parse_card
from syncgui.providers.vcard.merge import merge_cards, merge_cards_choosing, same_cards
from syncgui.providers.vcard.values import binary_value, display

CARDS = Path(__file__).parent.parent / "data" / "cards"


def load(name: str) -> bytes:
    return (CARDS / name).read_bytes()


def card(*lines: str, version: str = "3.0", eol: str = "\r\n") -> bytes:
    return eol.join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""]).encode()


def merged(base: bytes | None, ours: bytes, theirs: bytes) -> bytes:
    outcome = merge_cards(base, ours, theirs)
    assert outcome.clashes == ()
    assert outcome.data is not None
    return outcome.data


def texts(data: bytes, name: str) -> list[str]:
    return [display(line) for line in parse_card(data).lines if line.name == name]


BASE = card(
    "UID:u-1",
    "FN:Ann Example",
    "N:Example;Ann;;;",
    "TEL;TYPE=CELL:+1 555 0001",
    "TEL;TYPE=HOME:+1 555 0002",
    "EMAIL:ann@example.com",
    "NOTE:first",
    "REV:2024-01-01T00:00:00Z",
)


def test_different_fields_merge_silently() -> None:
    ours = BASE.replace(b"FN:Ann Example", b"FN:Annie Example")
    theirs = BASE.replace(b"NOTE:first", b"NOTE:second")
    result = merged(BASE, ours, theirs)
    assert texts(result, "FN") == ["Annie Example"]
    assert texts(result, "NOTE") == ["second"]
    assert result == ours.replace(b"NOTE:first", b"NOTE:second")  # replaced in place


def test_same_single_field_changed_differently_clashes() -> None:
    ours = BASE.replace(b"NOTE:first", b"NOTE:ours")
    theirs = BASE.replace(b"NOTE:first", b"NOTE:theirs\\, with comma")
    outcome = merge_cards(BASE, ours, theirs)
    assert outcome.data is None
    assert outcome.clashes == (FieldClash("NOTE", "first", "ours", "theirs, with comma"),)
    assert texts(merge_cards_choosing(BASE, ours, theirs, {}), "NOTE") == ["ours"]
    chosen = merge_cards_choosing(BASE, ours, theirs, {"NOTE": "theirs"})
    assert texts(chosen, "NOTE") == ["theirs, with comma"]
    assert merge_cards_choosing(BASE, ours, theirs, {"NOTE": "ours"}) == ours


def test_same_change_on_both_sides_agrees() -> None:
    ours = BASE.replace(b"NOTE:first", b"NOTE:same")
    theirs = BASE.replace(b"NOTE:first", b"NOTE:sa\r\n me").replace(b"\r\n", b"\n")
    assert merged(BASE, ours, theirs) == ours


def test_field_removed_on_one_side_is_removed() -> None:
    theirs = BASE.replace(b"NOTE:first\r\n", b"")
    assert merged(BASE, BASE, theirs) == theirs
    ours_edit = BASE.replace(b"FN:Ann Example", b"FN:Ann E.")
    assert b"NOTE" not in merged(BASE, ours_edit, theirs)


def test_removed_on_one_side_and_changed_on_the_other_clashes() -> None:
    ours = BASE.replace(b"NOTE:first", b"NOTE:changed")
    theirs = BASE.replace(b"NOTE:first\r\n", b"")
    outcome = merge_cards(BASE, ours, theirs)
    assert outcome.clashes == (FieldClash("NOTE", "first", "changed", None),)


def test_set_merge_of_tel_and_email() -> None:
    ours = BASE.replace(
        b"EMAIL:ann@example.com", b"EMAIL:ann@example.com\r\nEMAIL:ann@work.example"
    )
    theirs = BASE.replace(b"TEL;TYPE=HOME:+1 555 0002\r\n", b"").replace(
        b"TEL;TYPE=CELL:+1 555 0001", b"TEL;TYPE=CELL:+1 555 0001\r\nTEL;TYPE=WORK:+1 555 0003"
    )
    result = merged(BASE, ours, theirs)
    assert texts(result, "TEL") == ["+1 555 0001", "+1 555 0003"]
    assert texts(result, "EMAIL") == ["ann@example.com", "ann@work.example"]


def test_value_changed_differently_on_both_sides_clashes_on_its_property() -> None:
    # re-pinned (issue 11, part 3): this merge used to keep both numbers and raise nothing
    ours = BASE.replace(b"+1 555 0001", b"+1 555 9999")
    theirs = BASE.replace(b"+1 555 0001", b"+1 555 8888")
    outcome = merge_cards(BASE, ours, theirs)
    assert outcome.data is None
    assert outcome.clashes == (FieldClash("TEL", "+1 555 0001", "+1 555 9999", "+1 555 8888"),)
    assert merge_cards_choosing(BASE, ours, theirs, {}) == ours
    assert merge_cards_choosing(BASE, ours, theirs, {"TEL": "theirs"}) == theirs


def test_value_added_on_both_sides_appears_once() -> None:
    ours = BASE.replace(b"NOTE:first", b"NOTE:first\r\nURL:https://example.com")
    theirs = BASE.replace(b"NOTE:first", b"NOTE:first\nURL:https://example.com").replace(
        b"\r\n", b"\n"
    )
    assert merged(BASE, ours, theirs) == ours


# --- repeatable properties: the multi-valued merge table (issue 11, part 3) -------------

MV = card(
    "UID:u-2",
    "FN:Ann",
    "TEL;TYPE=CELL:+1 555 0001",
    "TEL;TYPE=HOME:+1 555 0002",
    "EMAIL:ann@example.com",
    "NOTE:n",
)
CELL, HOME = b"TEL;TYPE=CELL:+1 555 0001\r\n", b"TEL;TYPE=HOME:+1 555 0002\r\n"
CELL9, CELL8 = CELL.replace(b"0001", b"0009"), CELL.replace(b"0001", b"0008")
WORK = b"TEL;TYPE=WORK:+1 555 0003\r\n"
FAX = b"TEL;TYPE=FAX:+1 555 0004\r\n"


def mv(*edits: tuple[bytes, bytes], lf: bool = False) -> bytes:
    """MV with each (old, new) edit made; ``lf``: written with LF line endings."""
    data = MV
    for old, new in edits:
        assert old in data
        data = data.replace(old, new)
    return data.replace(b"\r\n", b"\n") if lf else data


MINE = (b"NOTE:n", b"NOTE:mine")  # ours always edits something else too
ANNE = (b"FN:Ann", b"FN:Anne")  # and so does theirs
Row = tuple[bytes, bytes, bytes | tuple[str, ...]]
MULTI_TABLE: dict[str, Row] = {
    "unchanged on both: kept": (mv(MINE), mv(ANNE), mv(MINE, ANNE)),
    "changed on ours only: ours' value": (
        mv(MINE, (CELL, CELL9)),
        mv(ANNE),
        mv(MINE, ANNE, (CELL, CELL9)),
    ),
    "changed on theirs only: theirs' value in place": (
        mv(MINE),
        mv((CELL, CELL9)),
        mv(MINE, (CELL, CELL9)),
    ),
    "changed alike on both: once": (
        mv(MINE, (CELL, CELL9)),
        mv((CELL, CELL9), lf=True),
        mv(MINE, (CELL, CELL9)),
    ),
    "changed differently on both: clash": (mv(MINE, (CELL, CELL9)), mv((CELL, CELL8)), ("TEL",)),
    "changed on ours, removed on theirs: clash": (
        mv(MINE, (CELL, CELL9)),
        mv((CELL, b"")),
        ("TEL",),
    ),
    "removed on ours, changed on theirs: clash": (
        mv(MINE, (CELL, b"")),
        mv((CELL, CELL8)),
        ("TEL",),
    ),
    "removed on theirs, untouched on ours: removed": (
        mv(MINE),
        mv((CELL, b"")),
        mv(MINE, (CELL, b"")),
    ),
    "removed on ours, untouched on theirs: removed": (
        mv(MINE, (CELL, b"")),
        mv(ANNE),
        mv(MINE, ANNE, (CELL, b"")),
    ),
    "removed on both: removed": (
        mv(MINE, (CELL, b"")),
        mv(ANNE, (CELL, b"")),
        mv(MINE, ANNE, (CELL, b"")),
    ),
    "added on each side: both kept": (
        mv(MINE, (HOME, HOME + WORK)),
        mv((HOME, HOME + FAX)),
        mv(MINE, (HOME, HOME + WORK + FAX)),
    ),
    "added alike on both: once": (
        mv(MINE, (HOME, HOME + WORK)),
        mv((HOME, HOME + WORK), lf=True),
        mv(MINE, (HOME, HOME + WORK)),
    ),
    "matched by value first: reordered then changed": (
        mv(MINE, (CELL + HOME, HOME + CELL)),
        mv((CELL, CELL9)),
        mv(MINE, (CELL + HOME, HOME + CELL9)),
    ),
    "matched by type before position: changed alike": (
        mv(MINE, (CELL, CELL9)),
        mv((CELL + HOME, HOME.replace(b"0002", b"0022") + CELL9)),
        mv(MINE, (CELL, CELL9), (HOME, HOME.replace(b"0002", b"0022"))),
    ),
}


@pytest.mark.parametrize("row", MULTI_TABLE.values(), ids=list(MULTI_TABLE))
def test_multi_valued_merge_table(row: Row) -> None:
    ours, theirs, expected = row
    outcome = merge_cards(MV, ours, theirs)
    if isinstance(expected, bytes):
        assert outcome.clashes == ()
        assert outcome.data == expected
        return
    assert outcome.data is None
    assert tuple(clash.field for clash in outcome.clashes) == expected
    assert merge_cards_choosing(MV, ours, theirs, {}) == ours  # unnamed: ours
    assert merge_cards_choosing(MV, ours, theirs, dict.fromkeys(expected, "ours")) == ours
    chosen = merge_cards_choosing(MV, ours, theirs, dict.fromkeys(expected, "theirs"))
    assert same_cards(chosen, mv(MINE, *_theirs_tel(theirs)))  # theirs' TELs, ours' NOTE


def _theirs_tel(theirs: bytes) -> tuple[tuple[bytes, bytes], ...]:
    return ((CELL, b""),) if CELL8 not in theirs else ((CELL, CELL8),)


def test_multi_valued_clash_shows_each_sides_value() -> None:
    ours, theirs, _ = MULTI_TABLE["changed on ours, removed on theirs: clash"]
    assert merge_cards(MV, ours, theirs).clashes == (
        FieldClash("TEL", "+1 555 0001", "+1 555 0009", None),
    )
    ours, theirs, _ = MULTI_TABLE["removed on ours, changed on theirs: clash"]
    chosen = merge_cards_choosing(MV, ours, theirs, {"TEL": "theirs"})
    assert chosen == mv(MINE, (CELL, CELL8))  # back where it stood


def test_two_clashing_values_of_one_property_are_one_field() -> None:
    ours = mv(MINE, (CELL, CELL9), (b"0002", b"0029"))
    theirs = mv((CELL, CELL8), (b"0002", b"0028"))
    outcome = merge_cards(MV, ours, theirs)
    assert outcome.clashes == (
        FieldClash("TEL", "+1 555 0001\n+1 555 0002", "+1 555 0009\n+1 555 0029",
                   "+1 555 0008\n+1 555 0028"),
    )  # fmt: skip
    chosen = merge_cards_choosing(MV, ours, theirs, {"TEL": "theirs"})
    assert chosen == mv(MINE, (CELL, CELL8), (b"0002", b"0028"))


APPLE = load("apple-30.vcf")


def test_apple_group_moves_as_a_unit_and_is_relabelled() -> None:
    ours = APPLE.replace(
        b"NOTE:", b"item4.URL:https://johnny.example\r\nitem4.X-ABLabel:blog\r\nNOTE:"
    )
    theirs = APPLE.replace(
        b"NOTE:", b"item4.EMAIL;type=INTERNET:jj@example.net\r\nitem4.X-ABLabel:gaming\r\nNOTE:"
    )
    result = merged(APPLE, ours, theirs)
    text = result.decode()
    assert "item4.URL:https://johnny.example\r\nitem4.X-ABLabel:blog\r\n" in text
    assert "item5.EMAIL;type=INTERNET:jj@example.net\r\nitem5.X-ABLabel:gaming\r\n" in text


def test_apple_group_removed_on_one_side_goes_with_its_label() -> None:
    theirs = APPLE.replace(
        b"item2.EMAIL;type=INTERNET:j.appleseed@example.org\r\nitem2.X-ABLabel:school\r\n", b""
    )
    ours = APPLE.replace(b"FN:Johnny Appleseed", b"FN:John Appleseed")
    result = merged(APPLE, ours, theirs)
    assert b"item2." not in result
    assert b"school" not in result
    assert b"FN:John Appleseed" in result


def test_apple_label_change_against_a_value_change_clashes_showing_both() -> None:
    # re-pinned (issue 11, part 3): a group is one value, changed differently on both sides
    # (its label here, its address there); this used to keep both groups and raise nothing
    ours = APPLE.replace(b"item2.X-ABLabel:school", b"item2.X-ABLabel:university")
    theirs = APPLE.replace(b"j.appleseed@example.org", b"johnny@example.org")
    outcome = merge_cards(APPLE, ours, theirs)
    assert outcome.data is None
    assert outcome.clashes == (
        FieldClash(
            "EMAIL",
            "j.appleseed@example.org (school)",
            "j.appleseed@example.org (university)",
            "johnny@example.org (school)",
        ),
    )
    assert merge_cards_choosing(APPLE, ours, theirs, {"EMAIL": "ours"}) == ours
    chosen = merge_cards_choosing(APPLE, ours, theirs, {"EMAIL": "theirs"})
    assert chosen == ours.replace(b"j.appleseed@example.org", b"johnny@example.org").replace(
        b"university", b"school"
    )


def test_untouched_lines_stay_byte_identical_and_in_place() -> None:
    ours = (
        b"BEGIN:VCARD\nVERSION:3.0\nUID:u-1\nFN:Ann\n"
        b"NOTE:a long note that was folded by on\n e writer\n"
        b'X-CUSTOM;x-param="Q":odd\\,escaping\nTEL:1\nEND:VCARD\n'
    )
    base = ours
    theirs = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-1\r\nFN:Ann Other\r\n"
        b'NOTE:a long note that was folded by one writer\r\nX-CUSTOM;X-PARAM="Q":odd\\,escaping\r\n'
        b"TEL:1\r\nTEL:2\r\nEND:VCARD\r\n"
    )
    result = merged(base, ours, theirs)
    assert result == (
        b"BEGIN:VCARD\nVERSION:3.0\nUID:u-1\nFN:Ann Other\n"
        b"NOTE:a long note that was folded by on\n e writer\n"
        b'X-CUSTOM;x-param="Q":odd\\,escaping\nTEL:1\nTEL:2\nEND:VCARD\n'
    )


def test_nothing_to_take_returns_ours_unchanged() -> None:
    ours = BASE.replace(b"NOTE:first", b"NOTE:mine")
    theirs = BASE.replace(b"\r\n", b"\n")  # only line endings differ
    assert merge_cards(BASE, ours, theirs).data is ours


# --- a value taken from theirs stands where it stood, in its group ----------------------

APPLE_TEL = card(
    "PRODID:-//Apple Inc.//macOS 14.4//EN",
    "N:Appleseed;Johnny;;;",
    "FN:Johnny Appleseed",
    "item1.TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0100",
    "item1.X-ABLabel:_$!<Mobile>!$_",
    "item2.EMAIL;type=INTERNET:johnny@example.com",
    "item2.X-ABLabel:_$!<Home>!$_",
    "NOTE:Met at WWDC",
    "UID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE",
    "REV:2024-03-01T10:00:00Z",
)
APPLE_OURS = APPLE_TEL.replace(b"NOTE:Met at WWDC", b"NOTE:Met at WWDC 2023")


def raw_lines(data: bytes) -> list[bytes]:
    return [line.raw for line in parse_card(data).lines]


def test_value_changed_in_a_group_is_replaced_in_place_in_that_group() -> None:
    theirs = APPLE_TEL.replace(b"555-0100", b"555-0199")
    result = merged(APPLE_TEL, APPLE_OURS, theirs)
    lines = raw_lines(result)
    assert lines[5] == b"item1.TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0199\r\n"
    assert lines[6] == b"item1.X-ABLabel:_$!<Mobile>!$_\r\n"
    assert result == APPLE_OURS.replace(b"555-0100", b"555-0199")  # all else byte-identical
    assert merged(APPLE_TEL, theirs, APPLE_OURS) == result  # the same, taken the other way


def test_changed_value_keeps_ours_group_label_when_ours_numbers_groups_differently() -> None:
    ours = (
        APPLE_OURS.replace(b"item1.", b"item7.")
        .replace(b"item2.", b"item1.")
        .replace(b"item7.", b"item2.")
    )
    theirs = APPLE_TEL.replace(b"555-0100", b"555-0199")
    result = merged(APPLE_TEL, ours, theirs)
    assert result == ours.replace(b"555-0100", b"555-0199")
    assert b"item2.TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0199\r\n" in result


def test_changed_companion_line_is_replaced_and_the_value_line_kept() -> None:
    theirs = APPLE_TEL.replace(b"item1.X-ABLabel:_$!<Mobile>!$_", b"item1.X-ABLabel:boat")
    result = merged(APPLE_TEL, APPLE_OURS, theirs)
    assert result == APPLE_OURS.replace(b"_$!<Mobile>!$_", b"boat")


def test_changed_ungrouped_value_is_replaced_in_place() -> None:
    base = card("FN:Ann", "TEL;TYPE=CELL:1", "TEL;TYPE=HOME:2", "TEL;TYPE=WORK:3", "NOTE:n")
    ours = base.replace(b"NOTE:n", b"NOTE:mine")
    theirs = base.replace(b"TEL;TYPE=HOME:2", b"TEL;TYPE=HOME:22")
    assert merged(base, ours, theirs) == ours.replace(b"TEL;TYPE=HOME:2", b"TEL;TYPE=HOME:22")


def test_added_value_lands_after_the_line_it_followed() -> None:
    base = card("FN:Ann", "TEL;TYPE=CELL:1", "TEL;TYPE=HOME:2", "EMAIL:a@x", "NOTE:n")
    ours = base.replace(b"NOTE:n", b"NOTE:mine")
    cell = b"TEL;TYPE=CELL:1\r\n"
    theirs = base.replace(cell, cell + b"TEL;TYPE=WORK:3\r\n")
    assert merged(base, ours, theirs) == ours.replace(cell, cell + b"TEL;TYPE=WORK:3\r\n")
    first = b"FN:Ann\r\n"  # an added first TEL goes before the TEL it preceded
    theirs = base.replace(first, first + b"TEL;TYPE=WORK:0\r\n")
    assert merged(base, ours, theirs) == ours.replace(first, first + b"TEL;TYPE=WORK:0\r\n")


def test_added_group_lands_after_the_group_it_followed_and_keeps_a_free_label() -> None:
    label = b"item1.X-ABLabel:_$!<Mobile>!$_\r\n"
    added = b"item3.TEL;type=WORK:+1 555 0300\r\nitem3.X-ABLabel:_$!<Work>!$_\r\n"
    theirs = APPLE_TEL.replace(label, label + added)
    assert merged(APPLE_TEL, APPLE_OURS, theirs) == APPLE_OURS.replace(label, label + added)


def test_added_group_whose_label_is_used_by_another_value_is_relabelled_whole() -> None:
    note = b"NOTE:Met at WWDC 2023\r\n"
    blog = b"item3.URL:https://johnny.example\r\nitem3.X-ABLabel:blog\r\n"
    ours = APPLE_OURS.replace(note, blog + note)
    label = b"item1.X-ABLabel:_$!<Mobile>!$_\r\n"
    work = b"item3.TEL;type=WORK:+1 555 0300\r\nitem3.X-ABLabel:_$!<Work>!$_\r\n"
    theirs = APPLE_TEL.replace(label, label + work)
    result = merged(APPLE_TEL, ours, theirs)
    assert result == ours.replace(label, label + work.replace(b"item3.", b"item4."))


def test_label_freed_by_a_removed_group_is_reused() -> None:
    email = b"item2.EMAIL;type=INTERNET:johnny@example.com\r\nitem2.X-ABLabel:_$!<Home>!$_\r\n"
    blog = b"item2.URL:https://johnny.example\r\nitem2.X-ABLabel:blog\r\n"
    theirs = APPLE_TEL.replace(email, blog)  # another property: not a change of the email
    result = merged(APPLE_TEL, APPLE_OURS, theirs)
    assert result == APPLE_OURS.replace(email, blog)


def test_grouped_value_changed_differently_on_both_sides_clashes() -> None:
    # re-pinned (issue 11, part 3): both groups used to be kept whole, with no conflict
    ours = APPLE_OURS.replace(b"555-0100", b"555-0111")
    theirs = APPLE_TEL.replace(b"555-0100", b"555-0199")
    outcome = merge_cards(APPLE_TEL, ours, theirs)
    assert [clash.field for clash in outcome.clashes] == ["TEL"]
    chosen = merge_cards_choosing(APPLE_TEL, ours, theirs, {"TEL": "theirs"})
    assert chosen == ours.replace(b"555-0111", b"555-0199")  # in place, in ours' group


def test_value_that_gained_a_group_takes_its_place_with_a_free_label() -> None:
    base = card("FN:Ann", "TEL:1", "item1.EMAIL:a@x", "item1.X-ABLabel:home", "NOTE:n")
    ours = base.replace(b"NOTE:n", b"NOTE:mine")
    theirs = card(  # Apple gave the number a label and numbered the groups anew
        "FN:Ann", "item1.TEL:1", "item1.X-ABLabel:boat", "item2.EMAIL:a@x",
        "item2.X-ABLabel:home", "NOTE:n",
    )  # fmt: skip
    result = merged(base, ours, theirs)
    assert result == ours.replace(b"TEL:1\r\n", b"item2.TEL:1\r\nitem2.X-ABLabel:boat\r\n")


def test_value_that_lost_its_group_takes_its_place_without_a_label() -> None:
    group = b"item1.TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0100\r\n"
    label = b"item1.X-ABLabel:_$!<Mobile>!$_\r\n"
    plain = b"TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0100\r\n"
    theirs = APPLE_TEL.replace(group + label, plain)
    assert merged(APPLE_TEL, APPLE_OURS, theirs) == APPLE_OURS.replace(group + label, plain)


# --- cross-version: only the lines that move are re-encoded ------------------------------

ANDROID = load("android-21.vcf")


def test_cross_version_merge_reencodes_only_moved_lines() -> None:
    base = ANDROID
    theirs_lines = [
        "N:Öztürk;Ayşe;;;",
        "FN:Ayşe Öztürk 山田太郎",
        "TEL;TYPE=CELL,PREF:+90 532 123 45 67",
        "TEL;TYPE=HOME,VOICE:+90 212 555 01 02",
        "TEL;TYPE=WORK:+90 212 555 99 99",
        "EMAIL;TYPE=HOME:ayse@example.com",
        "NOTE:Changed\\, on the laptop\\nsecond line ü",
        "X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Ayse;1;;;;;;;;;;;;;",
    ]
    photo = parse_card(ANDROID).first("PHOTO")
    assert photo is not None
    found = binary_value(photo)
    assert found is not None
    theirs = card(*theirs_lines, "PHOTO;ENCODING=b;TYPE=JPEG:" + found[1])
    result = merged(base, ANDROID, theirs)
    ours_lines = [line.raw for line in parse_card(ANDROID).lines]
    new_lines = [line.raw for line in parse_card(result).lines]
    changed = [raw for raw in new_lines if raw not in ours_lines]
    assert changed == [
        b"TEL;WORK:+90 212 555 99 99\r\n",
        b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Changed, on the laptop=0D=0Ase=\r\n"
        b"cond line =C3=BC\r\n",
    ]
    old_note = next(line.raw for line in parse_card(ANDROID).lines if line.name == "NOTE")
    assert [raw for raw in ours_lines if raw not in new_lines] == [old_note]
    assert texts(result, "NOTE") == ["Changed, on the laptop\nsecond line ü"]
    assert same_cards(result, theirs)


def test_30_ours_takes_21_quoted_printable_line_as_utf8() -> None:
    ours = card("FN:Jurgen Muller", "TEL:+49 151 23456789")
    base = ours
    theirs = card(
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BC=",
        "ller",
        "TEL;CELL:+49 151 23456789",
        "ORG;CHARSET=ISO-8859-1:M\xfcller GmbH;Vertrieb",
        version="2.1",
    ).replace(b"\xc3\xbc", b"\xfc")
    result = merged(base, ours, theirs)  # theirs gave the number a type: replaced in place
    assert result == card(
        "FN:Jürgen Müller",
        "TEL;TYPE=CELL:+49 151 23456789",
        "ORG:Müller GmbH;Vertrieb",  # after the line it followed in theirs
    )


def test_40_photo_into_30_card_becomes_encoding_b() -> None:
    v4 = load("v40.vcf")
    ours = card("UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1", "FN:Jane Doe")
    result = merged(ours, ours, v4)
    photo = parse_card(result).first("PHOTO")
    assert photo is not None
    assert photo.raw.startswith(b"PHOTO;ENCODING=b;TYPE=JPEG:/9j/")
    assert all(len(part) <= 75 for part in photo.raw.split(b"\r\n"))
    tel = parse_card(result).first("TEL")
    assert tel is not None and tel.raw == b"TEL;TYPE=VOICE,CELL,PREF;PID=1.1:+1-555-555-5555\r\n"
    assert same_cards(result, v4)


# --- UID, REV, PRODID ------------------------------------------------------------------


def test_uid_missing_on_theirs_is_unchanged() -> None:
    theirs = BASE.replace(b"UID:u-1\r\n", b"").replace(b"NOTE:first", b"NOTE:new")
    result = merged(BASE, BASE, theirs)
    assert texts(result, "UID") == ["u-1"]
    assert texts(result, "NOTE") == ["new"]


def test_uid_is_always_ours() -> None:
    """Each store keeps its own UID (a card without one gets the store's when written)."""
    ours = BASE.replace(b"UID:u-1\r\n", b"")
    assert merged(None, ours, BASE) == ours
    theirs = BASE.replace(b"UID:u-1", b"UID:their-own").replace(b"NOTE:first", b"NOTE:new")
    result = merged(BASE, BASE, theirs)
    assert texts(result, "UID") == ["u-1"]
    assert texts(result, "NOTE") == ["new"]


def test_uid_is_never_removed() -> None:
    ours = BASE.replace(b"FN:Ann Example", b"FN:A")
    theirs = BASE.replace(b"UID:u-1\r\n", b"")
    assert texts(merged(BASE, ours, theirs), "UID") == ["u-1"]


def test_rev_takes_the_later_value_and_never_clashes() -> None:
    ours = BASE.replace(b"REV:2024-01-01T00:00:00Z", b"REV:20240301T101010Z")
    theirs = BASE.replace(b"REV:2024-01-01T00:00:00Z", b"REV:2024-05-01T00:00:00Z")
    assert texts(merged(BASE, ours, theirs), "REV") == ["2024-05-01T00:00:00Z"]
    assert texts(merged(BASE, theirs, ours), "REV") == ["2024-05-01T00:00:00Z"]
    assert merge_cards(None, ours, theirs).clashes == ()


def test_prodid_keeps_ours() -> None:
    ours = card("FN:A", "PRODID:-//ours//EN")
    theirs = card("FN:A", "PRODID:-//theirs//EN")
    assert merged(None, ours, theirs) == ours


# --- no base ---------------------------------------------------------------------------


def test_without_base_identical_fields_agree_and_sets_unite() -> None:
    ours = card("FN:Ann", "TEL:1", "EMAIL:a@x")
    theirs = card("FN:Ann", "TEL:2", "EMAIL:a@x", "NOTE:only theirs")
    result = merged(None, ours, theirs)
    assert texts(result, "TEL") == ["1", "2"]
    assert texts(result, "EMAIL") == ["a@x"]
    assert texts(result, "NOTE") == ["only theirs"]


def test_without_base_different_single_fields_clash() -> None:
    outcome = merge_cards(None, card("FN:Ann"), card("FN:Anne"))
    assert outcome.clashes == (FieldClash("FN", None, "Ann", "Anne"),)


def test_inserted_fields_follow_their_neighbours() -> None:
    ours = card("FN:Ann", "TEL:1", "EMAIL:a@x")
    theirs = card("FN:Ann", "N:Ann;;;;", "TEL:1", "TEL:2", "EMAIL:a@x")
    assert merged(ours, ours, theirs) == theirs


# --- properties ------------------------------------------------------------------------

_text = st.text(alphabet=st.sampled_from(list("ab Zü,;\\\n")), min_size=1, max_size=12).map(
    lambda s: s.strip() or "x"
)
_singles = st.fixed_dictionaries(
    {},
    optional={
        "FN": _text,
        "NOTE": _text,
        "TITLE": _text,
        "UID": st.sampled_from(["u-1", "u-2"]),
        "REV": st.sampled_from(["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"]),
    },
)
_names = st.tuples(_text, _text, st.sampled_from(["", "Dr."]))
_photos = st.sampled_from(["/9j/4AAQSkZJRgABAQ==", "/9j/4AAQSkZJRgABAg=="])
_categories = st.lists(st.sampled_from(["work", "a,b", "Fam;ily", "ü"]), min_size=1, max_size=3)
_extras = st.fixed_dictionaries(
    {}, optional={"N": _names, "PHOTO": _photos, "CATEGORIES": _categories}
)
_multi = st.lists(
    st.tuples(st.sampled_from(["TEL", "EMAIL", "X-FOO"]), st.sampled_from(["1", "2", "ü,3"])),
    max_size=4,
)
_groups = st.lists(st.tuples(st.sampled_from(["a@x", "b@x"]), _text), max_size=2)
_model = st.tuples(_singles, _multi, _groups, _extras)
Model = tuple[dict[str, str], list[tuple[str, str]], list[tuple[str, str]], dict[str, object]]


def _escape(text: str, version: str) -> str:
    text = text.replace("\\", "\\\\").replace(";", "\\;")
    return text if version == "2.1" else text.replace(",", "\\,").replace("\n", "\\n")


def _line(name: str, value: str, version: str, raw: bool = False) -> str:
    if version == "2.1" and (not value.isascii() or "\n" in value):
        encoded = "".join(
            c if (c.isascii() and c.isalnum()) or c in " ,;\\" else f"={b:02X}"
            for c in value.replace("\n", "\r\n")
            for b in c.encode()
        )
        return f"{name};CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{encoded}"
    return f"{name}:{value if raw else _escape(value, version)}"


def _structured(name: str, parts: list[str], sep: str, version: str) -> str:
    value = sep.join(_escape(part, version).replace(sep, "\\" + sep) for part in parts)
    if version == "2.1" and (not value.isascii() or "\n" in value):
        return _line(name, value, version, raw=True)
    return f"{name}:{value}"


def _photo(data: object, version: str) -> str:
    if version == "2.1":
        return f"PHOTO;ENCODING=BASE64;JPEG:{data}"
    if version == "3.0":
        return f"PHOTO;ENCODING=b;TYPE=JPEG:{data}"
    return f"PHOTO:data:image/jpeg;base64,{data}"


def render(model: Model, version: str, eol: str) -> bytes:
    singles, multi, groups, extras = model
    lines = [_line(name, value, version) for name, value in singles.items()]
    for name, value in extras.items():
        if name == "PHOTO":
            lines.append(_photo(value, version))
        else:
            assert isinstance(value, (list, tuple))
            sep = ";" if name == "N" else ","
            lines.append(_structured(name, [str(v) for v in value], sep, version))
    lines += [_line(name, value, version, raw=True) for name, value in multi]
    for n, (email, label) in enumerate(groups, start=1):
        lines += [f"item{n}.EMAIL:{email}", _line(f"item{n}.X-ABLabel", label, version)]
    return card(*lines, version=version, eol=eol)


_versions = st.sampled_from(["2.1", "3.0", "4.0"])
_eols = st.sampled_from(["\r\n", "\n"])


@settings(max_examples=200, deadline=None)
@given(base=_model, other=_model, v1=_versions, v2=_versions, eol=_eols)
def test_merge_with_one_side_unchanged_gives_the_other(
    base: Model, other: Model, v1: str, v2: str, eol: str
) -> None:
    b = render(base, v1, "\r\n")
    x = render(other, v2, eol)
    assert same_cards(merged(b, x, b), x)
    assert same_cards(merged(b, b, x), x)


@settings(max_examples=200, deadline=None)
@given(base=_model, other=_model, v1=_versions, v2=_versions)
def test_merge_of_equal_sides_never_clashes(base: Model, other: Model, v1: str, v2: str) -> None:
    b = render(base, v1, "\r\n")
    x = render(other, v2, "\n")
    y = render(other, v2, "\r\n")
    assert merge_cards(b, x, y).clashes == ()
    assert merge_cards(None, x, y).clashes == ()


def _added_tels(side: Model, base: Model) -> set[str]:
    return {value for name, value in side[1] if name == "TEL"} - {
        value for name, value in base[1] if name == "TEL"
    }


@settings(max_examples=200, deadline=None)
@given(base=_model, ours=_model, theirs=_model, v=_versions)
def test_merge_keeps_every_added_multi_value(
    base: Model, ours: Model, theirs: Model, v: str
) -> None:
    # re-pinned (issue 11, part 3): a value one side put in place of a base value the other
    # side changed too or removed is a clash on TEL; every other added value is kept, and
    # the side chosen for TEL keeps all its own
    b, o, t = (render(m, v, "\r\n") for m in (base, ours, theirs))
    clashing = {clash.field for clash in merge_cards(b, o, t).clashes}
    for side, prefer in ((ours, "ours"), (theirs, "theirs")):
        tels = set(texts(merge_cards_choosing(b, o, t, {"TEL": prefer}), "TEL"))
        assert _added_tels(side, base) <= tels
        if "TEL" not in clashing:
            assert _added_tels(ours, base) | _added_tels(theirs, base) <= tels


def _groups(data: bytes) -> list[tuple[object, ...]]:
    groups: dict[str, list[object]] = {}
    for line in parse_card(data).lines:
        if line.group:
            groups.setdefault(line.group.lower(), []).append((line.name, line.text()))
    return [tuple(sorted(content, key=repr)) for content in groups.values()]


@settings(max_examples=200, deadline=None)
@given(base=_model, ours=_model, theirs=_model, v=_versions)
def test_merge_keeps_every_group_whole(base: Model, ours: Model, theirs: Model, v: str) -> None:
    b, o, t = (render(m, v, "\r\n") for m in (base, ours, theirs))
    result = merge_cards_choosing(b, o, t, {})
    sides = set(_groups(o)) | set(_groups(t))
    for group in _groups(result):  # an email with its own label, never another one's
        assert group in sides


def test_two_cards_that_never_met_keep_one_copy_of_an_address_written_two_ways() -> None:
    """The same person from a phone export and an address book: the union of their fields,
    but the same e-mail address or phone number written differently only once (ours)."""
    ours = card("FN:Ann", "EMAIL:ann@example.org", "TEL;TYPE=CELL:+44 20 7946 0018")
    theirs = card(
        "FN:Ann", "EMAIL;TYPE=INTERNET:Ann@Example.org", "TEL;CELL:020 7946 0018",
        "TEL;TYPE=HOME:+44 20 7946 0999", "NOTE:from the phone", version="2.1",
    )  # fmt: skip
    result = merged(None, ours, theirs)
    assert texts(result, "EMAIL") == ["ann@example.org"]
    assert texts(result, "TEL") == ["+44 20 7946 0018", "+44 20 7946 0999"]
    assert texts(result, "NOTE") == ["from the phone"]


def test_a_quoted_printable_continuation_never_starts_with_a_blank() -> None:
    """Readers that unfold before decoding would drop that blank ("İstanbul ofisi" read
    as "İstanbul=ofisi"): a blank at the start of a continuation is written as =20."""
    from syncgui.providers.vcard.values import encode_qp

    text = "xÇay sever; İstanbul ofisi, " * 4  # a soft break falls before a blank
    raw = encode_qp(b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:", text.encode(), b"\r\n")
    lines = raw.split(b"\r\n")
    assert all(not line.startswith((b" ", b"\t")) for line in lines)
    assert all(len(line) <= 76 for line in lines)
    import quopri

    body = raw.split(b":", 1)[1].replace(b"=\r\n", b"")
    assert quopri.decodestring(body).decode().rstrip("\r\n") == text
