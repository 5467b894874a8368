"""Crash test of matching (issue 11): a real ``syncgui-cli sync`` killed with SIGKILL in the
middle of a matched first sync.

Two folders hold the same 3,000 people (``make_people.crowd``: non-ASCII names, many shared
by several people, e-mail addresses and numbers of their own) under different UIDs; a fifth
of A's cards carry a NOTE that B lacks and a fifth of B's an extra work number that A lacks
(those pairs are merged and written on both sides); the rest say the same on both sides,
some with LF line ends, another property order or lower-case property names. The first
sync matches all 3,000 pairs.

It is killed:

- once a given number of card files has been written in either folder (the kill must land
  while cards are written: some but not all of the files a complete sync writes have
  changed; a kill that lands before or after is retried from the same starting state at an
  earlier moment, a few times at most);
- at random moments of the sync (seeded): detection, matching and the renaming of matched
  items in the sync state, writing, committing, wherever they land;
- again and again on one state, each run getting further, until a run completes.

Whatever the kill interrupted, the next ``sync`` must finish (exit 0) with each person once
on each side, each card saying the union of what the two sides said of that person (no
loss, nothing of anyone else), each card keeping its own side's UID, and a further sync
that has nothing to do (the mapping is consistent).
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.data.people import make_people as people
from tests.data.people.make_people import CrowdCard
from tests.data.people.reading import Read, read

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

CLI = Path(sys.executable).parent / "syncgui-cli"
COUNT = 3_000
RUN_TIMEOUT = 180
TEMP_PREFIX = ".syncgui-tmp-"
CARD_SHARES = (0.02, 0.25, 0.5, 0.75, 0.95)  # kills once this share of the writes is done
RANDOM_KILLS = 5  # kills at random moments of the sync
AGAIN_STEP = 300  # killed again and again: this many more card files each time
ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Crowd:
    """The people of both folders: each side's cards, and what each card says, by person."""

    a: list[CrowdCard]
    b: list[CrowdCard]
    read_a: dict[str, Read]
    read_b: dict[str, Read]
    owner: dict[str, str]  # e-mail address -> person key


@pytest.fixture(scope="module")
def crowd() -> Crowd:
    a, b = people.crowd_pair(people.crowd(COUNT, seed=11), seed=12, differ=0.2)
    read_a = {c.key: read(c.data) for c in a}
    read_b = {c.key: read(c.data) for c in b}
    owner = {e: key for key, card in read_a.items() for e in card.emails}
    return Crowd(a, b, read_a, read_b, owner)


# -- stores and runs ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stores:
    root: Path

    @property
    def a(self) -> Path:
        return self.root / "a"

    @property
    def b(self) -> Path:
        return self.root / "b"

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


def reset(stores: Stores, crowd: Crowd) -> None:
    """Both folders as the user had them and no sync state: before the first sync."""
    for folder, cards in ((stores.a, crowd.a), (stores.b, crowd.b)):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for card in cards:
            (folder / card.file_name).write_bytes(card.data)
    shutil.rmtree(stores.data, ignore_errors=True)


def make_stores(root: Path, crowd: Crowd) -> Stores:
    stores = Stores(root)
    reset(stores, crowd)
    added = run(stores, "partnership", "add", "p", f"vdir:{stores.a}", f"vdir:{stores.b}")
    assert added.returncode == 0, added.stderr
    return stores


def sync_to_completion(stores: Stores) -> dict[str, Any]:
    done = run(stores, "sync", "p", "--json")
    assert done.returncode == 0, f"sync: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    (result,) = json.loads(done.stdout)
    return dict(result)


def entries(stores: Stores) -> dict[str, int]:
    """Both folders' entries with their inodes (the stores replace files: a write shows)."""
    out = {}
    for side in (stores.a, stores.b):
        with os.scandir(side) as found:
            out.update({f"{side.name}/{e.name}": e.inode() for e in found})
    return out


def cards_changed(before: dict[str, int], now: dict[str, int]) -> int:
    names = {n for n in before.keys() | now.keys() if not n.split("/", 1)[1].startswith(".")}
    return sum(before.get(n) != now.get(n) for n in names)


def kill_when(stores: Stores, ready: Callable[[], bool]) -> bool:
    """Start a sync and SIGKILL it once ``ready()`` holds; False if it finished first."""
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


def after_cards(stores: Stores, count: int) -> Callable[[], bool]:
    before = entries(stores)
    return lambda: cards_changed(before, entries(stores)) >= count


def after_seconds(delay: float) -> Callable[[], bool]:
    start = time.monotonic()
    return lambda: time.monotonic() >= start + delay


# -- checks ---------------------------------------------------------------------------------


def side_cards(folder: Path) -> dict[str, bytes]:
    names = sorted(os.listdir(folder))
    strays = [n for n in names if not n.endswith(".vcf") and not n.startswith(TEMP_PREFIX)]
    assert not strays, f"unexpected files in {folder.name}: {strays[:10]}"
    return {n: (folder / n).read_bytes() for n in names if n.endswith(".vcf")}


def assert_side(crowd: Crowd, side: str, cards: dict[str, bytes]) -> None:
    """Each person once, saying the union of both sides, with this side's own UID."""
    own = {c.key: c.uid for c in (crowd.a if side == "a" else crowd.b)}
    seen: dict[str, str] = {}
    problems: list[str] = []
    for name, data in cards.items():
        card = read(data)
        whom = {crowd.owner.get(e, "?") for e in card.emails}
        if len(whom) != 1 or "?" in whom:
            problems.append(f"{name}: a card of {sorted(whom)}")
            continue
        (key,) = whom
        if key in seen:
            problems.append(f"{key} twice: {seen[key]} and {name}")
            continue
        seen[key] = name
        union = crowd.read_a[key].fields | crowd.read_b[key].fields
        if card.fields != union:
            lost, strange = sorted(union - card.fields), sorted(card.fields - union)
            problems.append(f"{name} ({key}): lost {lost}, besides {strange}")
        if card.uid != own[key]:
            problems.append(f"{name} ({key}): UID {card.uid}, its own is {own[key]}")
    missing = sorted(set(own) - set(seen))
    assert not problems and not missing, (
        f"side {side}: {len(problems)} problems, {len(missing)} people missing: "
        f"{problems[:8]} {missing[:8]}"
    )


def assert_converged(stores: Stores, crowd: Crowd) -> None:
    assert_side(crowd, "a", side_cards(stores.a))
    assert_side(crowd, "b", side_cards(stores.b))
    again = sync_to_completion(stores)
    zero = {"created": 0, "updated": 0, "deleted": 0}
    assert (again["status"], again["to_a"], again["to_b"]) == ("ok", zero, zero), again
    assert (again["conflicts"], again["merged"], again["errors"]) == (0, 0, []), again
    assert not again.get("matched") and not again.get("possible_duplicates"), again


@dataclass(frozen=True, slots=True)
class Reference:
    """The partnership after one uninterrupted first sync: how many card files it wrote
    and how long it took."""

    stores: Stores
    writes: int
    seconds: float


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, crowd: Crowd) -> Iterator[Reference]:
    stores = make_stores(tmp_path_factory.mktemp("matching-crash"), crowd)
    before = entries(stores)
    started = time.monotonic()
    result = sync_to_completion(stores)
    seconds = time.monotonic() - started
    assert len(result.get("matched", [])) == COUNT, {k: result[k] for k in ("to_a", "to_b")}
    writes = cards_changed(before, entries(stores))
    log.info("uninterrupted: %d card files written in %.2f s", writes, seconds)
    assert_converged(stores, crowd)
    assert writes > COUNT // 5, f"only {writes} card files written: too little to kill"
    yield Reference(stores, writes, seconds)
    shutil.rmtree(stores.root, ignore_errors=True)


# -- tests ----------------------------------------------------------------------------------


def kill_mid_write(ref: Reference, crowd: Crowd, share: float) -> str:
    """Kill once ``share`` of the writes are done; check that it landed while cards were
    written (some, not all); retried earlier from a fresh start if it did not."""
    stores, missed = ref.stores, []
    for attempt in range(ATTEMPTS):
        count = max(1, round(ref.writes * share * 0.75**attempt))
        reset(stores, crowd)
        before = entries(stores)
        if not kill_when(stores, after_cards(stores, count)):
            missed.append(f"{count}: the sync finished first")
            continue
        done = cards_changed(before, entries(stores))
        if 0 < done < ref.writes:
            return f"{done} of {ref.writes} card files written"
        missed.append(f"{count}: {done} card files written")
    pytest.fail(f"no kill landed while cards were written: {missed}")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("share", CARD_SHARES)
def test_killed_while_writing(reference: Reference, crowd: Crowd, share: float) -> None:
    landed = kill_mid_write(reference, crowd, share)
    log.info("kill at %.0f%% of the writes: %s", share * 100, landed)
    sync_to_completion(reference.stores)
    assert_converged(reference.stores, crowd)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("n", range(RANDOM_KILLS))
def test_killed_at_a_random_moment(reference: Reference, crowd: Crowd, n: int) -> None:
    delay = random.Random(f"matching-crash-{n}").uniform(0.05, 0.95) * reference.seconds
    reset(reference.stores, crowd)
    before = entries(reference.stores)
    killed = kill_when(reference.stores, after_seconds(delay))
    done = cards_changed(before, entries(reference.stores))
    log.info("kill after %.2f s (killed: %s): %d card files written", delay, killed, done)
    sync_to_completion(reference.stores)
    assert_converged(reference.stores, crowd)


@pytest.mark.timeout(600)
def test_killed_again_and_again(reference: Reference, crowd: Crowd) -> None:
    stores = reference.stores
    reset(stores, crowd)
    kills = 0
    for _ in range(40):
        if not kill_when(stores, after_cards(stores, AGAIN_STEP)):
            break
        kills += 1
    else:
        pytest.fail("the sync never completed between kills")
    log.info("killed %d times before a run completed", kills)
    assert kills >= 2, f"only {kills} kills: the sync finished too early to test much"
    assert_converged(stores, crowd)
