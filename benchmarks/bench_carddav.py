"""A folder of N contacts against a local Radicale, through the engine, beside vdirsyncer:
wall time and HTTP requests per scenario.

Scenarios (each on the same partnership, in order; the last four ``--runs`` times, with
other contacts edited each time, the median shown):

* first        the first sync of N contacts from the folder into an empty address book
* no-op        a sync with nothing to do (must be one request)
* edit-folder  1% of the contacts edited in the folder
* edit-server  1% of the contacts edited on the server by another client
* no-op again  a sync with nothing to do after those

Tools, each with its own Radicale (``radicale`` next to this Python, on a free loopback
port), the rounds interleaved so that a busy moment of the machine hits all of them:

* ``syncgui``      sessions run in this process (no interpreter start, no imports), with
                   the HTTP requests of each counted
* ``syncgui-cli``  (``--cli``) whole ``syncgui-cli sync`` processes, as vdirsyncer is run:
                   interpreter start and imports included; the same requests as above
* ``vdirsyncer``   (``--vdirsyncer PATH``, or ``auto``: installed once into its own venv
                   under ``--vdirsyncer-venv`` from PyPI) whole processes

Only the generated cards with a UID are used (about 85%): Radicale refuses a card without
UID (400), which syncgui never sends (the engine adds the UID it keeps for the contact) but
vdirsyncer does, and vdirsyncer then stops the whole sync. Radicale 3.9 also refuses (400)
vCard 2.1 cards with quoted-printable text and a base64 photo ("Failed to serialize item");
those are left out too.

    .venv/bin/python benchmarks/bench_carddav.py --size 1000 --runs 5 --cli --vdirsyncer auto
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cards import Contact, change_vdir, generate, write_vdir

from syncgui.engine.events import SessionSettings, Status
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.session import SyncSession
from syncgui.engine.simple import SimpleReplica
from syncgui.providers.carddav import open_store
from syncgui.providers.carddav.dav import mkcol_addressbook
from syncgui.providers.vcard.folder import open_folder_store

BIN = Path(sys.executable).parent
VDIRSYNCER = "vdirsyncer==0.21.*"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Radicale:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [str(BIN / "radicale"), "--server-hosts", f"127.0.0.1:{self.port}"]
        args += ["--storage-filesystem-folder", str(root / "collections"), "--auth-type", "none"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                httpx.request("PROPFIND", self.base + "/", headers={"Depth": "0"}, timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("radicale did not start")

    def new_book(self) -> str:
        url = f"{self.base}/alice/{uuid.uuid4().hex[:12]}/"
        reply = httpx.request("MKCOL", url, content=mkcol_addressbook("Bench"), auth=("alice", ""))
        assert reply.status_code == 201, reply.text
        return url

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Pair(Protocol):
    def sync(self) -> int:
        """One sync; the HTTP requests it made (-1: not counted)."""
        ...


class SyncguiPair:
    def __init__(self, root: Path, book: str) -> None:
        self.root, self.book, self.folder = root, book, root / "folder"
        self.bases = BaseStore(":memory:")
        self.problems = 0  # items the last sync could not write or read

    def sync(self) -> int:
        folder = open_folder_store(str(self.folder))
        book = open_store(self.book, user="alice", password=None)
        a = SimpleReplica(folder, MetadataStore(self.root / "a.sqlite", folder.identity))
        b = SimpleReplica(book, MetadataStore(self.root / "b.sqlite", book.identity))
        try:
            result = SyncSession(a, b, SessionSettings("bench"), self.bases).run()
            assert result.status in (Status.OK, Status.FAILED), result
            self.problems = len(result.errors)
            if self.problems:
                print(f"syncgui: {self.problems} contacts not synced", file=sys.stderr)
            return book.client.requests
        finally:
            a.close()
            b.close()
            book.close()


def _process_env(root: Path) -> dict[str, str]:
    """Cached bytecode for the timed processes (this machine sets PYTHONDONTWRITEBYTECODE,
    which would make a source checkout recompile every module at each start)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    return env


class SyncguiCliPair:
    def __init__(self, root: Path, book: str) -> None:
        self.env = _process_env(root)
        self.base = [str(BIN / "syncgui-cli"), "--config-dir", str(root / "config")]
        self.base += ["--data-dir", str(root / "data")]
        add = [*self.base, "partnership", "add", "bench", f"vdir:{root / 'folder'}"]
        subprocess.run([*add, f"carddav:{book}"], check=True, capture_output=True, env=self.env)

    def sync(self) -> int:
        done = subprocess.run(
            [*self.base, "sync", "bench", "--yes"], capture_output=True, env=self.env, check=False
        )
        if done.returncode:
            print(f"syncgui-cli sync: exit {done.returncode}", done.stdout[-300:], file=sys.stderr)
        return -1


class VdirsyncerPair:
    def __init__(self, exe: str, root: Path, book: str) -> None:
        self.exe, self.root = exe, root
        self.env = _process_env(root)
        self.config = root / "config"
        self.config.write_text(
            f"""[general]
status_path = "{root / "status"}"

[pair bench]
a = "folder"
b = "book"
collections = null
conflict_resolution = "a wins"

[storage folder]
type = "filesystem"
path = "{root / "folder"}"
fileext = ".vcf"

[storage book]
type = "carddav"
url = "{book}"
username = "alice"
password = ""
"""
        )
        self._run("discover")

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [self.exe, "-c", str(self.config), *args],
            check=False,
            capture_output=True,
            input=b"y\n" * 10,
            env=self.env,
        )
        if done.returncode:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
            print(f"vdirsyncer {' '.join(args)}: exit {done.returncode}", *tail, file=sys.stderr)

    def sync(self) -> int:
        self._run("sync")
        return -1


def vdirsyncer_program(given: str, venv: Path) -> str:
    """``given``, or with ``auto`` vdirsyncer 0.21 from PyPI in its own venv (made once)."""
    if given != "auto":
        return given
    program = venv / "bin" / "vdirsyncer"
    if not program.exists():
        print(f"installing {VDIRSYNCER} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", VDIRSYNCER]
        subprocess.run(pip, check=True)
    return str(program)


def _refused_by_radicale(contact: Contact) -> bool:
    """Radicale 3.9 answers 400 to a vCard 2.1 card with quoted-printable text and a base64
    photo ("Failed to serialize item"); the engine would try it again at every sync."""
    data = contact.data
    return b"VERSION:2.1" in data and b"PHOTO;" in data and b"QUOTED-PRINTABLE" in data


def edit_on_server(book: str, share: float, round_: int) -> None:
    """Another client edits ``share`` of the cards on the server (other ones each round)."""
    store = open_store(book, user="alice", password=None)
    listing = store.list(None)
    assert listing.entries is not None
    keys = [e.key for e in listing.entries]
    step = max(1, round(1 / share))
    for n, key in enumerate(keys[round_ % step :: step]):
        data = store.read(key)
        at = data.rindex(b"END:VCARD")
        eol = b"\r\n" if b"\r\n" in data else b"\n"
        note = f"NOTE:server edit {round_}.{n}".encode()
        store.update(key, data[:at] + note + eol + data[at:])
    store.close()


Timings = dict[str, list[tuple[float, int]]]


class Tool:
    """One tool's server, folder and pair; its timings by scenario."""

    def __init__(self, name: str, make: Callable[[Path, str], Pair], size: int, work: Path):
        self.name = name
        self.server = Radicale(work / f"{name}-server")
        self.book = self.server.new_book()
        self.root = work / name
        self.root.mkdir()
        self.size = size
        self.contacts = [c for c in generate(size) if c.uid and not _refused_by_radicale(c)]
        write_vdir(self.root / "folder", self.contacts)
        self.pair = make(self.root, self.book)
        self.timings: Timings = {}

    def timed(self, label: str) -> None:
        start = time.perf_counter()
        requests = self.pair.sync()
        self.timings.setdefault(label, []).append((time.perf_counter() - start, requests))

    def edit_folder(self, round_: int) -> None:
        change_vdir(
            self.root / "folder",
            self.contacts,
            edit=0.01,
            delete=0,
            add=0,
            seed=7 + round_,
            next_number=self.size * (round_ + 1),
        )

    def stop(self) -> None:
        self.server.stop()


def run(tools: list[Tool], runs: int) -> None:
    for tool in tools:
        tool.timed("first")
        tool.timed("no-op")
    for round_ in range(runs):
        for tool in tools:
            tool.edit_folder(round_)
            tool.timed("edit-folder")
            edit_on_server(tool.book, 0.01, round_)
            tool.timed("edit-server")
            tool.timed("no-op again")


def report(tools: list[Tool], size: int, runs: int) -> None:
    print(f"{size} contacts generated, those with a UID used; Radicale 3.9; median of the runs")
    print(f"{'scenario (runs)':<18}" + "".join(f"{t.name:>24}" for t in tools))
    for label in tools[0].timings:
        row = f"{label + f' ({len(tools[0].timings[label])})':<18}"
        for tool in tools:
            found = tool.timings[label]
            seconds = statistics.median(s for s, _ in found)
            counts = sorted({r for _, r in found if r >= 0})
            shown = f"{seconds:.2f} s"
            if counts:
                shown += " (" + "/".join(map(str, counts)) + " req)"
            row += f"{shown:>24}"
        if tools[-1].name == "vdirsyncer":
            theirs = statistics.median(s for s, _ in tools[-1].timings[label])
            row += "  ratio " + " ".join(
                f"{statistics.median(s for s, _ in t.timings[label]) / theirs:.2f}"
                for t in tools[:-1]
            )
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="rounds of the 1%% edits")
    parser.add_argument("--cli", action="store_true", help="also time syncgui-cli processes")
    parser.add_argument("--vdirsyncer", help="a vdirsyncer 0.21 executable, or auto")
    parser.add_argument("--vdirsyncer-venv", type=Path, default=Path("/tmp/vds"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="syncgui-carddav-bench-"))
    makers: list[tuple[str, Callable[[Path, str], Pair]]] = [("syncgui", SyncguiPair)]
    if args.cli:
        makers.append(("syncgui-cli", SyncguiCliPair))
    if args.vdirsyncer:
        exe = vdirsyncer_program(args.vdirsyncer, args.vdirsyncer_venv)
        makers.append(("vdirsyncer", lambda root, book: VdirsyncerPair(exe, root, book)))
    tools: list[Tool] = []
    try:
        for name, make in makers:
            tools.append(Tool(name, make, args.size, work))
        run(tools, args.runs)
    finally:
        for tool in tools:
            tool.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(tools, args.size, args.runs)


if __name__ == "__main__":
    main()
