"""Crash test: a real ``syncgui-cli sync`` killed with SIGKILL in the middle of a large sync.

Store A is a folder of ~3,000 generated cards (``benchmarks/cards.py``: non-ASCII names,
several TEL and EMAIL lines, vCard 2.1 quoted-printable phone exports, cards without UID,
~3% with a 20 KB photo); store B starts empty, as a folder or as one ``.vcf`` file.

Every kill must land while B is being written, and each is checked afterwards from what is
on disk (a kill that landed before or after the write is retried from the same starting
state at an earlier moment, a few times at most; where kills follow each other on one
state, a miss fails the test):

- a folder B is written card by card: the kill is sent once a given number of card files
  has changed, and must leave some but not all of the sync's card files written;
- a ``.vcf`` B is rewritten once, atomically: a temporary file is written, renamed over B,
  and then B's sync state records the file's new version. The kill is sent once the
  temporary file appears, or once B has been replaced (plus a delay), and must leave the
  temporary file without B replaced, or B replaced but its sync state still unaware of it.

Whatever the kill interrupted, the next ``sync`` must finish (exit 0) with every card of A
in B exactly once and byte-identical (a card without UID gains exactly one UID line),
nothing else in B, A untouched, and a further sync that has nothing to do. This holds for
kills at points spread over the first sync, for kills again and again on one state until a
run completes by itself, and for a sync of a few edits, deletes and adds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from syncgui.providers.vcard.fileops import stat_stamp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import cards
from cards import Contact

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

CLI = Path(sys.executable).parent / "syncgui-cli"
COUNT = 3_000
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
    """Start a sync and SIGKILL it as soon as ``ready()`` holds (polled continually);
    False if it finished first (then it must have succeeded)."""
    proc = subprocess.Popen(
        stores.command("sync", "p"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + RUN_TIMEOUT
    while proc.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.0002)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return True
    out, err = proc.communicate()
    assert proc.returncode == 0, f"sync exit {proc.returncode}\n{out!r}\n{err!r}"
    return False


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


# -- killing while B is written ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    """When a kill is sent, as an event of B's write seen from outside the process.

    ``cards``: once ``count`` card files of a folder B have been created, replaced or
    removed; ``temp``: once the temporary file that will replace a ``.vcf`` B is there;
    ``replaced``: ``delay`` seconds after a ``.vcf`` B was replaced by it."""

    event: str  # "cards", "temp" or "replaced"
    count: int = 0
    delay: float = 0.0

    def earlier(self, attempt: int) -> Moment:
        """The moment a retry aims at: fewer cards, a shorter delay (attempt 0: this one)."""
        count = max(1, self.count * 3**attempt // 4**attempt) if self.count else 0
        return Moment(self.event, count, self.delay / 2**attempt)


# Kills of the first sync: a folder B once these shares of its cards are written; a file B
# while its temporary file is there, and after that file replaced B (B's sync state
# records the new file 20-30 ms later here, after a folder fsync and the sync state's
# transaction).
CARD_SHARES = (0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95)
FILE_MOMENTS = (
    Moment("temp"),
    Moment("temp"),
    Moment("replaced"),
    Moment("replaced", delay=0.005),
    Moment("replaced", delay=0.015),
)
# An incremental sync changes a few dozen card files in a folder B; in a file B the sync
# state records the replaced file 2-3 ms later here.
INCREMENTAL_SHARES = (0.05, 0.3, 0.5, 0.7, 0.85)
INCREMENTAL_FILE_MOMENTS = (Moment("temp"), Moment("replaced"), Moment("replaced", delay=0.001))
AGAIN_STEP = 400  # a folder B killed again and again: this many more card files each time
ATTEMPTS = 4  # tries of one kill point before the test fails


def b_entries(stores: Stores) -> dict[str, int]:
    """B's folder: each entry's inode by name (the stores replace files, so a rewrite
    shows, and a scan costs no stat per file)."""
    with os.scandir(stores.b_dir) as found:
        return {entry.name: entry.inode() for entry in found}


def cards_changed(before: dict[str, int], now: dict[str, int]) -> int:
    """Card files created, replaced or removed in B's folder from ``before`` to ``now``."""
    names = {n for n in before.keys() | now.keys() if not n.startswith(".")}
    return sum(before.get(n) != now.get(n) for n in names)


def new_temps(before: dict[str, int], now: dict[str, int]) -> list[str]:
    return [n for n in now if n.startswith(TEMP_PREFIX) and n not in before]


def recorded_token(stores: Stores) -> str | None:
    """The listing token of a ``.vcf`` B as B's sync state holds it: the version of the file
    the last committed batch wrote. Read from a copy of the replica databases, so that the
    write-ahead log a killed sync left behind is recovered by the next sync, not by us."""
    identity = f"{stores.kind}:{os.path.realpath(stores.b)}"
    with tempfile.TemporaryDirectory() as scratch:
        for db in sorted((stores.data / "replicas").glob("*.sqlite")):
            copy = Path(scratch) / db.name
            shutil.copyfile(db, copy)
            wal = db.with_name(db.name + "-wal")
            if wal.exists():
                shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            con = sqlite3.connect(copy)
            try:
                row = con.execute("SELECT identity, token FROM replica").fetchone()
            finally:
                con.close()
            if row is not None and row[0] == identity:
                return None if row[1] is None else str(row[1])
    return None


def interrupted(stores: Stores, before: dict[str, int], expected: int) -> tuple[str, str] | None:
    """What a dead sync left of B's write, as (event, description); None when it stopped
    before the write or after it. ``before``: B's folder when the sync started;
    ``expected``: how many card files a complete sync changes in a folder B."""
    now = b_entries(stores)
    if stores.kind == "vdir":
        changed = cards_changed(before, now)
        if 0 < changed < expected:
            return "cards", f"{changed} of {expected} card files written"
        return None
    replaced = now.get(stores.b.name) != before.get(stores.b.name)
    temps = new_temps(before, now)
    if not replaced and temps:
        size = (stores.b_dir / temps[0]).stat().st_size
        return "temp", f"a {size}-byte temporary file written, B not yet replaced"
    if replaced and recorded_token(stores) != stat_stamp(stores.b.stat()):
        return "replaced", "B replaced, its sync state not yet aware of the new file"
    return None


def reached(stores: Stores, moment: Moment, before: dict[str, int]) -> Callable[[], bool]:
    """Whether B's write has got to ``moment``, for :func:`kill_when` to poll."""
    seen: list[float] = []  # when the event was first seen: a delay counts from there

    def event() -> bool:
        now = b_entries(stores)
        if moment.event == "cards":
            return cards_changed(before, now) >= moment.count
        if moment.event == "temp":
            return bool(new_temps(before, now))
        return now.get(stores.b.name) != before.get(stores.b.name)

    def ready() -> bool:
        if not seen:
            if not event():
                return False
            seen.append(time.monotonic())
        return time.monotonic() >= seen[0] + moment.delay

    return ready


def kill_mid_write(
    stores: Stores, moment: Moment, expected: int, restore: Callable[[], None]
) -> str:
    """Kill a sync at ``moment`` of B's write and check that the kill landed there; a kill
    that landed elsewhere is retried from ``restore()``'s state at an earlier moment, at
    most ``ATTEMPTS`` times in all. What the landed kill interrupted."""
    missed: list[str] = []
    for attempt in range(ATTEMPTS):
        aim = moment.earlier(attempt)
        before = b_entries(stores)
        if not kill_when(stores, reached(stores, aim, before)):
            missed.append(f"{aim}: the sync finished first")
        else:
            hit = interrupted(stores, before, expected)
            if hit is not None and hit[0] == aim.event:
                log.info(
                    "%s kill at %s landed on try %d: %s", stores.kind, aim, attempt + 1, hit[1]
                )
                return hit[1]
            missed.append(f"{aim}: " + (hit[1] if hit else "landed before or after the write"))
        log.info("%s kill missed: %s", stores.kind, missed[-1])
        restore()
    pytest.fail(f"no kill landed while B was being written: {missed}")


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


@pytest.fixture(scope="module", params=["vdir", "vcf"])
def first_sync(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    contacts: list[Contact],
) -> Iterator[Measured]:
    """The partnership after one uninterrupted first sync, checked."""
    stores = make_stores(tmp_path_factory.mktemp(f"crash-{request.param}"), request.param, contacts)
    a_stats = file_stats(stores.a)
    before = b_entries(stores)
    sync_to_completion(stores)
    assert_converged(stores, contacts, a_stats)
    # what a kill after the write would leave is not taken for an interrupted write
    assert interrupted(stores, before, COUNT) is None
    if stores.kind == "vdir":
        assert cards_changed(before, b_entries(stores)) == COUNT
    yield Measured(stores, a_stats)
    shutil.rmtree(stores.root, ignore_errors=True)


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_first_sync_killed_at_many_points(first_sync: Measured, contacts: list[Contact]) -> None:
    stores = first_sync.stores
    moments = (
        [Moment("cards", round(share * COUNT)) for share in CARD_SHARES]
        if stores.kind == "vdir"
        else FILE_MOMENTS
    )
    for moment in moments:
        reset(stores)
        kill_mid_write(stores, moment, COUNT, lambda: reset(stores))
        sync_to_completion(stores)
        assert_converged(stores, contacts, first_sync.a_stats)


@pytest.mark.timeout(300)
def test_first_sync_killed_again_and_again(first_sync: Measured, contacts: list[Contact]) -> None:
    """Kill, resume, kill later, ... until a run completes before it is killed. A folder B
    gets ``AGAIN_STEP`` more cards a run; a file B is killed twice with its temporary file
    written, then with B replaced, after which there is nothing left to write."""
    stores = first_sync.stores
    reset(stores)
    hits: list[tuple[str, str]] = []
    for run_number in range(20):
        before = b_entries(stores)
        if stores.kind == "vdir":
            moment = Moment("cards", AGAIN_STEP)
            expected = COUNT - sum(not name.startswith(".") for name in before)
        else:
            moment = Moment("temp") if run_number < 2 else Moment("replaced")
            expected = 1  # one file (not used for a file B)
        if not kill_when(stores, reached(stores, moment, before)):
            break
        hit = interrupted(stores, before, expected)
        assert hit is not None, f"kill {run_number + 1} at {moment} missed B's write"
        log.info("%s kill %d at %s: %s", stores.kind, run_number + 1, moment, hit[1])
        hits.append(hit)
    else:
        pytest.fail("the sync never completed between kills")
    assert len(hits) >= 2, f"only {len(hits)} kills: the sync finished too early to test much"
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
    sync that carries them over killed at several moments of B's write."""
    stores = make_stores(tmp_path / "stores", kind, contacts)
    sync_to_completion(stores)
    changes = cards.change_vdir(
        stores.a, contacts, edit=0.01, delete=0.005, add=0.005, seed=101, next_number=COUNT
    )
    a_stats = file_stats(stores.a)
    snapshot = tmp_path / "snapshot"
    _snapshot(stores, snapshot)
    before = b_entries(stores)
    sync_to_completion(stores)
    changed = cards_changed(before, b_entries(stores))
    b_cards = cards_in_b(stores)
    uids = {_uid(c) for c in b_cards}
    assert not uids & {c.uid for c in changes.deleted if c.uid}, "a deleted card is still in B"
    assert {c.data for c in changes.edited if c.uid} <= set(b_cards), "an edit did not reach B"
    assert_converged(stores, changes.contacts, a_stats)
    assert interrupted(stores, before, changed) is None
    if kind == "vdir":
        assert changed == len(changes.edited) + len(changes.deleted) + len(changes.added)
        moments = [Moment("cards", max(1, round(s * changed))) for s in INCREMENTAL_SHARES]
    else:
        moments = list(INCREMENTAL_FILE_MOMENTS)
    for moment in moments:
        _restore(stores, snapshot)
        kill_mid_write(stores, moment, changed, lambda: _restore(stores, snapshot))
        sync_to_completion(stores)
        assert_converged(stores, changes.contacts, a_stats)
