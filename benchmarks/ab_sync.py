"""Two syncgui versions timed against each other, run for run, folder to folder.

This VM's speed drifts by 20 % within an hour, so two versions timed one after the other
can differ by more than what changed between them. Here each round runs version A and
version B on the same scenario right after each other (in turns, A first or B first), each
on its own copy of the same data, and the table gives both medians and how many rounds B
won.

A version is a ``syncgui-cli`` to run, or a source tree (a checkout or ``git worktree`` of
another commit), run with this Python and this venv's packages:

    git worktree add /tmp/before 400aed5
    python benchmarks/ab_sync.py --a /tmp/before --b .venv/bin/syncgui-cli --size 10000 --runs 9

Scenarios, as in ``bench_sync.py``: *first* (into an empty folder), *no-op*, *incremental*
(1 % edited, 0.1 % deleted and added). The data lives under ``--dir`` (default in
/dev/shm); copies of a folder are hard links, which a sync never changes in place.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cards
from bench_sync import ADD, DELETE, EDIT, SCENARIOS, child_env

# runs main() of the tree given first; the quick exit of newer versions when they have one
_FROM_TREE = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); import syncgui.cli as c; "
    "sys.exit(c.run() if hasattr(c, 'run') else c.main())"
)


def command(version: str) -> list[str]:
    """How to start ``version``: a source tree through this Python, else the program."""
    if (Path(version) / "syncgui" / "cli").is_dir():
        return [sys.executable, "-c", _FROM_TREE, str(Path(version).resolve())]
    return [version]


class Version:
    """One version's prepared states under ``root``: ``synced`` (the no-op's) and
    ``changed`` (synced, then the incremental changes made; copied to ``run`` for each
    run); a first sync pairs a copy of ``synced``'s folder A with an empty folder in ``run``."""

    def __init__(self, name: str, cli: list[str], root: Path, env: dict[str, str]) -> None:
        self.name, self.cli, self.root, self.env = name, cli, root, env

    def run(self, state: Path, *args: str) -> float:
        started = time.perf_counter()
        subprocess.run(
            [*self.cli, "--config-dir", str(state / "config"), "--data-dir", str(state / "data"),
             *args],
            env=self.env, stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        return time.perf_counter() - started

    def pair(self, state: Path) -> None:
        self.run(state, "partnership", "add", "ab", f"vdir:{state / 'a'}", f"vdir:{state / 'b'}")

    def prepare(self, source: Path, contacts: Sequence[cards.Contact]) -> None:
        """The states, each made where its runs happen: a partnership's state names its
        folders by their full paths (its metadata files too), so it is copied back to the
        same place for each run rather than used elsewhere."""
        shutil.rmtree(self.root, ignore_errors=True)
        synced, work = self.root / "synced", self.root / "run"
        for state in (synced, work):
            (state / "b").mkdir(parents=True)
            link_tree(source, state / "a")
            self.pair(state)
            for _ in range(3):  # the first sync, then no-ops until the stamps are kept whole
                self.run(state, "sync", "ab")
        cards.change_vdir(
            work / "a", contacts, edit=EDIT, delete=DELETE, add=ADD,
            seed=len(contacts) + 1, next_number=2 * len(contacts),
        )  # fmt: skip
        work.rename(self.root / "changed")

    def time(self, scenario: str) -> float:
        if scenario == "no-op":
            return self.run(self.root / "synced", "sync", "ab")
        work = self.root / "run"
        shutil.rmtree(work, ignore_errors=True)
        if scenario == "incremental":
            copy_state(self.root / "changed", work)
        else:
            link_tree(self.root / "synced" / "a", work / "a")
            (work / "b").mkdir()
            self.pair(work)
        return self.run(work, "sync", "ab")


def link_tree(source: Path, target: Path) -> None:
    """A copy of the folder ``source`` whose files are hard links (same inodes, so the
    same stamps; a sync replaces files, never writes into them)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(source), str(target)], check=True)


def copy_state(source: Path, target: Path) -> None:
    """A partnership's state made at ``target`` and moved to ``source``, put back: its
    folders as hard links, its databases and settings copied."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for folder in ("a", "b"):
        link_tree(source / folder, target / folder)
    for folder in ("config", "data"):
        shutil.copytree(source / folder, target / folder, symlinks=True)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--a", required=True, help="the version to compare with (before)")
    p.add_argument("--b", required=True, help="the version compared (after)")
    p.add_argument("--size", type=int, default=10_000, help="contacts (default 10,000)")
    p.add_argument("--runs", type=int, default=9, help="rounds (default 9)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    default_dir = Path("/dev/shm" if Path("/dev/shm").is_dir() else "/tmp") / "syncgui-ab"
    p.add_argument("--dir", type=Path, default=default_dir, help="where the data lives")
    args = p.parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    if unknown := set(scenarios) - set(SCENARIOS):
        p.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    env = child_env(args.dir)
    contacts = cards.generate(args.size, seed=args.size)
    source = args.dir / f"source-{args.size}"
    if not source.is_dir():
        cards.write_vdir(source, contacts)
    versions = [
        Version(name, command(spec), args.dir / name, env)
        for name, spec in (("a", args.a), ("b", args.b))
    ]
    for version in versions:
        version.prepare(source, contacts)
    times: dict[tuple[str, str], list[float]] = {}
    for turn in range(args.runs):
        for version in versions if turn % 2 == 0 else versions[::-1]:
            for scenario in scenarios:
                times.setdefault((version.name, scenario), []).append(version.time(scenario))
    print(f"| {args.size:,} contacts | A: {args.a} | B: {args.b} | B faster |")
    print("|---|---:|---:|---:|")
    for scenario in scenarios:
        a, b = times[("a", scenario)], times[("b", scenario)]
        won = sum(y < x for x, y in zip(a, b, strict=True))
        print(
            f"| {scenario} | {statistics.median(a):.3f} s | {statistics.median(b):.3f} s "
            f"| {won} of {len(a)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
