"""vCard fidelity through every store: vdir -> vcf -> vdir keeps each card's bytes.

vCard 2.1 quoted-printable, CHARSET and bare types, 3.0 Apple ``itemN.`` groups and X-
properties, 4.0 ``data:`` URIs and PID all come back byte-identical; a card without a UID
comes back with exactly one added UID line and nothing else changed."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from syncgui.engine import BaseStore, MetadataStore, SessionSettings, SimpleReplica, SyncSession
from syncgui.engine.events import Direction
from syncgui.providers.mtp.phone.store import open_virtual_store
from syncgui.providers.vcard.file import open_file_store
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.providers.vcard.format import describe_card

CARDS = Path(__file__).resolve().parents[1] / "data" / "cards"
GOOD = [
    "android-21.vcf",
    "samsung-21.vcf",
    "latin1-21.vcf",
    "apple-30.vcf",
    "v40.vcf",
    "no-uid.vcf",
    "crlf-folded.vcf",
]


def _replica(store: object, tmp: Path, name: str) -> SimpleReplica:
    return SimpleReplica(store, MetadataStore(tmp / f"{name}.sqlite", name))  # type: ignore[arg-type]


def _sync(a: SimpleReplica, b: SimpleReplica, name: str) -> None:
    settings = SessionSettings(name, direction=Direction.A_TO_B)
    result = SyncSession(a, b, settings, BaseStore()).run()
    assert result.status.value == "ok", result.errors


def _without_one_uid_line(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    uid_lines = [i for i, line in enumerate(lines) if line.upper().startswith(b"UID:")]
    assert len(uid_lines) == 1
    del lines[uid_lines[0]]
    return b"".join(lines)


@pytest.fixture(params=["vcf", "phone"])
def round_trip(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, bytes]:
    """Sync a folder of the sample cards through the middle stores and on into a second
    folder; return the second folder's cards by the first folder's file name. Middles:
    a .vcf file, or a folder and then an exported .vcf file on the (virtual) phone."""
    first, final = tmp_path / "first", tmp_path / "final"
    first.mkdir()
    final.mkdir()
    for name in GOOD:
        (first / name).write_bytes((CARDS / name).read_bytes())
    middles = []
    if request.param == "vcf":
        middle = tmp_path / "middle.vcf"
        middle.write_bytes(b"")
        middles.append(open_file_store(str(middle)))
    else:
        phone = tmp_path / "phone"
        (phone / "Contacts").mkdir(parents=True)
        (phone / "Download").mkdir()
        (phone / "Download" / "contacts.vcf").write_bytes(b"")
        middles.append(open_virtual_store(f"{phone}#Contacts"))
        middles.append(open_virtual_store(f"{phone}#Download/contacts.vcf"))
    chain = [
        _replica(open_folder_store(str(first)), tmp_path, "a"),
        *(_replica(m, tmp_path, f"m{i}") for i, m in enumerate(middles)),
        _replica(open_folder_store(str(final)), tmp_path, "z"),
    ]
    for i, (a, b) in enumerate(itertools.pairwise(chain)):
        _sync(a, b, f"hop{i}")
    for r in chain:
        r.close()
    by_label = {describe_card(p.read_bytes()).label: p.read_bytes() for p in final.iterdir()}
    return {name: by_label[describe_card((CARDS / name).read_bytes()).label] for name in GOOD}


@pytest.mark.parametrize(
    "name", [n for n in GOOD if n not in ("android-21.vcf", "latin1-21.vcf", "no-uid.vcf")]
)
def test_cards_with_uid_come_back_byte_identical(round_trip: dict[str, bytes], name: str) -> None:
    original = (CARDS / name).read_bytes()
    if not original.endswith(b"\n"):
        # The one exception: a card whose last line has no line break (samsung-21.vcf) must
        # get one to stand before the next card in a .vcf file, and keeps it afterwards.
        original += b"\r\n"
    assert round_trip[name] == original


@pytest.mark.parametrize("name", ["android-21.vcf", "latin1-21.vcf", "no-uid.vcf"])
def test_cards_without_uid_gain_only_a_uid_line(round_trip: dict[str, bytes], name: str) -> None:
    original = (CARDS / name).read_bytes()
    assert describe_card(original).uid is None
    assert _without_one_uid_line(round_trip[name]) == original
