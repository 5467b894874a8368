"""A folder of N contacts against a local Radicale, through the engine, optionally beside
vdirsyncer: wall time and HTTP requests per scenario.

Scenarios (each on the same partnership, in order):

* first        the first sync of N contacts from the folder into an empty address book
* no-op        a sync with nothing to do (must be one request)
* edit-folder  1% of the contacts edited in the folder
* edit-server  1% of the contacts edited on the server by another client

syncgui runs in this process (the CLI's ``carddav:`` scheme is wired by the service); the
server is started here (``radicale`` next to this Python) on a free loopback port.
Only the generated cards with a UID are used (about 85%): Radicale refuses a card without
UID (400), which syncgui never sends (the engine adds the UID it keeps for the contact) but
vdirsyncer does, and vdirsyncer then stops the whole sync. Radicale 3.9 also refuses (400)
vCard 2.1 cards with quoted-printable text and a base64 photo ("Failed to serialize item");
those are left out too.

    .venv/bin/python benchmarks/bench_carddav.py --size 1000 --vdirsyncer /tmp/vds/bin/vdirsyncer
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

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


class SyncguiPair:
    def __init__(self, root: Path, book: str) -> None:
        self.root, self.book, self.folder = root, book, root / "folder"
        self.bases = BaseStore(":memory:")
        self.problems = 0  # items the last sync could not write or read

    def sync(self) -> int:
        """One session; the HTTP requests it made."""
        folder = open_folder_store(str(self.folder))
        book = open_store(self.book, user="alice", password=None)
        a = SimpleReplica(folder, MetadataStore(self.root / "a.sqlite", folder.identity))
        b = SimpleReplica(book, MetadataStore(self.root / "b.sqlite", book.identity))
        try:
            result = SyncSession(a, b, SessionSettings("bench"), self.bases).run()
            assert result.status in (Status.OK, Status.FAILED), result
            self.problems = len(result.errors)
            return book.client.requests
        finally:
            a.close()
            b.close()
            book.close()


class VdirsyncerPair:
    def __init__(self, exe: str, root: Path, book: str) -> None:
        self.exe, self.root = exe, root
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
        )
        if done.returncode:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
            print(f"vdirsyncer {' '.join(args)}: exit {done.returncode}", *tail, file=sys.stderr)

    def sync(self) -> int:
        self._run("sync")
        return -1  # not counted


def _refused_by_radicale(contact: Contact) -> bool:
    """Radicale 3.9 answers 400 to a vCard 2.1 card with quoted-printable text and a base64
    photo ("Failed to serialize item"); the engine would try it again at every sync."""
    data = contact.data
    return b"VERSION:2.1" in data and b"PHOTO;" in data and b"QUOTED-PRINTABLE" in data


def edit_on_server(book: str, contacts: list[Contact], share: float) -> None:
    """Another client edits ``share`` of the cards on the server."""
    store = open_store(book, user="alice", password=None)
    listing = store.list(None)
    assert listing.entries is not None
    keys = [e.key for e in listing.entries]
    step = max(1, round(1 / share))
    for n, key in enumerate(keys[::step]):
        data = store.read(key)
        at = data.rindex(b"END:VCARD")
        eol = b"\r\n" if b"\r\n" in data else b"\n"
        store.update(key, data[:at] + f"NOTE:server edit {n}".encode() + eol + data[at:])
    store.close()


def run_tool(
    name: str, make: Callable[[Path, str], SyncguiPair | VdirsyncerPair], size: int, work: Path
) -> dict[str, tuple[float, int]]:
    server = Radicale(work / f"{name}-server")
    try:
        book = server.new_book()
        root = work / name
        root.mkdir()
        contacts = [c for c in generate(size) if c.uid and not _refused_by_radicale(c)]
        write_vdir(root / "folder", contacts)
        pair = make(root, book)
        out: dict[str, tuple[float, int]] = {}

        def timed(label: str) -> None:
            start = time.perf_counter()
            requests = pair.sync()
            out[label] = (time.perf_counter() - start, requests)
            if isinstance(pair, SyncguiPair) and pair.problems:
                print(f"{name} {label}: {pair.problems} contacts not synced", file=sys.stderr)

        timed("first")
        timed("no-op")
        change_vdir(root / "folder", contacts, edit=0.01, delete=0, add=0, seed=7, next_number=size)
        timed("edit-folder")
        edit_on_server(book, contacts, 0.01)
        timed("edit-server")
        timed("no-op again")
        return out
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--vdirsyncer", help="a vdirsyncer 0.21 executable to compare with")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="syncgui-carddav-bench-"))
    try:
        results = {"syncgui": run_tool("syncgui", SyncguiPair, args.size, work)}
        if args.vdirsyncer:
            exe = args.vdirsyncer
            results["vdirsyncer"] = run_tool(
                "vdirsyncer", lambda root, book: VdirsyncerPair(exe, root, book), args.size, work
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.size} contacts generated, those with a UID used; Radicale 3.9")
    print(f"{'scenario':<14}" + "".join(f"{tool:>24}" for tool in results))
    for label in results["syncgui"]:
        row = f"{label:<14}"
        for tool in results:
            seconds, requests = results[tool][label]
            shown = f"{seconds:.2f} s" + (f" ({requests} req)" if requests >= 0 else "")
            row += f"{shown:>24}"
        print(row)


if __name__ == "__main__":
    main()
