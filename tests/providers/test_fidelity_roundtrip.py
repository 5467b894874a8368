"""vCard fidelity through every store: vdir -> vcf -> vdir keeps each card's bytes.

vCard 2.1 quoted-printable, CHARSET and bare types, 3.0 Apple ``itemN.`` groups and X-
properties, 4.0 ``data:`` URIs and PID all come back byte-identical; a card without a UID
comes back with exactly one added UID line and nothing else changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncgui.engine import SimpleStore
from syncgui.providers.mtp.phone.store import open_virtual_store
from syncgui.providers.vcard.file import open_file_store
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.providers.vcard.format import describe_card
from tests.fidelity_support import (
    GOOD,
    NO_UID,
    WITH_UID,
    by_sample_name,
    original,
    replica,
    sync_chain,
    with_final_line_break,
    without_one_uid_line,
)


@pytest.fixture(params=["vcf", "phone"])
def round_trip(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, bytes]:
    """Sync a folder of the sample cards through the middle stores and on into a second
    folder; return the second folder's cards by the first folder's file name. Middles:
    a .vcf file, or a folder and then an exported .vcf file on the (virtual) phone."""
    first, final = tmp_path / "first", tmp_path / "final"
    first.mkdir()
    final.mkdir()
    for name in GOOD:
        (first / name).write_bytes(original(name))
    middles: list[SimpleStore] = []
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
        replica(open_folder_store(str(first)), tmp_path, "a"),
        *(replica(m, tmp_path, f"m{i}") for i, m in enumerate(middles)),
        replica(open_folder_store(str(final)), tmp_path, "z"),
    ]
    sync_chain(chain)
    for r in chain:
        r.close()
    return by_sample_name([p.read_bytes() for p in final.iterdir()])


@pytest.mark.parametrize("name", WITH_UID)
def test_cards_with_uid_come_back_byte_identical(round_trip: dict[str, bytes], name: str) -> None:
    # The one exception: a card whose last line has no line break (samsung-21.vcf) gains one.
    assert round_trip[name] == with_final_line_break(original(name))


@pytest.mark.parametrize("name", NO_UID)
def test_cards_without_uid_gain_only_a_uid_line(round_trip: dict[str, bytes], name: str) -> None:
    assert describe_card(original(name)).uid is None
    assert without_one_uid_line(round_trip[name]) == original(name)
