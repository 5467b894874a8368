"""Crash test: a real ``syncgui-cli sync`` killed with SIGKILL in the middle of a large sync.

Store A is a folder of ~3,000 generated cards (``benchmarks/cards.py``: non-ASCII names,
several TEL and EMAIL lines, vCard 2.1 quoted-printable phone exports, cards without UID,
~3% with a 20 KB photo); store B starts empty, as a folder or as one ``.vcf`` file. One
uninterrupted run measures the sync's duration T; then the sync is killed at points spread
over (0, T), each time from a fresh state, and also repeatedly on one state at growing delays
until a run completes by itself. Whatever the kill interrupted, the next ``sync`` must
finish (exit 0) with every card of A in B exactly once and byte-identical (a card without
UID gains exactly one UID line), nothing else in B, A untouched, and a further sync that
has nothing to do. The same holds for a sync of a few edits, deletes and adds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import cards
from cards import Contact

pytestmark = pytest.mark.slow

CLI = Path(sys.executable).parent / "syncgui-cli"
COUNT = 3_000
# Kill points as fractions of the uninterrupted run's duration. A folder B is written card
# by card, so every point counts; a file B is written once at the end, so fewer do there.
FRACTIONS = {
    "vdir": (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95),
    "vcf": (0.15, 0.4, 0.6, 0.75, 0.9, 0.97),
}
# An incremental sync is short and mostly start-up.
FRACTIONS_INCREMENTAL = (0.3, 0.5, 0.7, 0.85, 0.95)
TEMP_PREFIX = ".syncgui-tmp-"  # the stores' own temporary files; never cards
RUN_TIMEOUT = 120

_UNFOLD = re.compile(rb"\r?\n[ \t]")
_UID = re.compile(rb"^UID(?:;[^:\r\n]*)?:[ \t]*(.*?)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_FN = re.compile(rb"^FN(?:;[^:\r\n]*)?:(.*?)\r?$", re.MULTILINE)
_CARD = re.compile(rb"BEGIN:VCARD\r?\n.*?\nEND:VCARD\r?\n", re.DOTALL)


# -- stores and runs ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stores:
    """One partnership ``p`` between vdir A and B (a vdir, or ``b/contacts.vcf``)."""

    root: Path
    kind: str  # "vdir" or "vcf"

    @property
    def a(self) -> Path:
        return self.root / "a"

    @property
    def b_dir(self) -> Path:
        return self.root / "b"

    @property
    def b(self) -> Path:
        return self.b_dir if self.kind == "vdir" else self.b_dir / "contacts.vcf"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def command(self, *args: str) -> list[str]:
        base = [str(CLI), "--config-dir", str(self.root / "config"), "--data-dir", str(self.data)]
        return [*base, *args]


def run(stores: Stores, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        stores.command(*args), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )


def sync_to_completion(stores: Stores) -> subprocess.CompletedProcess[str]:
    done = run(stores, "sync", "p")
    assert done.returncode == 0, (
        f"sync after the crash: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done


def kill_when(stores: Stores, ready: Callable[[], bool]) -> bool:
    """Start a sync and SIGKILL it as soon as ``ready()`` holds (polled every millisecond);
    False if it finished first (then it must have succeeded)."""
    proc = subprocess.Popen(
        stores.command("sync", "p"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + RUN_TIMEOUT
    while proc.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.001)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return True
    out, err = proc.communicate()
    assert proc.returncode == 0, f"sync exit {proc.returncode}\n{out!r}\n{err!r}"
    return False


def kill_after(stores: Stores, delay: float) -> bool:
    """Start a sync and SIGKILL it ``delay`` seconds later; False if it finished first."""
    at = time.monotonic() + delay
    return kill_when(stores, lambda: time.monotonic() >= at)


def make_stores(root: Path, kind: str, contacts: Sequence[Contact]) -> Stores:
    stores = Stores(root, kind)
    cards.write_vdir(stores.a, contacts)
    stores.b_dir.mkdir()
    added = run(stores, "partnership", "add", "p", f"vdir:{stores.a}", f"{kind}:{stores.b}")
    assert added.returncode == 0, added.stderr
    return stores


def reset(stores: Stores) -> None:
    """B empty again and no sync state: the partnership before its first sync."""
    shutil.rmtree(stores.b_dir)
    shutil.rmtree(stores.data, ignore_errors=True)
    stores.b_dir.mkdir()
    if stores.kind == "vcf":
        stores.b.write_bytes(b"")


def file_stats(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry of ``folder`` with its inode, size and mtime: a rewrite shows."""
    out = {}
    for entry in os.scandir(folder):
        st = entry.stat(follow_symlinks=False)
        out[entry.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


# -- checks ---------------------------------------------------------------------------------


def _label(card: bytes) -> str:
    found = _FN.search(card)
    return found.group(1).decode("utf-8", "replace") if found else repr(card[:60])


def _uid(card: bytes) -> str | None:
    found = _UID.search(_UNFOLD.sub(b"", card))
    return found.group(1).decode("utf-8", "replace") if found else None


def _without_uid_line(card: bytes) -> tuple[bytes, int]:
    lines = card.splitlines(keepends=True)
    kept = [line for line in lines if not re.match(rb"UID[;:]", line, re.IGNORECASE)]
    return b"".join(kept), len(lines) - len(kept)


def cards_in_b(stores: Stores) -> list[bytes]:
    """The cards B holds; fails on anything in B that is neither a card nor a temp file."""
    entries = sorted(os.listdir(stores.b_dir))
    names = [n for n in entries if n.lower().endswith(".vcf") and not n.startswith(".")]
    strays = [n for n in entries if n not in names and not n.startswith(TEMP_PREFIX)]
    assert not strays, f"unexpected files in B: {strays[:10]}"
    if stores.kind == "vcf":
        assert names == [stores.b.name], f"B's folder holds {names[:10]}"
        data = stores.b.read_bytes()
        found = _CARD.findall(data)
        assert b"".join(found) == data, "B holds bytes outside its cards"
        return found
    out = []
    for name in names:
        data = (stores.b_dir / name).read_bytes()
        assert len(_CARD.findall(data)) == 1 and _CARD.fullmatch(data), f"{name} is not one card"
        out.append(data)
    return out


def assert_b_mirrors(b_cards: Sequence[bytes], contacts: Sequence[Contact]) -> None:
    """Every contact exactly once in ``b_cards``, byte-identical except for one added UID
    line on a contact without UID; nothing else."""
    with_uid = Counter(c.data for c in contacts if c.uid is not None)
    without_uid = Counter(c.data for c in contacts if c.uid is None)
    uids: Counter[str] = Counter()
    strangers = []
    for card in b_cards:
        uid = _uid(card)
        if uid is None:
            strangers.append(f"{_label(card)} (no UID in B)")
            continue
        uids[uid] += 1
        if with_uid[card] > 0:
            with_uid[card] -= 1
            continue
        bare, removed = _without_uid_line(card)
        if removed == 1 and without_uid[bare] > 0:
            without_uid[bare] -= 1
            continue
        strangers.append(_label(card))
    missing = [_label(d) for d, n in (with_uid + without_uid).items() if n > 0]
    duplicates = [u for u, n in uids.items() if n > 1]
    assert not duplicates, f"{len(duplicates)} UIDs more than once in B: {duplicates[:5]}"
    assert not missing, f"{len(missing)} cards of A missing from B: {missing[:5]}"
    assert not strangers, f"{len(strangers)} cards in B unlike any card of A: {strangers[:5]}"
    assert len(b_cards) == len(contacts)


def assert_converged(
    stores: Stores, contacts: Sequence[Contact], a_stats: dict[str, tuple[int, int, int]]
) -> None:
    assert file_stats(stores.a) == a_stats, "store A was modified"
    assert_b_mirrors(cards_in_b(stores), contacts)
    again = run(stores, "sync", "p", "--json")
    assert again.returncode == 0, f"exit {again.returncode}\n{again.stdout}\n{again.stderr}"
    (result,) = json.loads(again.stdout)
    zero = {"created": 0, "updated": 0, "deleted": 0}
    assert (result["status"], result["to_a"], result["to_b"]) == ("ok", zero, zero), result
    assert (result["conflicts"], result["merged"], result["errors"]) == (0, 0, []), result


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contacts() -> list[Contact]:
    return cards.generate(COUNT, seed=3, photo_share=0.03)


@dataclass(frozen=True, slots=True)
class Measured:
    stores: Stores
    a_stats: dict[str, tuple[int, int, int]]
    seconds: float  # one uninterrupted first sync


@pytest.fixture(scope="module", params=["vdir", "vcf"])
def first_sync(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    contacts: list[Contact],
) -> Iterator[Measured]:
    """The partnership after one uninterrupted first sync, checked, and its duration."""
    stores = make_stores(tmp_path_factory.mktemp(f"crash-{request.param}"), request.param, contacts)
    a_stats = file_stats(stores.a)
    started = time.monotonic()
    sync_to_completion(stores)
    seconds = time.monotonic() - started
    assert_converged(stores, contacts, a_stats)
    yield Measured(stores, a_stats, seconds)
    shutil.rmtree(stores.root, ignore_errors=True)


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_first_sync_killed_at_many_points(first_sync: Measured, contacts: list[Contact]) -> None:
    stores = first_sync.stores
    partial = 0  # kills that left B with some of the cards
    for fraction in FRACTIONS[stores.kind]:
        reset(stores)
        kill_after(stores, fraction * first_sync.seconds)
        written = [n for n in os.listdir(stores.b_dir) if n.endswith(".vcf")]
        partial += 0 < len(written) < len(contacts)
        sync_to_completion(stores)
        assert_converged(stores, contacts, first_sync.a_stats)
    if stores.kind == "vdir":
        assert partial, "no kill landed while cards were being written"
    else:
        # The narrow window: B's file is in place, the sync state does not know it yet.
        reset(stores)
        assert kill_when(stores, lambda: stores.b.stat().st_size > 0), "finished first"
        sync_to_completion(stores)
        assert_converged(stores, contacts, first_sync.a_stats)


@pytest.mark.timeout(300)
def test_first_sync_killed_again_and_again(first_sync: Measured, contacts: list[Contact]) -> None:
    """Kill, resume, kill later, ... until a run completes before it is killed."""
    stores = first_sync.stores
    reset(stores)
    step = first_sync.seconds / 8
    kills = 0
    for attempt in range(1, 60):
        if not kill_after(stores, step * attempt):
            break
        kills += 1
    else:
        pytest.fail("the sync never completed between kills")
    assert kills >= 2, f"only {kills} kills: the sync finished too early to test much"
    assert_converged(stores, contacts, first_sync.a_stats)


def _snapshot(stores: Stores, to: Path) -> None:
    """Hard links of both stores' files (the stores replace files, never rewrite them in
    place, so inodes and mtimes stay as they are) and a copy of the sync state."""
    for side in (stores.a, stores.b_dir):
        (to / side.name).mkdir(parents=True)
        for name in os.listdir(side):
            os.link(side / name, to / side.name / name)
    shutil.copytree(stores.data, to / "data")


def _restore(stores: Stores, snapshot: Path) -> None:
    for side in (stores.a, stores.b_dir, stores.data):
        shutil.rmtree(side)
    for side in (stores.a, stores.b_dir):
        side.mkdir()
        for name in os.listdir(snapshot / side.name):
            os.link(snapshot / side.name / name, side / name)
    shutil.copytree(snapshot / "data", stores.data)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", ["vdir", "vcf"])
def test_incremental_sync_killed(tmp_path: Path, contacts: list[Contact], kind: str) -> None:
    """After a complete first sync: 1% edited, 0.5% deleted and 0.5% added on A, and the
    sync that carries them over killed at many points."""
    stores = make_stores(tmp_path / "stores", kind, contacts)
    sync_to_completion(stores)
    changes = cards.change_vdir(
        stores.a, contacts, edit=0.01, delete=0.005, add=0.005, seed=101, next_number=COUNT
    )
    a_stats = file_stats(stores.a)
    _snapshot(stores, tmp_path / "snapshot")
    started = time.monotonic()
    sync_to_completion(stores)
    seconds = time.monotonic() - started
    b_cards = cards_in_b(stores)
    uids = {_uid(c) for c in b_cards}
    assert not uids & {c.uid for c in changes.deleted if c.uid}, "a deleted card is still in B"
    assert {c.data for c in changes.edited if c.uid} <= set(b_cards), "an edit did not reach B"
    assert_converged(stores, changes.contacts, a_stats)
    for fraction in FRACTIONS_INCREMENTAL:
        _restore(stores, tmp_path / "snapshot")
        kill_after(stores, fraction * seconds)
        sync_to_completion(stores)
        assert_converged(stores, changes.contacts, a_stats)
