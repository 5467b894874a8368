"""vCard fidelity through a real CardDAV server: folder -> address book -> .vcf file ->
folder, each sample card of :data:`tests.fidelity_support.GOOD` alone in a fresh address
book, against Radicale and Xandikos.

What each server does with each card is named below, line by line:

* Xandikos keeps the cards it takes byte for byte (vCard 4.0 included, though it advertises
  3.0). A vCard 2.1 card with a quoted-printable soft line break it cannot read (vobject
  decodes quoted-printable line by line): it refuses it with 412 (valid-address-data), or
  fails with 500 when the break splits a UTF-8 sequence (while it answers other requests:
  the card is reported as refused). A card that is not UTF-8 (raw Latin-1, or folded inside
  a UTF-8 sequence) it stores, but then fails with 500 every addressbook-multiget that asks
  for it; a GET sends it as stored, so the store reads that batch card by card.
* Radicale re-serialises every card through vobject: properties in its own order, ``type=``
  parameters merged into one ``TYPE=``, quoted-printable decoded, CRLF line breaks, and
  worse: a 3.0 NOTE is cut at its first comma, a 4.0 ``data:`` PHOTO loses its data, a card
  folded inside a UTF-8 sequence is read as Latin-1 (mojibake), the TEL types of a 2.1 card
  are dropped. It refuses a 2.1 card whose soft line break splits a UTF-8 sequence.

Whatever the server holds, every store after it holds byte for byte; and the server's
change is never echoed back: a second two-way sync of every hop changes nothing anywhere.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from syncgui.engine import (
    BaseStore,
    Direction,
    MetadataStore,
    PassCounts,
    SessionResult,
    SessionSettings,
    SimpleReplica,
    SimpleStore,
    Status,
    SyncSession,
)
from syncgui.providers.carddav import open_store
from syncgui.providers.vcard.file import open_file_store
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.providers.vcard.format import describe_card
from tests.carddav.servers import Server
from tests.fidelity_support import (
    NO_UID,
    original,
    with_final_line_break,
    without_one_uid_line,
)


@dataclass(frozen=True)
class Kept:
    """The server stores the card byte for byte."""


@dataclass(frozen=True)
class Rewritten:
    """The server stores its own serialisation of the card: these lines of the card (line
    breaks aside) are gone, these are new; every other line is kept as it was, moved into
    the server's property order; LF line breaks become CRLF."""

    gone: tuple[bytes, ...]
    new: tuple[bytes, ...]


@dataclass(frozen=True)
class Refused:
    """The server refuses the card with this HTTP status: the sync reports the card by name,
    skips it and goes on; it is not deleted anywhere. The report says ``says``."""

    status: int
    says: str = ""


def _lines_of(name: str, prop: bytes) -> tuple[bytes, ...]:
    """The physical lines of property ``prop`` (with its folded continuation lines) in
    sample card ``name``."""
    lines = original(name).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(prop + b":"))
    end = at + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return tuple(lines[at:end])


SERVERS: dict[str, dict[str, Kept | Rewritten | Refused]] = {
    "xandikos": {
        "android-21.vcf": Refused(500, "it failed on this card while it answers other"),
        "samsung-21.vcf": Refused(412, "valid-address-data): it says the card is not a valid"),
        "latin1-21.vcf": Kept(),
        "apple-30.vcf": Kept(),
        "v40.vcf": Kept(),
        "no-uid.vcf": Kept(),
        "crlf-folded.vcf": Kept(),
    },
    "radicale": {
        "android-21.vcf": Refused(400),
        "samsung-21.vcf": Rewritten(
            gone=(
                b"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;",
                b"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller",
                b"TEL;CELL:+49 151 23456789",
                b"TEL;WORK;FAX:+49 30 1234567",
                b"UID;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:"
                b"=33=30=38=31=34=36=34=37=35=34=2D=30=2D=",
                b"=36=34=40=73=61msungmobile.com",
            ),
            new=(
                b"UID;CHARSET=UTF-8:3081464754-0-64@samsungmobile.com",
                "FN;CHARSET=UTF-8:Jürgen Müller".encode(),
                "N;CHARSET=UTF-8:Müller;Jürgen;;;".encode(),
                b"TEL:+49 151 23456789",  # the types CELL, WORK and FAX are lost
                b"TEL:+49 30 1234567",
            ),
        ),
        "latin1-21.vcf": Rewritten(
            gone=(
                b"N;CHARSET=ISO-8859-1:Gonz\xe1lez;Jos\xe9",
                b"FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Jos=E9 Gonz=E1lez",
                b"TEL;WORK;VOICE:+34 91 123 45 67",
            ),
            new=(
                # UTF-8 now, still labelled ISO-8859-1
                "FN;CHARSET=ISO-8859-1:José González".encode(),
                "N;CHARSET=ISO-8859-1:González;José;;;".encode(),
                b"TEL:+34 91 123 45 67",
            ),
        ),
        "apple-30.vcf": Rewritten(
            gone=(
                b"ORG:Apple Inc.;",
                b"item1.EMAIL;type=INTERNET;type=pref:johnny@example.com",
                b"item1.X-ABLabel:_$!<Other>!$_",
                b"item2.EMAIL;type=INTERNET:j.appleseed@example.org",
                b"item2.X-ABLabel:school",
                b"TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0100",
                b"item3.ADR;type=HOME;type=pref:;;1 Infinite Loop;Cupertino;CA;95014;United States",
                b"NOTE:Met at WWDC, likes apples",
            ),
            new=(
                b"ORG:Apple Inc.",
                b"item1.EMAIL;TYPE=INTERNET,pref:johnny@example.com",
                b"item1.X-ABLABEL:_$!<Other>!$_",
                b"item2.EMAIL;TYPE=INTERNET:j.appleseed@example.org",
                b"item2.X-ABLABEL:school",
                b"TEL;TYPE=CELL,VOICE,pref:+1 (408) 555-0100",
                b"item3.ADR;TYPE=HOME,pref:;;1 Infinite Loop;Cupertino;CA;95014;United States",
                b"NOTE:Met at WWDC",  # cut at the (unescaped) comma
            ),
        ),
        "v40.vcf": Rewritten(
            gone=(
                b'TEL;VALUE=uri;TYPE="voice,cell";PREF=1;PID=1.1:tel:+1-555-555-5555',
                b"TEL;VALUE=uri;TYPE=work;PID=2.1:tel:+1-555-555-0100;ext=102",
                b"EMAIL;TYPE=work;PID=1.1:jane@example.com",
                b"CLIENTPIDMAP:1;urn:uuid:53e374d9-337e-4727-8803-a1e9c14e0556",
                *_lines_of("v40.vcf", b"PHOTO"),
            ),
            new=(
                b'TEL;PID=1.1;PREF=1;TYPE="voice,cell";VALUE=uri:tel:+1-555-555-5555',
                b"TEL;PID=2.1;TYPE=work;VALUE=uri:tel:+1-555-555-0100\\;ext=102",
                b"EMAIL;PID=1.1;TYPE=work:jane@example.com",
                b"CLIENTPIDMAP:1\\;urn:uuid:53e374d9-337e-4727-8803-a1e9c14e0556",
                b"PHOTO:data:image/jpeg\\;base64",  # the picture is gone
            ),
        ),
        "no-uid.vcf": Rewritten(
            gone=(b"EMAIL;TYPE=INTERNET;TYPE=HOME:max@example.de",),
            new=(b"EMAIL;TYPE=INTERNET,HOME:max@example.de",),
        ),
        "crlf-folded.vcf": Rewritten(
            # folded inside "ë": Radicale reads the whole card as Latin-1
            gone=(
                "FN:Zoë Keller".encode(),
                "N:Keller;Zoë;;;".encode(),
                "ADR;TYPE=WORK:;;Bahnhofstrasse 1;Zürich;;8001;Switzerland and a long tai".encode(),
                b"EMAIL;TY",
                b" PE=WORK:zoe.keller@example.ch",
                *_lines_of("crlf-folded.vcf", b"NOTE"),
            ),
            new=(
                "FN:ZoÃ« Keller".encode(),
                "N:Keller;ZoÃ«;;;".encode(),
                "ADR;TYPE=WORK:;;Bahnhofstrasse 1;ZÃ¼rich;;8001;Switzerland and a long "
                "tai".encode(),
                b"EMAIL;TYPE=WORK:zoe.keller@example.ch",
                "NOTE:ZÃ¼rich office".encode(),  # and cut at the first comma
            ),
        ),
    },
}


def _cases(kind: type[Kept | Rewritten | Refused]) -> list[object]:
    """``(server, card)`` for every card the server treats as ``kind``."""
    return [
        pytest.param(server, name, id=f"{server}-{name}")
        for server, cards in sorted(SERVERS.items())
        for name, expected in cards.items()
        if isinstance(expected, kind)
    ]


class RoundTrip:
    """Folder ``first`` -> the address book -> ``middle.vcf`` -> folder ``final``, one
    partnership per hop (``hop0``…``hop2``); each run opens every store afresh, as a new
    run of the app does, with the metadata and merge bases kept between runs."""

    def __init__(self, root: Path, book: str) -> None:
        self.root = root
        self.book = book
        self.first, self.final = root / "first", root / "final"
        self.first.mkdir()
        self.final.mkdir()
        self.vcf = root / "middle.vcf"
        self.vcf.write_bytes(b"")
        self.bases = BaseStore(":memory:")

    def run(self, direction: Direction) -> list[SessionResult]:
        stores: list[SimpleStore] = [
            open_folder_store(str(self.first)),
            open_store(self.book, user=None, password=None),
            open_file_store(str(self.vcf)),
            open_folder_store(str(self.final)),
        ]
        chain = [
            SimpleReplica(s, MetadataStore(self.root / f"{i}.sqlite", s.identity))
            for i, s in enumerate(stores)
        ]
        try:
            return [
                SyncSession(a, b, SessionSettings(f"hop{i}", direction), self.bases).run()
                for i, (a, b) in enumerate(itertools.pairwise(chain))
            ]
        finally:
            for replica in chain:
                replica.close()

    def held(self) -> list[bytes]:
        """The address book's cards, as the server holds them."""
        store = open_store(self.book, user=None, password=None)
        try:
            listing = store.list(None)
            assert listing.entries is not None
            return [store.read(e.key) for e in sorted(listing.entries, key=lambda e: e.key)]
        finally:
            store.close()

    def snapshot(self) -> dict[str, bytes]:
        """Every store's bytes: the files of both folders, the .vcf file, the server's cards."""
        files = {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in [*self.first.iterdir(), *self.final.iterdir(), self.vcf]
        }
        return files | {f"book/{i}": data for i, data in enumerate(self.held())}


def _start(request: pytest.FixtureRequest, tmp_path: Path, kind: str, name: str) -> RoundTrip:
    server: Server = request.getfixturevalue(kind)
    trip = RoundTrip(tmp_path, server.new_book())
    (trip.first / name).write_bytes(original(name))
    return trip


def _assert_second_sync_changes_nothing(trip: RoundTrip, problems: Sequence[str] = ()) -> None:
    """A two-way sync of every hop writes nothing anywhere; only ``problems`` (the labels of
    cards the server refuses) are reported again."""
    before = trip.snapshot()
    for result in trip.run(Direction.TWO_WAY):
        assert result.to_a == result.to_b == PassCounts(), result
        assert (result.conflicts, result.merged) == (0, 0), result
        reported = problems if result.partnership == "hop0" else ()
        assert [p.item for p in result.errors] == list(reported), result
    assert trip.snapshot() == before


def _names(card: bytes) -> list[bytes]:
    """The property names of ``card`` in order (without groups)."""
    text = card.replace(b"\r\n ", b"").replace(b"\r\n\t", b"")
    return [
        line.split(b":")[0].split(b";")[0].split(b".")[-1].upper() for line in text.splitlines()
    ]


def _in_server_order(names: list[bytes]) -> list[bytes]:
    """``names`` in the order Radicale writes a card's properties: VERSION, PRODID and UID
    first, then the others sorted by name."""
    assert (names[0], names[-1]) == (b"BEGIN", b"END")
    body = names[1:-1]
    first = [n for n in (b"VERSION", b"PRODID", b"UID") if n in body]
    return [b"BEGIN", *first, *sorted(n for n in body if n not in first), b"END"]


@pytest.mark.parametrize(("kind", "name"), _cases(Kept) + _cases(Rewritten))
def test_a_card_comes_back_as_the_server_keeps_it(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, name: str
) -> None:
    trip = _start(request, tmp_path, kind, name)
    for result in trip.run(Direction.A_TO_B):
        assert result.status is Status.OK, (result.partnership, result.errors)
        assert result.to_b.created == 1

    (held,) = trip.held()
    card = with_final_line_break(original(name))
    if name in NO_UID:
        # the engine gives the card a UID, the one line added on the way
        assert describe_card(held).uid is not None
        held_less_uid = without_one_uid_line(held)
    else:
        held_less_uid = held
    expected = SERVERS[kind][name]
    if isinstance(expected, Kept):
        assert held_less_uid == card
    else:
        assert isinstance(expected, Rewritten)
        assert held.count(b"\n") == held.count(b"\r\n"), "CRLF line breaks"
        gone, new = Counter(expected.gone), Counter(expected.new)
        assert not gone - Counter(card.splitlines()), "the card has every line named gone"
        assert Counter(held_less_uid.splitlines()) == Counter(card.splitlines()) - gone + new
        assert _names(held) == _in_server_order(_names(held))

    # every store after the server holds the server's bytes; the first folder its own
    assert [p.read_bytes() for p in trip.final.iterdir()] == [held]
    assert trip.vcf.read_bytes() == held
    assert [p.read_bytes() for p in trip.first.iterdir()] == [original(name)]

    _assert_second_sync_changes_nothing(trip)


@pytest.mark.parametrize(("kind", "name"), _cases(Refused))
def test_a_card_the_server_refuses_is_reported_and_kept(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, name: str
) -> None:
    expected = SERVERS[kind][name]
    assert isinstance(expected, Refused)
    label = describe_card(original(name)).label
    trip = _start(request, tmp_path, kind, name)
    first, *rest = trip.run(Direction.A_TO_B)
    assert first.status is Status.FAILED
    (problem,) = first.errors
    assert problem.item == label
    assert first.to_b.created == 0
    for result in rest:
        assert result.status is Status.OK, (result.partnership, result.errors)
        assert result.to_b.created == 0
    assert trip.held() == []
    assert [p.read_bytes() for p in trip.first.iterdir()] == [original(name)]
    assert list(trip.final.iterdir()) == []

    _assert_second_sync_changes_nothing(trip, problems=[label])


@pytest.mark.parametrize(("kind", "name"), _cases(Refused))
def test_the_report_of_a_refused_card_says_the_server_refused_it(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, name: str
) -> None:
    expected = SERVERS[kind][name]
    assert isinstance(expected, Refused)
    trip = _start(request, tmp_path, kind, name)
    (problem,) = trip.run(Direction.A_TO_B)[0].errors
    assert f"the server refused the create ({expected.status}" in problem.message
    assert "already exists" not in problem.message
    assert expected.says in problem.message
