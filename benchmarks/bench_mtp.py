"""Time ``syncgui-cli sync`` to an emulated phone against the raw libmtp operations it needs.

One boot of the MTP test guest (``tests/mtp_guest``: QEMU's ``usb-mtp`` device over a host
folder, real libmtp in the guest) runs, inside the guest, for each of ``--runs`` runs:

* first        ``syncgui-cli sync`` of a vCard folder of N generated cards (``cards.py``)
               with an empty folder ``mtp:first/FakePhone/Contacts-NN`` (a partnership per
               run, as the tests make; the state folder on the phone exists from the warm-up);
* no-op        the same sync again, right after;
* raw first    one process, our ctypes binding of libmtp alone (no sync engine, no helper
               process): open the device, list the top folder and the (empty) target folder,
               upload the same N files (the names and bytes syncgui wrote) into ``Raw-NN``;
* raw no-op    one process, the binding alone: open the device, list the top folder, the
               1,000-card folder and the state folder, download syncgui's state object: what
               a no-op must do at least.

Every step is one whole process (Python start-up included), timed in the guest with
``perf_counter``; CPU time is the step's user+sys (``RUSAGE_CHILDREN``, helper included).
The raw processes also report their device operations alone. Before the runs, a warm-up
(20 cards, both sides) fills the bytecode cache (``PYTHONPYCACHEPREFIX`` on the guest's
tmpfs), and the start-up floors are timed (``python -c pass``, ``syncgui-cli --version``,
the device helper's start). With ``--profile`` (the default) one more first sync and no-op
run under cProfile: the CLI through ``profile_sync.py``, the device helper through a
``sitecustomize`` hook; their top entries are printed.

Card sizes avoid those QEMU 7.2's responder mishandles (``statecodec.awkward_size``): a card
that would upload at such a size, as is or with the UID syncgui adds, gets an ``X-BENCH-PAD``
line; a trial sync on the host checks what syncgui will write before the boot.

    python benchmarks/bench_mtp.py --cards 1000 --runs 3 --json mtp.json

Goal (issue 15): syncgui within 1.2x of the raw operations. Wall times under TCG are slow and
noisy: compare only within one boot. No test asserts on them.
"""

from __future__ import annotations

import sys
import time

_STARTED = time.perf_counter()  # the raw steps report their time after imports from here

import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

DESC = "FakePhone"
GOAL = 1.2
WARM_CARDS = 20
BENCH_ROOT = Path(__file__).resolve().parent
PROJECT = BENCH_ROOT.parent
UID_GROWTH = (0, 41, 42)  # bytes syncgui adds to a card without UID: "UID:<36>" + LF or CRLF
HELPER_MODULE = "syncgui.providers.mtp.helper"

# Started by the guest driver for the profiled run (see _write_profile_hook).
_PROFILE_HOOK = '''"""bench_mtp.py: profile the MTP device helper process (and nothing else)."""
import os, sys
_out = os.environ.get("BENCH_MTP_HELPER_PROFILE")
if _out and "syncgui.providers.mtp.helper" in sys.orig_argv:
    import atexit, cProfile
    _profile = cProfile.Profile()
    _profile.enable()

    def _dump():
        _profile.disable()
        _profile.dump_stats(f"{_out}.{os.getpid()}")

    atexit.register(_dump)
'''


# -- raw steps: run in the guest as processes of their own; they import the binding only ----


def _raw_open() -> tuple[Any, Any, int, dict[str, float]]:
    from syncgui.providers.mtp.native import libmtp

    phases: dict[str, float] = {"imports": time.perf_counter() - _STARTED}
    t = time.perf_counter()
    lib = libmtp.load()
    _code, raws = lib.detect_raw_devices()
    if not raws:
        raise SystemExit("raw: no MTP device")
    device = lib.open_raw_device_uncached(raws[0])
    if device is None:
        raise SystemExit("raw: the device cannot be opened")
    if lib.get_storage(device) < 0:
        raise SystemExit("raw: no storage")
    storage = lib.storages(device)[0].id
    phases["open"] = time.perf_counter() - t
    return lib, device, storage, phases


def _raw_child(lib: Any, device: Any, storage: int, parent: int, name: str) -> int:
    for record in lib.files_and_folders(device, storage, parent):
        if record.filename == name:
            return int(record.item_id)
    raise SystemExit(f"raw: no {name} on the phone")


def raw_first(folder: str, source: str) -> dict[str, float]:
    """Upload every file of ``source`` into the phone's top-level ``folder``, as syncgui's
    first sync has to: one open, the folder found and listed, one transfer per file."""
    import ctypes

    from syncgui.providers.mtp.native.libmtp_types import (
        FILES_AND_FOLDERS_ROOT,
        Filetype,
        LIBMTP_file_t,
    )

    lib, device, storage, phases = _raw_open()
    t = time.perf_counter()
    parent = _raw_child(lib, device, storage, FILES_AND_FOLDERS_ROOT, folder)
    listed = len(lib.files_and_folders(device, storage, parent))  # listed before writing
    phases["listing"] = time.perf_counter() - t
    t = time.perf_counter()
    names = sorted(os.listdir(source))
    unlisted = 0
    for name in names:
        with open(os.path.join(source, name), "rb") as f:
            data = f.read()
        name_buffer = ctypes.create_string_buffer(name.encode())  # libmtp may edit it
        metadata = LIBMTP_file_t(
            parent_id=parent,
            storage_id=storage,
            filename=ctypes.cast(name_buffer, ctypes.c_char_p),
            filesize=len(data),
            filetype=int(Filetype.UNKNOWN),
        )
        if lib.send_file(device, data, metadata) != 0:
            # QEMU's responder may not list the new object yet; the data is written (syncgui
            # accepts this too, then looks for the object by name)
            texts = [e.text for e in lib.take_errors(device)]
            if not (metadata.item_id and any("retrieve updated metadata" in t for t in texts)):
                raise SystemExit(f"raw: uploading {name} failed: {texts}")
            unlisted += 1
    phases["transfers"] = time.perf_counter() - t
    t = time.perf_counter()
    lib.release_device(device)
    phases["close"] = time.perf_counter() - t
    phases["objects"] = float(len(names) + listed)
    phases["unlisted"] = float(unlisted)
    return phases


def raw_noop(folder: str) -> dict[str, float]:
    """What a no-op sync of ``folder`` must do at least: open, find and list the folder, find
    and read the store's state object (newest ``<stem>.<n>.state`` in the state folder)."""
    import hashlib
    import re

    from syncgui.providers.mtp.native.libmtp_types import FILES_AND_FOLDERS_ROOT

    lib, device, storage, phases = _raw_open()
    t = time.perf_counter()
    top = lib.files_and_folders(device, storage, FILES_AND_FOLDERS_ROOT)
    ids = {r.filename: int(r.item_id) for r in top}
    objects = lib.files_and_folders(device, storage, ids[folder])
    phases["listing"] = time.perf_counter() - t
    t = time.perf_counter()
    stem = hashlib.sha1(folder.lower().encode()).hexdigest()[:12]
    pattern = re.compile(re.escape(stem) + r"\.(\d+)\.state")
    state_folder = ids.get(".syncgui", ids.get("syncgui"))
    if state_folder is None:
        raise SystemExit("raw: no state folder on the phone")
    states = [
        (int(m.group(1)), int(r.item_id))
        for r in lib.files_and_folders(device, storage, state_folder)
        if (m := pattern.fullmatch(r.filename))
    ]
    if not states:
        raise SystemExit(f"raw: no state object for {folder}")
    data = lib.get_file(device, max(states)[1])
    if not data:
        raise SystemExit("raw: the state object cannot be read")
    phases["state"] = time.perf_counter() - t
    t = time.perf_counter()
    lib.release_device(device)
    phases["close"] = time.perf_counter() - t
    phases["objects"] = float(len(objects))
    return phases


# -- the guest driver -----------------------------------------------------------------------


class Driver:
    """Runs and times the steps inside the guest; results go to ``results.json``."""

    def __init__(self, work: Path, cards: int) -> None:
        self.work = work
        self.cards = cards
        self.phone = work / "phone"
        self.results: dict[str, Any] = {"steps": [], "finished": False}
        self.python = sys.executable
        self.cli = str(Path(sys.executable).with_name("syncgui-cli"))

    def save(self) -> None:
        tmp = self.work / "results.json.tmp"
        tmp.write_text(json.dumps(self.results, indent=1))
        tmp.replace(self.work / "results.json")

    def run(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, **info: Any
    ) -> dict[str, Any]:
        import resource
        import subprocess

        logs = self.work / "logs"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with (logs / f"{name}.out").open("wb") as out, (logs / f"{name}.err").open("wb") as err:
            started = time.perf_counter()
            proc = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, check=False
            )
            wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        step = {"name": name, "wall": wall, "cpu": cpu, "rc": proc.returncode, **info}
        print(f"bench-mtp: {name}: {wall:.2f} s (cpu {cpu:.2f} s), exit {proc.returncode}")
        sys.stdout.flush()
        self.results["steps"].append(step)
        self.save()
        if proc.returncode != 0:
            tail = (logs / f"{name}.err").read_text("utf-8", "replace")[-3000:]
            raise SystemExit(f"bench-mtp: {name} failed ({proc.returncode}):\n{tail}")
        return step

    def cli_argv(self, tag: str, *args: str) -> list[str]:
        state = self.work / "state" / tag
        return [self.cli, "--config-dir", f"{state}/config", "--data-dir", f"{state}/data", *args]

    def partnership(self, tag: str, book: Path, folder: str) -> None:
        spec = f"mtp:first/{DESC}/{folder}"
        self.run(f"add-{tag}", self.cli_argv(tag, "partnership", "add", "p", f"vdir:{book}", spec))

    def sync(self, name: str, tag: str, scenario: str, run: int, expect: int) -> None:
        step = self.run(name, self.cli_argv(tag, "sync", "p", "--json"), scenario=scenario, run=run)
        report = self._json_of(name)
        created = report[0]["to_b"]["created"]
        if created != expect or report[0]["errors"]:
            raise SystemExit(f"bench-mtp: {name} created {created}, expected {expect}: {report}")
        step["created"] = created

    def _json_of(self, name: str) -> Any:
        return json.loads((self.work / "logs" / f"{name}.out").read_text("utf-8"))

    def raw(self, name: str, args: list[str], scenario: str, run: int) -> None:
        argv = [self.python, str(Path(__file__).resolve()), *args]
        step = self.run(name, argv, scenario=scenario, run=run)
        text = (self.work / "logs" / f"{name}.out").read_text()
        # libmtp prints to stdout too ("Device 0 (VID=...) is a ..."): take our line
        step["phases"] = json.loads(next(x for x in text.splitlines() if x.startswith("{")))
        self.save()

    def round(self, n: int, book: Path, label: str, expect: int) -> None:
        """One run: syncgui's first sync and no-op, then the raw operations on the same
        objects."""
        folder, raw_folder = f"Contacts-{label}", f"Raw-{label}"
        self.partnership(label, book, folder)
        self.sync(f"first-{label}", label, "first", n, expect)
        self.sync(f"noop-{label}", label, "no-op", n, 0)
        source = str(self.phone / folder)
        self.raw(f"raw-first-{label}", ["raw-first", raw_folder, source], "first", n)
        self.raw(f"raw-noop-{label}", ["raw-noop", folder], "no-op", n)

    def floors(self) -> None:
        """Start-up costs in the guest, before any device work."""
        self.run("floor-python", [self.python, "-c", "pass"], scenario="floor")
        self.run("floor-cli", [self.cli, "--version"], scenario="floor")
        helper = [self.python, "-m", HELPER_MODULE, "--backend", "libmtp"]
        self.run("floor-helper", helper, scenario="floor")
        imports = [self.python, "-c", "import syncgui.providers.mtp.native.libmtp"]
        self.run("floor-binding", imports, scenario="floor")

    def profile(self, book: Path) -> None:
        hook = self.work / "prof" / "hook"
        hook.mkdir(parents=True, exist_ok=True)
        (hook / "sitecustomize.py").write_text(_PROFILE_HOOK)
        self.partnership("prof", book, "Contacts-prof")
        for scenario in ("first", "no-op"):
            out = self.work / "prof" / f"{scenario}.prof"
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join([str(hook), env.get("PYTHONPATH", "")])
            env["BENCH_MTP_HELPER_PROFILE"] = str(self.work / "prof" / f"{scenario}-helper.prof")
            argv = [self.python, str(BENCH_ROOT / "profile_sync.py"), "-o", str(out), "--"]
            argv += self.cli_argv("prof", "sync", "p")[1:]
            self.run(f"profile-{scenario}", argv, env=env, scenario=f"profile {scenario}")


def guest_main(work: Path, runs: int, cards: int, profile: bool) -> int:
    driver = Driver(work, cards)
    (work / "logs").mkdir(exist_ok=True)
    driver.partnership("warm", work / "warm-book", "Contacts-warm")
    driver.sync("warm-first", "warm", "warm-up", 0, WARM_CARDS)
    driver.sync("warm-noop", "warm", "warm-up", 0, 0)
    source = str(driver.phone / "Contacts-warm")
    driver.raw("warm-raw-first", ["raw-first", "Raw-warm", source], "warm-up", 0)
    driver.raw("warm-raw-noop", ["raw-noop", "Contacts-warm"], "warm-up", 0)
    driver.floors()
    for n in range(1, runs + 1):
        driver.round(n, work / "book", f"{n:02d}", cards)
    if profile:
        driver.profile(work / "book")
    driver.results["finished"] = True
    driver.save()
    return 0


# -- the host side --------------------------------------------------------------------------


def phone_safe(contacts: list[Any]) -> list[Any]:
    """The contacts, each padded (an ``X-BENCH-PAD`` line) when it would reach the phone at
    a size QEMU's responder mishandles, as it is or with the UID line syncgui adds."""
    from dataclasses import replace

    from syncgui.providers.mtp.phone.statecodec import awkward_size

    out = []
    for c in contacts:
        data = c.data
        eol = b"\r\n" if b"\r\n" in data else b"\n"
        at = data.rindex(b"END:VCARD")
        pad = 0
        while any(awkward_size(len(data) + grow) for grow in UID_GROWTH):
            pad += 1
            data = c.data[:at] + b"X-BENCH-PAD:" + b"x" * pad + eol + c.data[at:]
        out.append(replace(c, data=data))
    return out


def check_on_host(book: Path, scratch: Path) -> None:
    """Sync ``book`` into a folder on the host with the same syncgui, and make sure that no
    card it writes has a size QEMU's responder mishandles (it would abort the boot)."""
    import shutil
    import subprocess

    from syncgui.providers.mtp.phone.statecodec import awkward_size

    shutil.rmtree(scratch, ignore_errors=True)
    cli = [str(Path(sys.executable).with_name("syncgui-cli"))]
    cli += ["--config-dir", str(scratch / "config"), "--data-dir", str(scratch / "data")]
    env = os.environ | {"PYTHONPATH": str(PROJECT)}
    out = scratch / "out"
    for args in (["partnership", "add", "p", f"vdir:{book}", f"vdir:{out}"], ["sync", "p"]):
        subprocess.run([*cli, *args], check=True, capture_output=True, env=env)
    bad = [p.name for p in out.iterdir() if awkward_size(p.stat().st_size)]
    if bad:
        raise SystemExit(f"syncgui would write cards of sizes QEMU mishandles: {bad[:5]}")
    shutil.rmtree(scratch)


def prepare(work: Path, cards_count: int, runs: int, profile: bool) -> None:
    import shutil

    sys.path.insert(0, str(BENCH_ROOT))
    import cards

    if work.exists():
        shutil.rmtree(work)
    phone = work / "phone"
    labels = [f"{n:02d}" for n in range(1, runs + 1)] + ["warm"]
    for label in labels:
        (phone / f"Contacts-{label}").mkdir(parents=True)
        (phone / f"Raw-{label}").mkdir()
    if profile:
        (phone / "Contacts-prof").mkdir()
    contacts = phone_safe(cards.generate(cards_count, seed=cards_count))
    cards.write_vdir(work / "book", contacts)
    cards.write_vdir(work / "warm-book", phone_safe(cards.generate(WARM_CARDS, seed=7)))
    for book in ("book", "warm-book"):
        check_on_host(work / book, work / "host-check")


def summarize(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import statistics

    rows = []
    for scenario in ("first", "no-op"):

        def median(name: str, key: str, scenario: str = scenario) -> float:
            values = [
                s[key]
                for s in steps
                if s.get("scenario") == scenario and s["name"].startswith(name)
            ]
            return statistics.median(values) if values else float("nan")

        prefix = "first-" if scenario == "first" else "noop-"
        raw = "raw-first-" if scenario == "first" else "raw-noop-"
        mine, theirs = median(prefix, "wall"), median(raw, "wall")
        device = statistics.median(
            sum(v for k, v in s["phases"].items() if k not in ("imports", "objects", "unlisted"))
            for s in steps
            if s.get("scenario") == scenario and s["name"].startswith(raw)
        )
        rows.append(
            {
                "scenario": scenario,
                "syncgui": mine,
                "syncgui_cpu": median(prefix, "cpu"),
                "raw": theirs,
                "raw_cpu": median(raw, "cpu"),
                "raw_device": device,
                "ratio": mine / theirs,
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | syncgui s | raw s | ratio | goal | syncgui CPU s | raw CPU s "
        "| raw device ops s |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        verdict = "met" if r["ratio"] <= GOAL else "MISSED"
        lines.append(
            f"| {r['scenario']} | {r['syncgui']:.2f} | {r['raw']:.2f} | {r['ratio']:.2f}x "
            f"| <= {GOAL}x: {verdict} | {r['syncgui_cpu']:.2f} | {r['raw_cpu']:.2f} "
            f"| {r['raw_device']:.2f} |"
        )
    return "\n".join(lines)


def print_profile(path: Path, top: int) -> None:
    import io
    import pstats

    files = sorted(path.parent.glob(path.name + "*"))
    if not files:
        print(f"# no profile at {path}")
        return
    out = io.StringIO()
    stats = pstats.Stats(*map(str, files), stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(f"## {path.name} ({len(files)} file(s))")
    print(out.getvalue())


def host_main(argv: list[str] | None) -> int:
    import argparse
    import platform
    import tempfile
    from datetime import UTC, datetime

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cards", type=int, default=1000, help="cards to sync (default 1000)")
    p.add_argument("--runs", type=int, default=3, help="runs per scenario; the median is shown")
    p.add_argument("--dir", type=Path, help="work folder (default: a new one under /tmp)")
    p.add_argument("--json", type=Path, help="write every step and the summary here")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip cProfile")
    p.add_argument("--top", type=int, default=25, help="profile entries to print")
    p.add_argument("--timeout", type=float, default=5400.0, help="for the whole boot, seconds")
    args = p.parse_args(argv)
    sys.path.insert(0, str(PROJECT))
    from tests.mtp_guest import ensure_image, run_in_guest

    work = (args.dir or Path(tempfile.mkdtemp(prefix="bench-mtp-"))).resolve()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    machine = {"nproc": os.cpu_count(), "python": platform.python_version()}
    print(f"# {started}, {machine}, {args.cards} cards, {args.runs} run(s), work in {work}")
    prepare(work, args.cards, args.runs, args.profile)
    command = (
        f"exec python {Path(__file__).resolve()} guest {work} {args.runs} {args.cards} "
        f"{int(args.profile)}"
    )
    env = {
        "PYTHONPATH": str(PROJECT),  # this checkout's syncgui, in the CLI and its helper
        "PYTHONDONTWRITEBYTECODE": "",  # cache bytecode (on the guest's tmpfs) as installed
        "PYTHONPYCACHEPREFIX": "/tmp/pycache",
    }
    result = run_in_guest(
        command,
        workdir=work,
        device_dirs=[(work / "phone", DESC)],
        env=env,
        timeout=args.timeout,
        image=ensure_image(),
    )
    (work / "console.txt").write_text(result.output)
    print(f"# boot {result.boot_seconds:.1f} s, whole guest run {result.seconds:.1f} s")
    results = json.loads((work / "results.json").read_text())
    if result.returncode != 0 or not results["finished"]:
        tail = "\n".join(result.output.splitlines()[-30:])
        print(f"# the guest run failed ({result.returncode}); console tail:\n{tail}")
        return 1
    steps = results["steps"]
    for s in steps:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in s.get("phases", {}).items())
        extra = f"  [{phases}]" if phases else ""
        print(f"{s['name']:<18} wall {s['wall']:7.2f} s  cpu {s['cpu']:6.2f} s{extra}")
    rows = summarize(steps)
    print()
    print(table(rows))
    if args.profile:
        for name in ("first", "first-helper", "no-op", "no-op-helper"):
            print_profile(work / "prof" / f"{name}.prof", args.top)
    if args.json:
        data = {"date": started, "machine": machine, "cards": args.cards, "runs": args.runs}
        data |= {"steps": steps, "summary": rows}
        args.json.write_text(json.dumps(data, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["raw-first"]:
        print(json.dumps(raw_first(args[1], args[2])))
        return 0
    if args[:1] == ["raw-noop"]:
        print(json.dumps(raw_noop(args[1])))
        return 0
    if args[:1] == ["guest"]:
        return guest_main(Path(args[1]), int(args[2]), int(args[3]), args[4] == "1")
    return host_main(args)


if __name__ == "__main__":
    sys.exit(main())
