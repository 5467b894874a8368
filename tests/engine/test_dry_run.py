"""A dry run is the session on scratch copies: it writes nothing (no card, no metadata, no
state object on a phone) and reports exactly what the sync then does. The random histories
are :mod:`tests.test_stateful_dry_run`'s; these are the cases of issue 13, fixed."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator

import pytest

from syncgui.engine.events import Direction, Policy, SessionResult, SessionSettings, Status
from syncgui.engine.session import SyncSession
from tests.sync_stores import Stores, Topology, render

PHONE_AND_FOLDER = Topology(("phone", "vdir"), (("phone", "vdir"),))
TWO_STORES = Topology(("vdir", "vcf"), (("vdir", "vcf"),))


@pytest.fixture
def phone() -> Iterator[Stores]:
    stores = Stores(PHONE_AND_FOLDER)
    yield stores
    stores.close()


@pytest.fixture
def pair() -> Iterator[Stores]:
    stores = Stores(TWO_STORES)
    yield stores
    stores.close()


def _files(stores: Stores) -> dict[str, bytes]:
    root = stores.root
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".sqlite" not in p.name
    }


def _databases(stores: Stores) -> dict[str, list[str]]:
    out = {}
    for path in sorted(stores.root.glob("*.sqlite")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        out[path.name] = list(db.iterdump())
        db.close()
    return out


def _dry_run(stores: Stores, a: str, b: str, settings: SessionSettings) -> SessionResult:
    """Run ``settings`` as a dry run, and check that it changed no file and no database."""
    if "phone" in (a, b):
        stores._reopen_phone()  # opened as the service opens it for a session
    files, databases = _files(stores), _databases(stores)
    dry = dataclasses.replace(settings, dry_run=True)
    result = SyncSession(stores.replicas[a], stores.replicas[b], dry, stores.bases).run()
    if "phone" in (a, b):
        stores._reopen_phone()  # and closed after it (a phone saves its state then)
    assert _files(stores) == files
    assert _databases(stores) == databases
    return result


def _counts(result: SessionResult) -> tuple[object, ...]:
    return (
        result.status,
        dataclasses.astuple(result.to_a),
        dataclasses.astuple(result.to_b),
        result.conflicts,
        result.merged,
    )


def _card(n: int, note: str = "") -> tuple[tuple[str, str], ...]:
    return (("FN", f"Person {n}"), ("NOTE", note or f"note {n}"))


def test_a_dry_run_writes_nothing_on_the_phone_nor_in_any_metadata(phone: Stores) -> None:
    """The first dry run used to save the phone's sync state (its reservation) in
    ``/.syncgui`` and note it on the computer; later ones published detected changes."""
    for n in range(3):
        phone.write("phone", f"p{n}", _card(n))
        phone.write("vdir", f"v{n}", _card(10 + n))
    settings = Stores.settings("phone", "vdir", Policy.MERGE)

    predicted = _dry_run(phone, "phone", "vdir", settings)

    assert not [f for f in _files(phone) if ".syncgui/" in f]  # no state object yet
    done, _events = phone.sync("phone", "vdir", settings)
    assert _counts(predicted) == _counts(done)
    assert dataclasses.astuple(done.to_a)[0] == dataclasses.astuple(done.to_b)[0] == 3

    phone.write("phone", "p0", _card(0, "edited on the phone"))
    predicted = _dry_run(phone, "phone", "vdir", settings)
    done, _events = phone.sync("phone", "vdir", settings)
    assert _counts(predicted) == _counts(done) == (Status.OK, (0, 0, 0), (0, 1, 0), 0, 0)


def test_after_a_store_was_emptied_and_restored_the_dry_run_predicts_the_sync(
    pair: Stores,
) -> None:
    """Issue 13: a folder emptied (the sync stopped by the guard) and restored from a
    backup, then one contact added and one changed on the other side: the dry run said
    "12 changed", the sync did "1 added, 1 changed"."""
    folder = pair.folders["vdir"]
    for n in range(12):
        pair.write("vdir", f"u{n}", _card(n))
    settings = Stores.settings("vdir", "vcf", Policy.MERGE)
    settings = dataclasses.replace(settings, allow_mass_delete=False)
    first, _events = pair.sync("vdir", "vcf", settings)
    assert first.to_b.created == 12
    backup = {p: p.read_bytes() for p in folder.glob("*.vcf")}
    for p in backup:
        p.unlink()
    blocked, _events = pair.sync("vdir", "vcf", settings)
    assert blocked.status is Status.BLOCKED
    for p, data in backup.items():  # back from the backup: new files, the same cards
        p.write_bytes(data)
    pair.write("vcf", "u3", _card(3, "changed in the file"))
    pair.write("vcf", "u12", _card(12))

    predicted = _dry_run(pair, "vdir", "vcf", settings)

    done, _events = pair.sync("vdir", "vcf", settings)
    assert _counts(predicted) == _counts(done)
    assert (done.to_a.created, done.to_a.updated) == (1, 1)
    assert sorted(p.read_bytes() for p in folder.glob("*.vcf"))[-1] != b""


@pytest.mark.parametrize("policy", [Policy.A_WINS, Policy.B_WINS, Policy.KEEP_BOTH, Policy.MERGE])
def test_a_conflict_settled_on_one_side_and_sent_back_is_predicted(
    pair: Stores, policy: Policy
) -> None:
    """What the first pass settles goes back in the second: only running the passes
    (on scratch copies) tells which side's card changes."""
    pair.write("vdir", "x", _card(1))
    settings = Stores.settings("vdir", "vcf", policy, Direction.TWO_WAY)
    pair.sync("vdir", "vcf", settings)
    pair.write("vdir", "x", (("FN", "Person 1"), ("NOTE", "folder"), ("TEL", "+1 555 0100")))
    pair.write("vcf", "x", (("EMAIL", "x@example.org"), ("FN", "Person 1"), ("NOTE", "file")))

    predicted = _dry_run(pair, "vdir", "vcf", settings)

    done, _events = pair.sync("vdir", "vcf", settings)
    assert _counts(predicted) == _counts(done)
    assert render("x", _card(1)) not in _files(pair).values()
