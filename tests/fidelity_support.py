"""What the vCard fidelity round trips share (:mod:`tests.providers.test_fidelity_roundtrip`,
:mod:`tests.carddav.test_fidelity`): the sample cards, one-way hops through the engine, and
how a card that came back is found and compared."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from syncgui.engine import (
    BaseStore,
    Direction,
    MetadataStore,
    SessionSettings,
    SimpleReplica,
    SimpleStore,
    Status,
    SyncSession,
)
from syncgui.providers.vcard.format import describe_card

CARDS = Path(__file__).resolve().parent / "data" / "cards"
GOOD = [
    "android-21.vcf",
    "samsung-21.vcf",
    "latin1-21.vcf",
    "apple-30.vcf",
    "v40.vcf",
    "no-uid.vcf",
    "crlf-folded.vcf",
]
# the sample cards without a UID: a store that needs one gets exactly one added UID line
NO_UID = ["android-21.vcf", "latin1-21.vcf", "no-uid.vcf"]
WITH_UID = [n for n in GOOD if n not in NO_UID]


def original(name: str) -> bytes:
    """The sample card ``name`` as it is on disk."""
    return (CARDS / name).read_bytes()


def replica(store: SimpleStore, tmp: Path, name: str) -> SimpleReplica:
    """``store`` with a metadata file of its own in ``tmp``."""
    return SimpleReplica(store, MetadataStore(tmp / f"{name}.sqlite", name))


def sync_chain(chain: Sequence[SimpleReplica]) -> None:
    """Sync each store of ``chain`` one way into the next (partnerships ``hop0``, …); each
    session must end without a problem."""
    for i, (a, b) in enumerate(itertools.pairwise(chain)):
        settings = SessionSettings(f"hop{i}", direction=Direction.A_TO_B)
        result = SyncSession(a, b, settings, BaseStore()).run()
        assert result.status is Status.OK, (settings.partnership, result.errors)


def by_sample_name(cards: Sequence[bytes], names: Sequence[str] = GOOD) -> dict[str, bytes]:
    """``cards`` (that came back from a round trip) by the name of the sample card each one
    is, found by its label; each of the sample cards ``names`` must be there, once, and
    nothing else."""
    by_label: dict[str, bytes] = {}
    for data in cards:
        label = describe_card(data).label
        assert label not in by_label, f"{label} came back twice"
        by_label[label] = data
    expected = {describe_card(original(name)).label: name for name in names}
    assert sorted(by_label) == sorted(expected)
    return {name: by_label[label] for label, name in expected.items()}


def with_final_line_break(data: bytes) -> bytes:
    """``data`` ending in a line break: a card whose last line has none (samsung-21.vcf)
    must get one to stand before the next card in a .vcf file, and keeps it afterwards."""
    return data if data.endswith(b"\n") else data + b"\r\n"


def without_one_uid_line(data: bytes) -> bytes:
    """``data`` less its UID line, of which it must have exactly one."""
    lines = data.splitlines(keepends=True)
    uid_lines = [i for i, line in enumerate(lines) if line.upper().startswith(b"UID:")]
    assert len(uid_lines) == 1
    del lines[uid_lines[0]]
    return b"".join(lines)
