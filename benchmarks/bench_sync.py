"""Time whole ``syncgui-cli sync`` processes, folder to folder, optionally against vdirsyncer.

For each size N: N generated contacts (``cards.py``) in a vdir, a partnership with an empty
vdir, and three scenarios, each run ``--runs`` times:

* first        the first sync into the empty folder (a fresh state for every run)
* no-op        a sync with nothing to do
* incremental  a sync after 1% of the contacts were edited, 0.1% deleted and 0.1% added

Each run is one process: wall time, user+sys CPU time and peak RSS come from ``os.wait4``.
The data lives under ``--dir`` (default: a folder in /dev/shm when there is one, so that
file-system noise stays low). See README.md for how to read the results.

    python benchmarks/bench_sync.py --sizes 10000,50000 --runs 3 --json out.json

runs vdirsyncer 0.21 back to back with it (installed into its own venv under
~/.cache/syncgui-bench the first time; ``--vdirsyncer PATH`` names another, ``none`` skips).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cards

SCENARIOS = ("first", "no-op", "incremental")
EDIT, DELETE, ADD = 0.01, 0.001, 0.001
# Targets for syncgui against vdirsyncer (sizes from 10,000 up; issue 15's, which replaced
# the first engine issue's 0.5, 0.2 and 0.2): time ratio at most ...
TARGET_RATIO = {"first": 0.4, "no-op": 0.12, "incremental": 0.15}
TARGET_RSS_MIB = 150.0  # ... and peak RSS under this at 50,000


@dataclass(frozen=True, slots=True)
class Run:
    tool: str
    size: int
    scenario: str
    run: int
    wall: float  # seconds
    cpu: float  # user + sys seconds
    rss_mib: float  # peak resident set size


def child_env(work: Path) -> dict[str, str]:
    """The environment for every timed process: bytecode cached (in ``work``, so that no
    source tree is written to), as an installed program has it. Without this a checkout
    run with PYTHONDONTWRITEBYTECODE recompiles every module of its own at each start."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


# Times one command per request line and answers with one JSON line. It runs as a small
# process of its own because a child's ru_maxrss includes the high-water RSS of the address
# space that its exec replaced, i.e. that of the process that forked it: measured from here,
# which holds N generated contacts in memory, every run would seem at least this big.
_TIMER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    with open(job["log"], "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(job["command"], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out, env=job["env"])
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps([proc.returncode, wall, cpu, usage.ru_maxrss]), flush=True)
"""


class Timer:
    """Runs commands from a lean helper process (see ``_TIMER``); start it before
    generating any data."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _TIMER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def measure(
        self, command: Sequence[str], log: Path, env: dict[str, str]
    ) -> tuple[float, float, float]:
        """Run ``command`` once; its wall time, user+sys CPU time and peak RSS in MiB.

        Output goes to ``log``; a non-zero exit status raises RuntimeError with its tail."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        job = {"command": list(command), "log": str(log), "env": env}
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        code, wall, cpu, rss_kib = json.loads(self._proc.stdout.readline())
        if code != 0:
            tail = log.read_text("utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"{command[0]} exited with {code}:\n{tail}")
        return wall, cpu, rss_kib / 1024  # ru_maxrss is in KiB on Linux

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()


class Tool(Protocol):
    name: str
    env: dict[str, str]

    def prepare(self, a: Path, b: Path, state: Path) -> None:
        """Pair ``a`` with ``b``, both as they are, with no sync state in ``state``."""
        ...

    def sync_command(self) -> list[str]: ...


class Syncgui:
    name = "syncgui"

    def __init__(self, cli: str, env: dict[str, str]) -> None:
        self.cli = cli
        self.env = env
        self.state = Path()

    def _base(self) -> list[str]:
        cfg, data = str(self.state / "config"), str(self.state / "data")
        return [self.cli, "--config-dir", cfg, "--data-dir", data]

    def prepare(self, a: Path, b: Path, state: Path) -> None:
        self.state = state
        add = [*self._base(), "partnership", "add", "bench", f"vdir:{a}", f"vdir:{b}"]
        subprocess.run(add, check=True, capture_output=True, env=self.env)

    def sync_command(self) -> list[str]:
        return [*self._base(), "sync", "bench"]


class Vdirsyncer:
    name = "vdirsyncer"

    def __init__(self, program: str, env: dict[str, str]) -> None:
        self.program = program
        self.env = env
        self.config = Path()

    def prepare(self, a: Path, b: Path, state: Path) -> None:
        state.mkdir(parents=True)
        self.config = state / "config"
        storages = "".join(
            f'[storage bench_{side}]\ntype = "filesystem"\npath = "{path}/"\nfileext = ".vcf"\n\n'
            for side, path in (("a", a), ("b", b))
        )
        self.config.write_text(
            f'[general]\nstatus_path = "{state}/status/"\n\n'
            '[pair bench]\na = "bench_a"\nb = "bench_b"\ncollections = null\n'
            'conflict_resolution = "a wins"\n\n' + storages,
            "utf-8",
        )
        # vdirsyncer wants its pair discovered once, even with collections = null.
        discover = [self.program, "-c", str(self.config), "discover", "bench"]
        subprocess.run(
            discover, check=True, capture_output=True, stdin=subprocess.DEVNULL, env=self.env
        )

    def sync_command(self) -> list[str]:
        return [self.program, "-c", str(self.config), "sync"]


def bench_tool(
    tool: Tool, size: int, runs: int, work: Path, timer: Timer, report: Callable[[Run], None]
) -> None:
    """All three scenarios for one tool at one size, in a fresh folder under ``work``."""
    contacts = cards.generate(size, seed=size)
    a, b, state = work / "a", work / "b", work / "state"
    cards.write_vdir(a, contacts)
    log = work / "last-run.log"

    def one(scenario: str, n: int) -> None:
        wall, cpu, rss = timer.measure(tool.sync_command(), log, tool.env)
        report(Run(tool.name, size, scenario, n, wall, cpu, rss))

    for n in range(1, runs + 1):
        for path in (b, state):
            shutil.rmtree(path, ignore_errors=True)
        b.mkdir()
        tool.prepare(a, b, state)
        one("first", n)
    _check_copy(a, b, size)
    for n in range(1, runs + 1):
        one("no-op", n)
    for n in range(1, runs + 1):
        changes = cards.change_vdir(
            a, contacts, edit=EDIT, delete=DELETE, add=ADD, seed=1000 + n,
            next_number=size * (n + 1),
        )  # fmt: skip
        contacts = changes.contacts
        one("incremental", n)
    _check_copy(a, b, len(contacts))


def _check_copy(a: Path, b: Path, expected: int) -> None:
    """A cheap sanity check that the sync did its job: as many cards on both sides."""
    counts = [sum(1 for n in os.listdir(p) if n.endswith(".vcf")) for p in (a, b)]
    if counts != [expected, expected]:
        raise RuntimeError(f"after the sync A has {counts[0]} cards and B {counts[1]}")


# -- reporting ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    tool: str
    size: int
    scenario: str
    wall: float  # median
    cpu: float  # median
    rss_mib: float  # maximum over the runs


def summarize(runs: Sequence[Run]) -> list[Summary]:
    groups: dict[tuple[str, int, str], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.tool, r.size, r.scenario), []).append(r)
    return [
        Summary(
            tool, size, scenario,
            statistics.median(r.wall for r in rs),
            statistics.median(r.cpu for r in rs),
            max(r.rss_mib for r in rs),
        )
        for (tool, size, scenario), rs in groups.items()
    ]  # fmt: skip


def table(summaries: Sequence[Summary]) -> str:
    """A Markdown table: one row per size and scenario, the tools side by side."""
    by = {(s.tool, s.size, s.scenario): s for s in summaries}
    sizes = sorted({s.size for s in summaries})
    other = any(s.tool == "vdirsyncer" for s in summaries)
    head = "| contacts | scenario | syncgui wall | syncgui CPU | syncgui peak RSS |"
    rule = "|---:|---|---:|---:|---:|"
    if other:
        head += " vdirsyncer wall | vdirsyncer CPU | vdirsyncer peak RSS | wall ratio | target |"
        rule += "---:|---:|---:|---:|---|"
    lines = [head, rule]
    for size in sizes:
        for scenario in SCENARIOS:
            mine = by.get(("syncgui", size, scenario))
            theirs = by.get(("vdirsyncer", size, scenario))
            row = f"| {size:,} | {scenario} | " + _cells(mine)
            if other:
                row += " " + _cells(theirs) + " " + _verdict(mine, theirs) + " |"
            lines.append(row)
    return "\n".join(lines)


def _cells(s: Summary | None) -> str:
    if s is None:
        return "– | – | – |"
    return f"{s.wall:.2f} s | {s.cpu:.2f} s | {s.rss_mib:.0f} MiB |"


def _verdict(mine: Summary | None, theirs: Summary | None) -> str:
    if mine is None or theirs is None or theirs.wall <= 0:
        return "– | –"
    ratio = mine.wall / theirs.wall
    limit = TARGET_RATIO[mine.scenario]
    if mine.size < 10_000:
        return f"{ratio:.2f} | (≤ {limit} from 10,000)"
    return f"{ratio:.2f} | ≤ {limit}: {'met' if ratio <= limit else 'MISSED'}"


def rss_verdicts(summaries: Sequence[Summary]) -> list[str]:
    out = []
    for s in summaries:
        if s.tool == "syncgui" and s.size >= 50_000:
            ok = s.rss_mib < TARGET_RSS_MIB
            out.append(
                f"syncgui peak RSS at {s.size:,} ({s.scenario}): {s.rss_mib:.0f} MiB, target "
                f"< {TARGET_RSS_MIB:.0f} MiB: {'met' if ok else 'MISSED'}"
            )
    return out


# -- command line ---------------------------------------------------------------------------


def _commit() -> str:
    """The checkout's commit, with "+changes" when the work tree differs from it."""
    top = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(top), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(top), "status", "--porcelain", "--untracked-files=no", "syncgui"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")  # fmt: skip


def default_dir() -> Path:
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    return base / "syncgui-bench"


def default_cli() -> str:
    beside = Path(sys.executable).parent / "syncgui-cli"
    return str(beside) if beside.exists() else shutil.which("syncgui-cli") or "syncgui-cli"


VDIRSYNCER_VENV = Path.home() / ".cache" / "syncgui-bench" / "vdirsyncer-0.21"


def own_vdirsyncer() -> str | None:
    """vdirsyncer 0.21 in its own venv (made, and filled from PyPI, when missing); None
    when it cannot be installed (said why)."""
    program = VDIRSYNCER_VENV / "bin" / "vdirsyncer"
    if program.exists():
        return str(program)
    print(f"# installing vdirsyncer 0.21 into {VDIRSYNCER_VENV} (once)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VDIRSYNCER_VENV)], check=True)
        pip = [str(VDIRSYNCER_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "vdirsyncer==0.21.*"], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"# vdirsyncer could not be installed ({err}): only syncgui is timed")
        return None
    return str(program)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,10000,50000", help="contact counts, comma-separated")
    p.add_argument("--runs", type=int, default=5, help="runs per scenario (the median is shown)")
    p.add_argument("--dir", type=Path, default=None, help=f"work folder (default {default_dir()})")
    p.add_argument("--json", type=Path, help="write every run and the summary here")
    p.add_argument("--syncgui", default=default_cli(), help="the syncgui-cli to time")
    p.add_argument(
        "--vdirsyncer",
        default="auto",
        help="also time this vdirsyncer (0.21) on the same data; `auto` (the default): the "
        f"one in {VDIRSYNCER_VENV}, installed there from PyPI when missing; `none`: skip it",
    )
    p.add_argument("--keep", action="store_true", help="keep the generated data")
    args = p.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    work: Path = args.dir or default_dir()
    timer = Timer()  # first, while this process is small
    env = child_env(work)
    tools: list[Tool] = [Syncgui(args.syncgui, env)]
    if args.vdirsyncer == "none":
        args.vdirsyncer = None
    elif args.vdirsyncer == "auto":
        args.vdirsyncer = own_vdirsyncer()
    if args.vdirsyncer and shutil.which(args.vdirsyncer) is None:
        print(
            f"# vdirsyncer not found at {args.vdirsyncer}: skipped. Install it with "
            "`python3 -m venv /tmp/vds && /tmp/vds/bin/pip install 'vdirsyncer==0.21.*'`."
        )
    elif args.vdirsyncer:
        tools.append(Vdirsyncer(args.vdirsyncer, env))
    machine = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "syncgui commit": _commit(),
    }
    started = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"# {started}, {machine}, data in {work}")
    runs: list[Run] = []

    def report(r: Run) -> None:
        runs.append(r)
        print(
            f"{r.tool:<10} {r.size:>7,} {r.scenario:<11} run {r.run}: wall {r.wall:6.2f} s  "
            f"cpu {r.cpu:6.2f} s  peak RSS {r.rss_mib:5.0f} MiB",
            flush=True,
        )

    try:
        for tool in tools:  # fills the bytecode cache; not reported
            warm = work / f"warm-up-{tool.name}"
            shutil.rmtree(warm, ignore_errors=True)
            warm.mkdir(parents=True)
            bench_tool(tool, 50, 1, warm, timer, lambda _run: None)
            shutil.rmtree(warm, ignore_errors=True)
        for size in args.sizes:
            for tool in tools:
                folder = work / f"{size}-{tool.name}"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                bench_tool(tool, size, args.runs, folder, timer, report)
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
    finally:
        timer.close()
        summaries = summarize(runs)
        print()
        print(table(summaries))
        for line in rss_verdicts(summaries):
            print(line)
        if args.json:
            data = {
                "date": started, "machine": machine, "dir": str(work), "runs_per_scenario":
                args.runs, "runs": [asdict(r) for r in runs],
                "summary": [asdict(s) for s in summaries],
            }  # fmt: skip
            args.json.write_text(json.dumps(data, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
