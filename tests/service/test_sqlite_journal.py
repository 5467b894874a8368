"""Sync state on a file system where SQLite's write-ahead log fails (NFS, SMB, 9p homes).

The real test mounts a FUSE file system that cannot map files shared into memory — bindfs
with direct I/O, as NFS, SMB and 9p shares behave for SQLite's ``-shm`` file — and runs
syncgui-cli with its data folder there: before the fallback, every command that opened a
database failed with "disk I/O error" and no sync ran. bindfs comes from
``scripts/setup-system``; the real tests are required in CI and skipped elsewhere when it or
/dev/fuse is missing. The same runs on a real 9p share in the MTP test guest (tests/mtp_guest,
required in CI as well). A fast test simulates the failure on an ordinary folder."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncgui.engine import sqlite as sqlite_mod
from syncgui.engine.sqlite import connect, journal_mode
from tests.mtp_guest import guest as g
from tests.mtp_guest.build import GuestImage
from tests.service.support import card, write_cards


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the FUSE test file system is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no FUSE test file system: {reason}")


@pytest.fixture
def no_shared_memory_fs(tmp_path: Path) -> Iterator[Path]:
    """A folder on a FUSE mount (bindfs -o direct_io) where shared mmap, and so WAL, fails."""
    bindfs = shutil.which("bindfs")
    unmount = shutil.which("fusermount3") or shutil.which("fusermount")
    if bindfs is None or unmount is None:
        _unavailable("bindfs or fusermount is not installed (scripts/setup-system)")
    if not os.path.exists("/dev/fuse"):
        _unavailable("/dev/fuse is missing")
    assert bindfs is not None and unmount is not None
    source, mount = tmp_path / "backing", tmp_path / "mnt"
    source.mkdir()
    mount.mkdir()
    run = subprocess.run(
        [bindfs, "--no-allow-other", "-o", "direct_io", str(source), str(mount)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if run.returncode != 0:
        _unavailable(f"bindfs failed: {run.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run([unmount, "-u", str(mount)], check=False, timeout=60)


@pytest.fixture(autouse=True)
def _fresh_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test finds out afresh which folders can hold a WAL (the answer is per process)."""
    monkeypatch.setattr(sqlite_mod, "_modes", {})


def test_the_test_file_system_really_breaks_wal(no_shared_memory_fs: Path) -> None:
    """The premise: plain SQLite in WAL mode cannot write there (what users on NFS met)."""
    db = sqlite3.connect(str(no_shared_memory_fs / "plain.sqlite"), isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
            db.execute("CREATE TABLE t(x)")
    finally:
        db.close()


def test_cli_syncs_with_its_data_folder_on_that_file_system(
    no_shared_memory_fs: Path, tmp_path: Path
) -> None:
    """A new user with an NFS home: partnership add, sync, history, a second sync all work,
    and the log file says which journal is used and why."""
    book = write_cards(tmp_path / "book", {"ann.vcf": card("ann", "Ann Example")})
    other = tmp_path / "other"
    data = no_shared_memory_fs / "data"
    env = {**os.environ, "SYNCGUI_CONFIG_DIR": str(tmp_path / "config")}
    env["SYNCGUI_DATA_DIR"] = str(data)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "syncgui.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )

    add = cli("partnership", "add", "home", f"vdir:{book}", f"vdir:{other}")
    assert add.returncode == 0, add.stderr
    first = cli("sync", "home")
    assert first.returncode == 0, first.stderr
    assert "disk I/O error" not in first.stderr
    assert (other / "ann.vcf").read_bytes() == (book / "ann.vcf").read_bytes()
    (other / "ann.vcf").write_text(card("ann", "Ann Changed"), newline="")
    second = cli("sync", "home")
    assert second.returncode == 0, second.stderr
    assert "Ann Changed" in (book / "ann.vcf").read_text()
    history = cli("history")
    assert history.returncode == 0 and "Ann Example" in history.stdout
    logged = (data / "logs" / "syncgui.log").read_text()
    assert "use a rollback journal" in logged and "SQLITE_IOERR_SHMMAP" in logged


def test_two_connections_share_a_database_there(no_shared_memory_fs: Path) -> None:
    """The desktop app reads a store's conflicts while a sync writes to it: with a rollback
    journal and normal locking, both connections work (a commit waits for no reader)."""
    path = no_shared_memory_fs / "meta.sqlite"
    writer, reader = connect(path), connect(path)
    try:
        assert journal_mode(writer) == "delete"
        writer.execute("CREATE TABLE t(x)")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO t VALUES (1)")
        writer.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)
        reader.execute("BEGIN IMMEDIATE")
        reader.execute("INSERT INTO t VALUES (2)")
        reader.execute("COMMIT")
        assert writer.execute("SELECT count(*) FROM t").fetchone() == (2,)
    finally:
        writer.close()
        reader.close()
    assert not list(no_shared_memory_fs.glob(".syncgui-wal-check*"))  # the probe tidied up


def test_a_database_left_in_wal_mode_there_is_switched(no_shared_memory_fs: Path) -> None:
    """An older syncgui left its database in WAL mode (the header says so, and plain SQLite
    can no longer even read it there): it opens, switched to a rollback journal."""
    path = no_shared_memory_fs / "old.sqlite"
    raw = sqlite3.connect(str(path), isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.close()
    again = sqlite3.connect(str(path), isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        again.execute("SELECT count(*) FROM sqlite_master")
    again.close()
    db = connect(path)
    try:
        db.execute("CREATE TABLE kept(x)")
        db.execute("INSERT INTO kept VALUES (1)")
        assert journal_mode(db) == "delete"
    finally:
        db.close()
    check = sqlite3.connect(str(path))
    assert check.execute("SELECT x FROM kept").fetchall() == [(1,)]
    check.close()


def test_wal_on_an_ordinary_folder(tmp_path: Path) -> None:
    db = connect(tmp_path / "x.sqlite")
    try:
        assert journal_mode(db) == "wal"
        assert db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    finally:
        db.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_in_memory_database_still_opens() -> None:
    db = connect(":memory:")
    try:
        db.execute("CREATE TABLE t(x)")
        assert journal_mode(db) == "memory"
    finally:
        db.close()


def test_simulated_wal_failure_falls_back_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Fast and everywhere: the shared-memory map fails (as SQLite reports it on NFS); the
    databases of that folder use a rollback journal with synchronous=FULL, it is logged once,
    and threads that open databases at once all get working connections."""
    calls = []

    def refuse(db: sqlite3.Connection) -> None:
        calls.append(db)
        raise sqlite_mod.WalUnusable("disk I/O error (SQLITE_IOERR_SHMMAP)")

    monkeypatch.setattr(sqlite_mod, "_try_wal", refuse)
    caplog.set_level("INFO", logger="syncgui.engine.sqlite")
    opened: list[sqlite3.Connection] = []

    def open_one(n: int) -> None:
        opened.append(connect(tmp_path / f"db{n % 2}.sqlite"))

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(opened) == 6
        for db in opened:
            assert journal_mode(db) == "delete"
            assert db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        opened[0].execute("CREATE TABLE IF NOT EXISTS t(x)")
    finally:
        for db in opened:
            db.close()
    assert len(calls) == 1  # the folder was probed once
    notes = [r.getMessage() for r in caplog.records if "rollback journal" in r.getMessage()]
    assert len(notes) == 1 and "SQLITE_IOERR_SHMMAP" in notes[0]


def test_cli_syncs_with_its_data_folder_on_a_9p_share(
    tmp_path: Path, mtp_guest_image: GuestImage
) -> None:
    """The same on 9p, the file system of VM shares (QEMU's virtio-9p, WSL's drives): in
    the MTP test guest, a second share mounted as a user would (no ``cache=mmap``) is the
    data folder; plain SQLite's WAL fails there, syncgui-cli adds a partnership and syncs."""
    image = mtp_guest_image
    work, share = tmp_path / "work", tmp_path / "share"
    share.mkdir()
    book = write_cards(work / "book", {"ann.vcf": card("ann", "Ann Example")})
    command = f"""
set -e
mkdir -p /tmp/nine
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 nine /tmp/nine
{sys.executable} - <<'PY'
import sqlite3
db = sqlite3.connect("/tmp/nine/plain.sqlite", isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
try:
    db.execute("CREATE TABLE t(x)")
    print("plain WAL: written")
except sqlite3.OperationalError as err:
    print("plain WAL:", err, err.sqlite_errorname)
PY
export SYNCGUI_CONFIG_DIR={work}/config SYNCGUI_DATA_DIR=/tmp/nine/data
{sys.executable} -m syncgui.cli partnership add p vdir:{book} vdir:{work}/other
{sys.executable} -m syncgui.cli sync p
grep -h "rollback journal" /tmp/nine/data/logs/syncgui.log
"""
    g._prepare(work, command, g.default_env(), 0, [])
    argv = g.qemu_command(g.check_host(), image, work, [])
    argv += g._share("nine", share, readonly=False)
    output, _seconds, _boot, status = g._run_qemu(argv, g._qemu_env(image), 600)
    assert status is not None, output[-3000:]
    rc = (work / ".guest" / "rc").read_text().strip()
    assert rc == "0", output[-3000:]
    assert "plain WAL: disk I/O error SQLITE_IOERR_SHMMAP" in output
    assert "p: synced" in output and "use a rollback journal" in output
    assert (work / "other" / "ann.vcf").read_bytes() == (book / "ann.vcf").read_bytes()
