"""Time a matched first sync: two folders holding the same N people under different UIDs.

The people come from ``tests/data/people/make_people.py`` (``crowd`` and ``crowd_pair``:
names shared by many, e-mail addresses and numbers of their own; a fifth of A's cards with
a NOTE that B lacks, a fifth of B's with an extra number that A lacks; the rest saying the
same on both sides, some with LF line ends, another property order or lower-case names).
Measured:

* matched first  the first sync of the two folders (every pair matched, ~36% merged and
                 written); a fresh state and fresh folders for every run
* no-op          the sync after it
* copy first     for scale: the first sync of A into an empty folder (nothing to match)
* match keys     in process: ``VCardFormat.match_keys`` of every card of both sides
* find_matches   in process: ``syncgui.engine.matching.find_matches`` on those keys

Whole runs are processes (wall, user+sys CPU and peak RSS from ``os.wait4``, started from a
small helper process: see ``benchmarks/README.md`` on peak RSS); the in-process steps give
the best of ``--runs`` and their peak traced allocation (``tracemalloc``, in a run of its
own). Data lives under ``--dir`` (default: /dev/shm when there is one). No assertion on time:
the goal to report is matching (keys and find_matches) under 1 s at 10,000.

    .venv/bin/python benchmarks/bench_matching.py --size 10000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "data" / "people"))
import make_people
from bench_sync import Timer, child_env, default_cli, default_dir
from make_people import CrowdCard

from syncgui.engine.ids import gid_for_uid
from syncgui.engine.matching import Candidate, MatchReport, find_matches
from syncgui.providers.vcard.format import VCardFormat

GOAL_SECONDS = 1.0  # matching (keys + find_matches) at 10,000


@dataclass(frozen=True, slots=True)
class Row:
    what: str
    wall: float  # seconds (median of the runs, or best for in-process steps)
    cpu: float | None  # user + sys seconds (processes only)
    memory_mib: float  # peak RSS (processes) or peak traced allocation (in process)
    memory_kind: str  # "RSS" or "traced"
    note: str = ""


def write_side(folder: Path, cards: Sequence[CrowdCard]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for card in cards:
        (folder / card.file_name).write_bytes(card.data)


class Partnership:
    """``syncgui-cli`` on folders ``a`` and ``b`` with its own state under ``work``."""

    def __init__(self, cli: str, work: Path, env: dict[str, str]) -> None:
        self.cli, self.work, self.env = cli, work, env
        self.a, self.b = work / "a", work / "b"

    def base(self) -> list[str]:
        state = self.work / "state"
        return [self.cli, "--config-dir", str(state / "config"), "--data-dir", str(state / "data")]

    def fresh(self, a: Sequence[CrowdCard], b: Sequence[CrowdCard]) -> None:
        """Both folders as given, no sync state, the partnership added."""
        shutil.rmtree(self.work / "state", ignore_errors=True)
        write_side(self.a, a)
        write_side(self.b, b)
        add = [*self.base(), "partnership", "add", "bench", f"vdir:{self.a}", f"vdir:{self.b}"]
        subprocess.run(add, check=True, capture_output=True, env=self.env)

    def sync(self) -> list[str]:
        return [*self.base(), "sync", "bench", "--json"]

    def last_result(self, log: Path) -> dict[str, Any]:
        (result,) = json.loads(log.read_text("utf-8"))
        return dict(result)


def measure_runs(
    timer: Timer, p: Partnership, runs: int, prepare: Callable[[], None] | None, log: Path
) -> tuple[list[tuple[float, float, float]], dict[str, Any]]:
    out = []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        out.append(timer.measure(p.sync(), log, p.env))
    return out, p.last_result(log)


def process_row(what: str, runs: list[tuple[float, float, float]], note: str = "") -> Row:
    return Row(
        what,
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        max(r[2] for r in runs),
        "RSS",
        note,
    )


def candidates(fmt: VCardFormat, cards: Sequence[CrowdCard]) -> list[Candidate]:
    return [
        Candidate(gid_for_uid(c.uid), c.key, c.file_name, fmt.match_keys(c.data)) for c in cards
    ]


def in_process(
    what: str, step: Callable[[], object], runs: int, note: Callable[[Any], str]
) -> tuple[Row, Any]:
    """The best time of ``runs`` calls, then one traced call for its peak allocation."""
    best, value = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        value = step()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    step()
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Row(what, best, None, peak / 2**20, "traced", note(value)), value


def table(rows: Sequence[Row], size: int) -> str:
    lines = [
        f"| {size:,} people | wall | CPU | peak memory | notes |",
        "|---|---:|---:|---:|---|",
    ]
    for r in rows:
        cpu = "–" if r.cpu is None else f"{r.cpu:.2f} s"
        memory = "–" if r.memory_kind == "–" else f"{r.memory_mib:.0f} MiB {r.memory_kind}"
        lines.append(f"| {r.what} | {r.wall:.3f} s | {cpu} | {memory} | {r.note} |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=10_000, help="people in each folder")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement")
    p.add_argument("--differ", type=float, default=0.2, help="share of cards with an extra field")
    p.add_argument("--dir", type=Path, default=None, help="work folder (default under /dev/shm)")
    p.add_argument("--syncgui", default=default_cli(), help="the syncgui-cli to time")
    p.add_argument("--json", type=Path, help="write the rows here")
    p.add_argument("--keep", action="store_true", help="keep the generated data")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    work: Path = (args.dir or default_dir().with_name("syncgui-bench-matching")) / str(args.size)
    timer = Timer()  # first, while this process is small
    env = child_env(work)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"# {started}, {platform.python_version()}, {platform.platform()}, data in {work}")
    people = make_people.crowd(args.size, seed=args.size)
    a, b = make_people.crowd_pair(people, seed=args.size + 1, differ=args.differ)
    p = Partnership(args.syncgui, work, env)
    log = work / "last-run.log"
    rows: list[Row] = []
    try:
        # warm-up: the bytecode cache for the timed processes
        p.fresh(a[:50], b[:50])
        timer.measure(p.sync(), log, env)

        runs, result = measure_runs(timer, p, args.runs, lambda: p.fresh(a, b), log)
        matched = len(result.get("matched", []))
        moved = sum(result[s]["updated"] + result[s]["created"] for s in ("to_a", "to_b"))
        note = f"{matched:,} matched, {result['merged']:,} merged, {moved:,} cards written"
        rows.append(process_row("first sync, matched", runs, note))
        runs, result = measure_runs(timer, p, args.runs, None, log)
        rows.append(process_row("no-op sync after it", runs, f"status {result['status']}"))
        runs, result = measure_runs(timer, p, args.runs, lambda: p.fresh(a, []), log)
        note = f"{result['to_b']['created']:,} copied"
        rows.append(process_row("first sync into an empty folder (scale)", runs, note))

        fmt = VCardFormat()
        keys_row, (cand_a, cand_b) = in_process(
            f"match keys of {2 * args.size:,} cards",
            lambda: (candidates(fmt, a), candidates(fmt, b)),
            args.runs,
            lambda _v: "VCardFormat.match_keys, in process",
        )
        rows.append(keys_row)

        def report_note(r: MatchReport) -> str:
            return f"{len(r.matches):,} matched, {len(r.possible):,} possible duplicates"

        find_row, _report = in_process(
            "find_matches",
            lambda: find_matches(cand_a, cand_b),
            args.runs,
            report_note,
        )
        rows.append(find_row)
        total = keys_row.wall + find_row.wall
        verdict = "met" if total < GOAL_SECONDS or args.size != 10_000 else "MISSED"
        rows.append(
            Row("matching (keys + find_matches)", total, None, 0, "–", f"goal < 1 s: {verdict}")
        )
    finally:
        timer.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows, args.size))
    if args.json:
        data = {"date": started, "size": args.size, "rows": [asdict(r) for r in rows]}
        args.json.write_text(json.dumps(data, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
