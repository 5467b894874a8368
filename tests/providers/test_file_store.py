"""What only the single ``.vcf`` file store does: splitting, keys, byte-exact rewrites,
damaged cards, the listing token and concurrent edits."""

from __future__ import annotations

import builtins
import os
import stat
from pathlib import Path

import pytest

from syncgui.engine.errors import BadItem, ItemRejected, StoreUnavailable
from syncgui.engine.ids import content_hash
from syncgui.engine.provider import Listing
from syncgui.providers.vcard import file as file_mod
from syncgui.providers.vcard.file import VCardFileProvider, open_file_store
from syncgui.providers.vcard.fileops import TEMP_PREFIX
from syncgui.providers.vcard.format import describe_card
from syncgui.providers.vcard.split import find_value, split_cards

CARDS_DIR = Path(__file__).resolve().parent.parent / "data" / "cards"

V21 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n"
    b"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n"
    b"TEL;CELL;VOICE:+49 170 1234567\r\n"
    b"NOTE;ENCODING=QUOTED-PRINTABLE:first line=0D=0A=\r\n"
    b"second line\r\n"
    b"PHOTO;ENCODING=BASE64;TYPE=GIF:\r\n"
    b"    R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\r\n"
    b"\r\n"
    b"END:VCARD\r\n"
)
AGENT = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen=\r\n"
    b" M=C3=BCller\r\n"
    b"AGENT:\r\n"
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"FN:Assistant\r\n"
    b"END:VCARD\r\n"
    b"END:VCARD\r\n"
)
V30 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:3.0\r\n"
    b"PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n"
    b"UID:apple-3.0\r\n"
    b"N:Appleseed;Johnny;;;\r\n"
    b"FN:Johnny Appleseed\r\n"
    b"item1.EMAIL;type=INTERNET;type=pref:johnny@example.com\r\n"
    b"item1.X-ABLabel:_$!<Other>!$_\r\n"
    b"X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;JA;1;;;;;;;;;;;;;\r\n"
    b"NOTE:a\\, b\\; c\r\n"
    b"PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQ\r\n"
    b" gKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA\r\n"
    b"END:VCARD\r\n"
)
V40 = (
    b"BEGIN:VCARD\n"
    b"VERSION:4.0\n"
    b"UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\n"
    b"FN:Dr. Vier\n"
    b'TEL;VALUE=uri;PREF=1;TYPE="voice,home":tel:+1-555-555-5555;ext=5555\n'
    b"EMAIL;PID=1.1:vier@example.com\n"
    b"PHOTO:data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk\n"
    b"CLIENTPIDMAP:1;urn:uuid:53e374d9-337e-4727-8803-a1e9c14e0556\n"
    b"END:VCARD\n"
)


def card(uid: str | None, name: str, note: str = "", eol: str = "\r\n") -> bytes:
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines += [f"FN:{name}", f"N:{name};;;;"]
    if note:
        lines.append(f"NOTE:{note}")
    lines.append("END:VCARD")
    return (eol.join(lines) + eol).encode("utf-8")


@pytest.fixture
def vcf(tmp_path: Path) -> Path:
    return tmp_path / "contacts.vcf"


def keys(listing: Listing) -> list[str]:
    return [e.key for e in listing.entries or ()]


def no_temp_files(path: Path) -> bool:
    return not [p for p in path.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]


# -- splitting ------------------------------------------------------------------------------


def test_split_keeps_every_byte() -> None:
    data = (
        b"\xef\xbb\xbfBEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n\r\n"
        b"junk line\n"
        b"begin:vcard\nFN:B\nend:VCARD  \n"
        b"BEGIN:VCARD\nFN:Cut\n"
        b"\xef\xbb\xbfBEGIN:VCARD\r\nFN:C\r\nEND:VCARD"
    )
    spans = split_cards(data)
    assert [data[s.start : s.end] for s in spans] == [
        b"BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n",
        b"begin:vcard\nFN:B\nend:VCARD  \n",
        b"BEGIN:VCARD\nFN:Cut\n",
        b"BEGIN:VCARD\r\nFN:C\r\nEND:VCARD",
    ]
    assert [s.problem is None for s in spans] == [True, True, False, True]


def test_split_nested_agent_card_is_one_card() -> None:
    spans = split_cards(AGENT + V30)
    assert [(s.start, s.end, s.problem) for s in spans] == [
        (0, len(AGENT), None),
        (len(AGENT), len(AGENT) + len(V30), None),
    ]


def test_card_with_nested_agent_card_stays_whole(vcf: Path) -> None:
    vcf.write_bytes(AGENT + card("b", "B"))
    store = open_file_store(str(vcf))
    listing = store.list(None)
    # the codec refuses a card inside a card: kept whole, keyed by its decoded name
    assert keys(listing) == ["b"]
    assert listing.unreadable == frozenset({"fn:Jürgen Müller"})
    assert listing.problems[0].message.startswith("contacts.vcf, card 1 (Jürgen Müller): ")
    store.update("b", card("b", "B", note="n"))
    store.commit()
    assert vcf.read_bytes() == AGENT + card("b", "B", note="n")


def test_find_value_decodes_like_the_codec() -> None:
    raw = b"BEGIN:VCARD\r\nitem1.UID;X=1:abc\r\n def\r\nFN:Doe\\, Jane\r\n"
    assert find_value(raw, "UID") == "abcdef"
    assert find_value(raw, "FN") == "Doe, Jane"
    assert find_value(raw, "NOTE") is None
    assert find_value(AGENT, "FN") == "Jürgen Müller"
    assert find_value(b"FN;QUOTED-PRINTABLE:a=\nb\nX:y\n", "FN") == "ab"
    latin = b"FN;CHARSET=ISO-8859-1:M\xfcller\r\n"
    assert find_value(latin, "FN") == "Müller"
    assert find_value(b"FN:M\xfcller\r\n", "FN") is None  # undeclared, not UTF-8: unsure
    assert find_value(b"FN;CHARSET=NOPE:x\r\n", "FN") is None


# -- listing --------------------------------------------------------------------------------


def test_keys_from_uid_and_name_deduplicated(vcf: Path) -> None:
    vcf.write_bytes(
        card("u1", "One")
        + card("u1", "One again")
        + card(None, "Jane Doe")
        + card(None, "Jane Doe", note="twin")
        + card("u1", "One thrice")
    )
    store = open_file_store(str(vcf))
    listing = store.list(None)
    assert keys(listing) == ["u1", "u1#2", "fn:Jane Doe", "fn:Jane Doe#2", "u1#3"]
    for entry in listing.entries or ():
        assert entry.data == store.read(entry.key)
        assert entry.stamp == content_hash(entry.data)
        assert entry.mtime == vcf.stat().st_mtime
    assert listing.complete and not listing.problems


def test_token_is_the_file_stat(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A"))
    st = vcf.stat()
    assert open_file_store(str(vcf)).list(None).token == (
        f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    )


def test_unchanged_file_is_not_read(vcf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vcf.write_bytes(card("a", "A") + card("b", "B"))
    token = open_file_store(str(vcf)).list(None).token
    opened: list[object] = []
    real_open = builtins.open

    def spy(file: object, *args: object, **kwargs: object) -> object:
        opened.append(file)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(os, "open", lambda *a, **k: pytest.fail("os.open called"))
    fresh = open_file_store(str(vcf))
    listing = fresh.list(token)
    assert listing.entries is None
    assert listing.token == token
    assert opened == []
    monkeypatch.undo()
    vcf.write_bytes(card("a", "A"))
    assert keys(open_file_store(str(vcf)).list(token)) == ["a"]


def test_empty_file_is_an_empty_store(vcf: Path) -> None:
    for content in (b"", b"\r\n\r\n"):
        vcf.write_bytes(content)
        listing = open_file_store(str(vcf)).list(None)
        assert keys(listing) == [] and listing.complete and not listing.problems


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (bytes(range(256)) * 8, "binary data"),
        (b"name,phone\nJane,123\n", "no BEGIN:VCARD"),
        ("broken-garbage.bin", "not a vCard file"),
        ("broken-plain.txt", "no BEGIN:VCARD"),
    ],
)
def test_file_that_is_not_a_vcard_is_unavailable(
    vcf: Path, content: bytes | str, match: str
) -> None:
    if isinstance(content, str):
        if not (CARDS_DIR / content).is_file():
            pytest.skip(f"no {content} in tests/data/cards")
        content = (CARDS_DIR / content).read_bytes()
    vcf.write_bytes(content)
    store = open_file_store(str(vcf))
    with pytest.raises(StoreUnavailable, match=match):
        store.list(None)
    with pytest.raises(StoreUnavailable):
        store.create("a", card("a", "A"))
    assert vcf.read_bytes() == content


def test_unavailable_paths(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="does not exist"):
        open_file_store(str(tmp_path / "nope.vcf")).list(None)
    with pytest.raises(StoreUnavailable, match="is a folder"):
        open_file_store(str(tmp_path)).list(None)
    with pytest.raises(StoreUnavailable):
        open_file_store("")


# -- damaged cards --------------------------------------------------------------------------

CUT = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:cut-uid\r\nFN:Jane Doe\r\nTEL:+1 55"
NAMELESS_CUT = b"BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:+1 555\r\n"


def test_damaged_card_in_the_middle_is_kept_byte_identical(vcf: Path) -> None:
    first, last = card("first", "First"), card("last", "Last")
    broken = CUT + b"\r\n"
    vcf.write_bytes(first + broken + last)
    store = open_file_store(str(vcf))
    listing = store.list(None)
    assert keys(listing) == ["first", "last"]
    assert listing.unreadable == frozenset({"cut-uid"})
    assert listing.complete
    (problem,) = listing.problems
    assert problem.item == "cut-uid"
    assert (
        problem.message
        == "contacts.vcf, card 2 (Jane Doe): no END:VCARD line (the card is cut off)"
    )

    with pytest.raises(BadItem):
        store.read("cut-uid")
    with pytest.raises(ItemRejected):
        store.update("cut-uid", card("cut-uid", "Jane Doe"))
    with pytest.raises(ItemRejected):
        store.delete("cut-uid")
    new_first = card("first", "First", note="changed")
    store.update("first", new_first)
    store.delete("last")
    added = store.create("added", card("added", "Added"))
    assert added.key == "added"
    assert store.commit() is None  # the file still holds a damaged card: no token
    assert vcf.read_bytes() == new_first + broken + card("added", "Added")


def test_damaged_card_without_key_makes_the_listing_incomplete(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A") + NAMELESS_CUT + card("b", "B"))
    listing = open_file_store(str(vcf)).list(None)
    assert keys(listing) == ["a", "b"]
    assert not listing.complete
    assert listing.unreadable == frozenset()
    assert listing.problems[0].message.startswith("contacts.vcf, card 2: no END:VCARD")


def test_damaged_card_keyed_by_name(vcf: Path) -> None:
    vcf.write_bytes(card(None, "No Uid") + b"BEGIN:VCARD\nFN:No Uid\nTEL:1\n")
    listing = open_file_store(str(vcf)).list(None)
    assert keys(listing) == ["fn:No Uid"]
    assert listing.unreadable == frozenset({"fn:No Uid#2"})
    assert listing.complete


def test_card_the_codec_refuses(vcf: Path) -> None:
    bad = b"BEGIN:VCARD\r\n\x00\x01\x02 garbage \xff\xfe\r\nEND:VCARD\r\n"
    good = card("good", "Good")
    vcf.write_bytes(bad + good)
    store = open_file_store(str(vcf))
    listing = store.list(None)
    assert keys(listing) == ["good"]
    assert not listing.complete  # no UID or FN line to recover its key from
    assert listing.problems[0].message.startswith("contacts.vcf, card 1: ")
    store.update("good", card("good", "Good", note="n"))
    store.commit()
    assert vcf.read_bytes().startswith(bad)


def test_gap_that_looks_like_a_card_makes_listing_incomplete(vcf: Path) -> None:
    content = card("a", "A") + b"END:VCARD\r\n" + b"  BEGIN:VCARD\r\nFN:Indented\r\n"
    vcf.write_bytes(content)
    listing = open_file_store(str(vcf)).list(None)
    assert keys(listing) == ["a"]
    assert not listing.complete
    (problem,) = listing.problems
    assert problem.message.startswith("contacts.vcf, at the end of the file:")
    assert "kept as it is" in problem.message


# -- writing --------------------------------------------------------------------------------


def test_untouched_cards_and_gaps_keep_their_bytes_and_order(vcf: Path) -> None:
    header = b"\xef\xbb\xbf"
    cards = [V21, card("b", "B"), V30, card("d", "D", eol="\n"), V40]
    gaps = [b"\r\n", b"\r\n\r\n", b"", b"\n"]
    content = header + b"".join(c + g for c, g in zip(cards, [*gaps, b""], strict=True))
    vcf.write_bytes(content.rstrip(b"\n"))  # no line break at the very end
    store = open_file_store(str(vcf))
    listing = store.list(None)
    assert len(keys(listing)) == 5
    assert [store.read(k) for k in keys(listing)][:4] == cards[:4]

    store.update("b", card("b", "B", note="updated"))
    store.delete("d")
    store.create("e", card("e", "E"))
    store.commit()
    expected = (
        header
        + V21
        + b"\r\n"
        + card("b", "B", note="updated")
        + b"\r\n\r\n"
        + V30
        + b"\n"
        + V40.rstrip(b"\n")
        + b"\r\n"
        + card("e", "E")  # the file's line break
    )
    assert vcf.read_bytes() == expected


def test_commit_token_and_second_round(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A"))
    store = open_file_store(str(vcf))
    store.list(None)
    w = store.create("b", card("b", "B"))
    token = store.commit()
    st = vcf.stat()
    assert token == f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    assert store.list(token).entries is None
    assert store.read("b") == card("b", "B")
    assert {e.key: e.stamp for e in open_file_store(str(vcf)).list(None).entries or ()} == {
        "a": content_hash(card("a", "A")),
        "b": w.stamp,
    }
    assert store.commit() is None  # nothing to write


def test_writes_after_an_unchanged_listing(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A"))
    token = open_file_store(str(vcf)).list(None).token
    store = open_file_store(str(vcf))
    assert store.list(token).entries is None
    store.update("a", card("a", "A", note="n"))
    assert store.commit() is not None
    assert vcf.read_bytes() == card("a", "A", note="n")


def test_created_card_data_is_normalised_to_one_card(vcf: Path) -> None:
    vcf.write_bytes(b"")
    store = open_file_store(str(vcf))
    store.list(None)
    w = store.create("x", b"\r\n" + card("x", "X").rstrip() + b"\r\n\r\n")
    assert w.stamp == content_hash(card("x", "X"))
    with pytest.raises(BadItem):
        store.create("two", card("t1", "T") + card("t2", "T"))
    with pytest.raises(BadItem):
        store.create("cut", CUT)
    store.commit()
    assert vcf.read_bytes() == card("x", "X")


def test_update_that_adds_a_uid_returns_the_new_key(vcf: Path) -> None:
    vcf.write_bytes(card(None, "Jane"))
    store = open_file_store(str(vcf))
    assert keys(store.list(None)) == ["fn:Jane"]
    w = store.update("fn:Jane", card("jane-uid", "Jane"))
    assert w.key == "jane-uid"
    store.commit()
    assert keys(open_file_store(str(vcf)).list(None)) == ["jane-uid"]


def test_pending_create_can_be_updated_and_deleted(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A"))
    store = open_file_store(str(vcf))
    store.list(None)
    store.create("b", card("b", "B"))
    store.update("b", card("b", "B", note="n"))
    assert store.read("b") == card("b", "B", note="n")
    store.create("c", card("c", "C"))
    store.delete("c")
    store.commit()
    assert vcf.read_bytes() == card("a", "A") + card("b", "B", note="n")


def test_concurrent_change_is_refused_and_nothing_written(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A") + card("b", "B"))
    store = open_file_store(str(vcf))
    store.list(None)
    store.update("a", card("a", "A", note="ours"))
    store.delete("b")
    theirs = card("a", "A") + card("b", "B") + card("c", "Added by the phone app")
    vcf.write_bytes(theirs)
    with pytest.raises(ItemRejected, match="changed by another program during the sync"):
        store.commit()
    assert vcf.read_bytes() == theirs
    assert no_temp_files(vcf)
    # the next round starts from the file as it is now
    assert keys(store.list(None)) == ["a", "b", "c"]


def test_change_between_unchanged_listing_and_first_write_is_refused(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A"))
    token = open_file_store(str(vcf)).list(None).token
    store = open_file_store(str(vcf))
    assert store.list(token).entries is None
    vcf.write_bytes(card("a", "A", note="theirs"))
    store.create("b", card("b", "B"))
    with pytest.raises(ItemRejected):
        store.commit()
    assert vcf.read_bytes() == card("a", "A", note="theirs")


def test_change_during_the_write_is_refused(vcf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vcf.write_bytes(card("a", "A"))
    store = open_file_store(str(vcf))
    store.list(None)
    store.create("b", card("b", "B"))
    real_write_temp = file_mod.write_temp

    def racing(folder: str, data: bytes, mode: int | None = None) -> tuple[str, os.stat_result]:
        result = real_write_temp(folder, data, mode)
        vcf.write_bytes(b"theirs")
        return result

    monkeypatch.setattr(file_mod, "write_temp", racing)
    with pytest.raises(ItemRejected):
        store.commit()
    assert vcf.read_bytes() == b"theirs"
    assert no_temp_files(vcf)


def test_uncommitted_changes_are_dropped_by_a_new_listing(vcf: Path) -> None:
    vcf.write_bytes(card("a", "A"))
    store = open_file_store(str(vcf))
    store.list(None)
    store.delete("a")
    assert keys(store.list(None)) == ["a"]
    assert store.commit() is None
    assert vcf.read_bytes() == card("a", "A")


def test_permissions_and_symlink_survive_a_rewrite(tmp_path: Path) -> None:
    real = tmp_path / "real.vcf"
    real.write_bytes(card("a", "A"))
    os.chmod(real, 0o640)
    link = tmp_path / "link.vcf"
    link.symlink_to(real)
    store = open_file_store(str(link))
    assert store.identity == "vcf:" + os.path.realpath(real)
    assert store.name == "link.vcf"
    store.list(None)
    store.create("b", card("b", "B"))
    store.commit()
    assert link.is_symlink()
    assert real.read_bytes() == card("a", "A") + card("b", "B")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_stale_temp_files_are_removed_on_commit(vcf: Path) -> None:
    vcf.write_bytes(b"")
    stale = vcf.parent / (TEMP_PREFIX + "stale")
    stale.write_bytes(b"left by a crash")
    os.utime(stale, (1_000_000, 1_000_000))
    store = open_file_store(str(vcf))
    store.list(None)
    store.create("a", card("a", "A"))
    store.commit()
    assert not stale.exists()


def test_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "c.vcf").write_bytes(b"")
    store = open_file_store("~/c.vcf")
    assert isinstance(store, VCardFileProvider)
    assert store.identity == "vcf:" + os.path.realpath(tmp_path / "c.vcf")
    assert store.capabilities.batch_size == 0


# -- fidelity -------------------------------------------------------------------------------


def fixture_cards() -> dict[str, bytes]:
    """The good sample cards of tests/data/cards (one card per ``.vcf`` file)."""
    if not CARDS_DIR.is_dir():
        return {}
    out = {}
    for path in sorted(CARDS_DIR.glob("*.vcf")):
        data = path.read_bytes()
        spans = split_cards(data)
        if len(spans) == 1 and spans[0].problem is None and not path.name.startswith("broken"):
            out[path.name] = data
    return out


def test_fixture_cards_survive_byte_identical(vcf: Path) -> None:
    samples = fixture_cards()
    if not samples:
        pytest.skip("no fixture cards in tests/data/cards")
    content = b"".join(s if s.endswith(b"\n") else s + b"\r\n" for s in samples.values())
    vcf.write_bytes(content + card("marker", "Marker"))
    store = open_file_store(str(vcf))
    listing = store.list(None)
    assert not listing.problems
    assert [e.data for e in listing.entries or ()][:-1] == [
        s if s.endswith(b"\n") else s + b"\r\n" for s in samples.values()
    ]
    store.update("marker", card("marker", "Marker", note="touched"))
    store.delete(keys(listing)[0])
    store.commit()
    first = next(iter(samples.values()))
    assert vcf.read_bytes() == content[len(first) :] + card("marker", "Marker", note="touched")


def test_fixture_cards_created_in_an_empty_file(vcf: Path) -> None:
    samples = fixture_cards()
    if not samples:
        pytest.skip("no fixture cards in tests/data/cards")
    vcf.write_bytes(b"")
    store = open_file_store(str(vcf))
    store.list(None)
    written = {name: store.create(f"uid-{name}", data) for name, data in samples.items()}
    store.commit()
    fresh = open_file_store(str(vcf))
    listed = {e.key: e.stamp for e in fresh.list(None).entries or ()}
    for name, w in written.items():
        assert listed[w.key] == w.stamp
        assert fresh.read(w.key).rstrip(b"\r\n") == samples[name].rstrip(b"\r\n")


def test_damaged_key_recovery_matches_the_codec() -> None:
    """A damaged card is keyed from a line scan; it must give what the codec gives."""
    samples = [*fixture_cards().values(), V21, V30, V40]
    for raw in samples:
        info = describe_card(raw)
        assert find_value(raw, "UID") == info.uid
        fn = find_value(raw, "FN")
        if fn is not None:
            assert " ".join(fn.split()) == info.label


def test_a_utf16_file_is_named_as_such_not_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "u.vcf"
    path.write_bytes("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n".encode("utf-16"))
    with pytest.raises(StoreUnavailable, match=r"written in UTF-16.*save it as UTF-8"):
        open_file_store(str(path)).list(None)
    assert path.read_bytes().startswith(b"\xff\xfe")  # untouched
