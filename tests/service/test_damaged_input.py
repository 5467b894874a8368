"""A damaged card is a local change we do not understand: it is reported, kept byte for byte,
and never deleted or overwritten by a change from elsewhere; the other side keeps its own
version. Once the card is readable again the normal rules apply.

Every kind of damage the full parse catches (not only what the cheap pre-check sees) x the
other side deleting or editing the contact x the store kind holding the damaged card (a
folder, one ``.vcf`` file, a folder on the virtual phone), end to end through the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, card


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


ANN = card("ann-1", "Ann Example", "TEL:+1 555 0100", "NOTE:first")
BOB = card("bob-1", "Bob Example", "EMAIL:bob@example.org")
ZED = card("zed-1", "Zed Inside", "EMAIL:zed@example.org")


def _insert_after_fn(data: bytes, extra: bytes) -> bytes:
    head, sep, rest = data.partition(b"FN:Ann Example\r\n")
    assert sep
    return head + sep + extra + rest


# Each kind of damage turns Ann's card into something the parser refuses; the cheap
# pre-check (empty, NUL, no BEGIN/END) lets all of them through.
DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "no-colon": lambda raw: _insert_after_fn(raw, b"THIS LINE HAS NO COLON\r\n"),
    "bad-utf8": lambda raw: raw.replace(b"NOTE:first", b"NOTE:caf\xe9 \xff\xfe"),
    "nested-begin": lambda raw: _insert_after_fn(raw, b"BEGIN:VCARD\r\n"),
    "second-card": lambda raw: _insert_after_fn(raw, ZED.encode()),
}


@dataclass
class Pair:
    """A partnership between the store that will hold the damaged card and another one."""

    kind: str
    damaged_spec: str
    other_spec: str
    read_ann: Callable[[], bytes | None]  # Ann's bytes in the damaged store
    write_ann: Callable[[bytes], None]
    snapshot: Callable[[], bytes]  # what must stay byte for byte
    other_ann: Callable[[], str | None]  # Ann's card on the other side
    set_other_ann: Callable[[str | None], None]


def _later(path: Path) -> None:
    st = path.stat()  # a later second, as another program's save would be
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _folder_side(folder: Path) -> tuple[Callable[[], bytes | None], Callable[[bytes], None]]:
    ann = folder / "ann.vcf"

    def read() -> bytes | None:
        return ann.read_bytes() if ann.exists() else None

    def write(data: bytes) -> None:
        ann.write_bytes(data)
        _later(ann)

    return read, write


def _card_of(text: str, uid: str) -> str | None:
    for chunk in text.split("BEGIN:VCARD")[1:]:
        if f"UID:{uid}\r\n" in chunk:
            return "BEGIN:VCARD" + chunk.split("END:VCARD")[0] + "END:VCARD\r\n"
    return None


def _make_pair(kind: str, tmp: Path) -> Pair:
    book = tmp / "book"
    export = tmp / "export.vcf"
    phone = tmp / "phone"
    tmp.mkdir()
    if kind == "vcf":
        # the damaged card lives in the .vcf; the other side is a folder
        export.write_text(ANN + BOB, newline="")
        book.mkdir()

        def read_vcf() -> bytes | None:
            return export.read_bytes()

        current = [ANN.encode()]

        def write_vcf(data: bytes) -> None:
            text = export.read_bytes()
            assert text.count(current[0]) == 1
            export.write_bytes(text.replace(current[0], data))
            current[0] = data
            _later(export)

        def other() -> str | None:
            files = [p for p in book.iterdir() if b"ann-1" in p.read_bytes()]
            return files[0].read_bytes().decode() if files else None

        def set_other(text: str | None) -> None:
            (target,) = [p for p in book.iterdir() if b"ann-1" in p.read_bytes()]
            if text is None:
                target.unlink()
            else:
                target.write_text(text, newline="")
                _later(target)

        return Pair(
            kind,
            f"vcf:{export}",
            f"vdir:{book}",
            lambda: _ann_span(export.read_bytes()),
            write_vcf,
            read_vcf,  # the whole file stays as it is
            other,
            set_other,
        )
    folder = phone / "Contacts" if kind == "phone" else book
    folder.mkdir(parents=True)
    (folder / "ann.vcf").write_text(ANN, newline="")
    (folder / "bob.vcf").write_text(BOB, newline="")
    export.write_bytes(b"")
    read, write = _folder_side(folder)

    def snapshot() -> bytes:
        data = read()
        assert data is not None, "the damaged file was deleted"
        return data

    def other_vcf() -> str | None:
        return _card_of(export.read_bytes().decode(errors="replace"), "ann-1")

    def set_other_vcf(text: str | None) -> None:
        whole = export.read_bytes().decode()
        old = _card_of(whole, "ann-1")
        assert old is not None
        export.write_text(whole.replace(old, text or ""), newline="")
        _later(export)

    spec = f"virtual:{phone}" if kind == "phone" else f"vdir:{book}"
    return Pair(kind, spec, f"vcf:{export}", read, write, snapshot, other_vcf, set_other_vcf)


def _ann_span(data: bytes) -> bytes | None:
    start = data.find(b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann-1")
    if start < 0:
        return None
    return data[start : data.index(b"END:VCARD\r\n", start) + len(b"END:VCARD\r\n")]


@pytest.mark.parametrize("other_side", ["deleted", "edited"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("kind", ["folder", "vcf", "phone"])
def test_a_damaged_card_is_kept_and_the_other_side_keeps_its_version(
    cli: Cli, tmp_path: Path, kind: str, damage: str, other_side: str
) -> None:
    pair = _make_pair(kind, tmp_path / "stores")
    code, _out, err = cli("partnership", "add", "p", pair.damaged_spec, pair.other_spec)
    assert code == 0, err
    code, runs = cli.json("sync", "p")
    assert code == 0, runs
    assert pair.other_ann() == ANN

    original = pair.read_ann()
    assert original is not None
    pair.write_ann(DAMAGE[damage](original))
    edited = ANN.replace("NOTE:first", "NOTE:edited elsewhere")
    pair.set_other_ann(None if other_side == "deleted" else edited)
    kept = pair.snapshot()

    for _ in range(2):  # and again: nothing changes while the card stays damaged
        code, runs = cli.json("sync", "p")
        assert code == 1, runs
        (run,) = runs
        errors = " ".join(f"{e['item']}: {e['message']}" for e in run["errors"])
        shown = "export.vcf, card 1" if kind == "vcf" else "ann.vcf"
        assert shown in errors, errors
        assert pair.snapshot() == kept, "the damaged card was changed"
        assert pair.other_ann() == (None if other_side == "deleted" else edited)
        assert run["to_a"] == {"created": 0, "updated": 0, "deleted": 0}

    # Readable again (the user repaired it with an edit of their own): the normal rules.
    repaired = original.replace(b"NOTE:first", b"NOTE:repaired here")
    pair.write_ann(repaired)
    code, runs = cli.json("sync", "p", "--yes")
    assert code in (0, 3), runs
    if other_side == "deleted":
        # an edit against a delete keeps the edited contact (merge policy)
        assert pair.read_ann() == repaired
        assert pair.other_ann() is not None and "NOTE:repaired here" in (pair.other_ann() or "")
    else:
        # both changed the note: a conflict for the user, both versions still in place
        assert code == 3, runs
        assert pair.read_ann() == repaired
        assert pair.other_ann() == edited


@pytest.mark.parametrize("bad_uid", [b"UID:cust\xffom-1", b"UID:cust\x00om-1", b"UID:"])
def test_a_damaged_uid_in_a_vcf_does_not_make_the_contact_look_deleted(
    cli: Cli, tmp_path: Path, bad_uid: bytes
) -> None:
    book, export = tmp_path / "book", tmp_path / "export.vcf"
    book.mkdir()
    custom = card("custom-1", "Cus Tom", "TEL:+1 555 0199", "NOTE:caf\u00e9")
    export.write_text(custom + BOB, newline="")
    assert cli("partnership", "add", "p", f"vcf:{export}", f"vdir:{book}")[0] == 0
    assert cli.json("sync", "p")[0] == 0
    in_book = {p.name: p.read_bytes() for p in book.iterdir()}
    assert len(in_book) == 2

    damaged = (
        export.read_bytes().replace(b"UID:custom-1", bad_uid).replace(b"caf\xc3\xa9", b"caf\xe9")
    )
    export.write_bytes(damaged)
    _later(export)
    code, runs = cli.json("sync", "p")

    assert code == 1, runs
    assert {p.name: p.read_bytes() for p in book.iterdir()} == in_book  # nothing deleted
    assert export.read_bytes() == damaged
    assert runs[0]["to_b"]["deleted"] == 0
    assert any("export.vcf, card 1" in e["message"] for e in runs[0]["errors"]), runs

    # repaired: everything is as before, nothing was lost on either side
    export.write_text(custom + BOB, newline="")
    _later(export)
    code, runs = cli.json("sync", "p")
    assert code == 0, runs
    assert {p.name: p.read_bytes() for p in book.iterdir()} == in_book


def _synced_book_and_export(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    """A folder with Ann and Bob paired with a .vcf file, after their first sync."""
    book, export = tmp_path / "book", tmp_path / "export.vcf"
    book.mkdir()
    (book / "ann.vcf").write_text(ANN, newline="")
    (book / "bob.vcf").write_text(BOB, newline="")
    export.write_bytes(b"")
    assert cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}")[0] == 0
    assert cli.json("sync", "p")[0] == 0
    return book, export


def test_a_new_damaged_file_holds_back_the_deletes_it_may_explain(cli: Cli, tmp_path: Path) -> None:
    """Another program renamed Ann's file and damaged it: her old name is gone and a new
    file cannot be read. That is not "Ann was deleted"."""
    book, export = _synced_book_and_export(cli, tmp_path)

    (book / "ann.vcf").rename(book / "Ann Example.vcf")
    (book / "Ann Example.vcf").write_bytes(DAMAGE["no-colon"](ANN.encode()))
    code, runs = cli.json("sync", "p")

    assert code == 1, runs
    assert runs[0]["to_b"]["deleted"] == 0
    assert _card_of(export.read_bytes().decode(), "ann-1") == ANN
    messages = [e["message"] for e in runs[0]["errors"]]
    assert any("Ann Example.vcf" in m and "not taken as deleted" in m for m in messages), messages

    (book / "Ann Example.vcf").unlink()  # the user removes the broken file: now a delete
    code, runs = cli.json("sync", "p")
    assert code == 0, runs
    assert runs[0]["to_b"]["deleted"] == 1
    assert _card_of(export.read_bytes().decode(), "ann-1") is None


def test_cards_with_a_bom_or_ios_line_ends_reach_a_vcf_and_are_counted_once(
    cli: Cli, tmp_path: Path
) -> None:
    book, export = tmp_path / "book", tmp_path / "export.vcf"
    book.mkdir()
    bom = b"\xef\xbb\xbf" + card("bom-1", "Bo M").encode()
    ios = card("ios-1", "I Os", "TEL:+1 555 0123").encode().replace(b"\r\n", b"\r\r\n")
    (book / "bom.vcf").write_bytes(bom)
    (book / "ios.vcf").write_bytes(ios)
    export.write_bytes(b"")
    assert cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}")[0] == 0

    code, runs = cli.json("sync", "p")

    assert code == 0, runs
    assert runs[0]["to_b"]["created"] == 2
    # one file of many cards: no BOM in the middle, and the broken line ends repaired
    assert (
        export.read_bytes()
        == card("bom-1", "Bo M").encode() + card("ios-1", "I Os", "TEL:+1 555 0123").encode()
    )
    assert (book / "bom.vcf").read_bytes() == bom and (book / "ios.vcf").read_bytes() == ios
    code, runs = cli.json("sync", "p")
    assert code == 0 and runs[0]["to_b"] == {"created": 0, "updated": 0, "deleted": 0}, runs
    assert runs[0]["to_a"] == {"created": 0, "updated": 0, "deleted": 0}


def test_a_broken_file_that_was_there_before_holds_back_no_later_delete(
    cli: Cli, tmp_path: Path
) -> None:
    """A broken file dropped into the folder holds back only the deletes it may explain,
    those seen when it appeared; a contact deleted later is deleted as usual."""
    book, export = _synced_book_and_export(cli, tmp_path)
    (book / "junk.vcf").write_bytes(b"BEGIN:VCARD\r\nNO COLON HERE\r\nEND:VCARD\r\n")
    code, runs = cli.json("sync", "p")
    assert code == 1 and [e["item"] for e in runs[0]["errors"]] == ["junk.vcf"], runs

    (book / "bob.vcf").unlink()  # later: a real delete, with the broken file still there
    code, runs = cli.json("sync", "p")

    assert code == 1 and [e["item"] for e in runs[0]["errors"]] == ["junk.vcf"], runs
    assert runs[0]["to_b"]["deleted"] == 1
    assert _card_of(export.read_bytes().decode(), "bob-1") is None
    assert _card_of(export.read_bytes().decode(), "ann-1") == ANN
