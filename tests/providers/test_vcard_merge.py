"""Three-way merge of cards at field level."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.engine.format import FieldClash
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


def test_value_edited_on_one_side_replaces_and_additions_on_both_are_kept() -> None:
    ours = BASE.replace(b"+1 555 0001", b"+1 555 9999")
    theirs = BASE.replace(b"+1 555 0001", b"+1 555 8888")
    result = merged(BASE, ours, theirs)  # multi-valued: never a clash, nothing lost
    assert texts(result, "TEL") == ["+1 555 9999", "+1 555 0002", "+1 555 8888"]


def test_value_added_on_both_sides_appears_once() -> None:
    ours = BASE.replace(b"NOTE:first", b"NOTE:first\r\nURL:https://example.com")
    theirs = BASE.replace(b"NOTE:first", b"NOTE:first\nURL:https://example.com").replace(
        b"\r\n", b"\n"
    )
    assert merged(BASE, ours, theirs) == ours


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


def test_apple_label_change_keeps_both_values_rather_than_losing_one() -> None:
    ours = APPLE.replace(b"item2.X-ABLabel:school", b"item2.X-ABLabel:university")
    theirs = APPLE.replace(b"j.appleseed@example.org", b"johnny@example.org")
    result = merged(APPLE, ours, theirs)
    assert b"item2.X-ABLabel:university" in result
    assert b"johnny@example.org" in result


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
    result = merged(base, ours, theirs)  # theirs gave the number a type: replaced
    assert result == card(
        "FN:Jürgen Müller",
        "ORG:Müller GmbH;Vertrieb",
        "TEL;TYPE=CELL:+49 151 23456789",
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


def test_uid_missing_on_ours_is_taken_from_theirs() -> None:
    ours = BASE.replace(b"UID:u-1\r\n", b"")
    result = merged(None, ours, BASE)
    assert result == BASE


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


@settings(max_examples=200, deadline=None)
@given(base=_model, ours=_model, theirs=_model, v=_versions)
def test_merge_keeps_every_added_multi_value(
    base: Model, ours: Model, theirs: Model, v: str
) -> None:
    b, o, t = (render(m, v, "\r\n") for m in (base, ours, theirs))
    result = merge_cards_choosing(b, o, t, {})
    tels = set(texts(result, "TEL"))
    for side in (ours, theirs):
        added = {value for name, value in side[1] if name == "TEL"} - {
            value for name, value in base[1] if name == "TEL"
        }
        assert added <= tels
