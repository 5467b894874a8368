"""A real Secret Service: gnome-keyring-daemon on a private D-Bus session keeps an account's
password that one process stored through syncgui; new processes under the same session
read it back, then forget it. The password appears in no file under the config and data
folders (logs included), in no output, and not in the clear in the keyring's own files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.service.test_accounts import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (Debian: dbus, gnome-keyring)",
)

# each step is a new process; a fake server that accepts only the right password
CHILD = textwrap.dedent(
    """
    import sys
    from dataclasses import dataclass
    from pathlib import Path

    import keyring

    from syncgui.engine.errors import StoreUnavailable
    from syncgui.service import PasswordMissing, SyncService, resolve_paths, setup_logging

    PASSWORD = sys.stdin.readline().rstrip("\\n")


    @dataclass(frozen=True)
    class Book:
        url: str
        name: str
        count: int


    class Server:
        def discover(self, url, *, user, password, ca_file=None):
            if (user, password) != ("ann", PASSWORD):
                raise StoreUnavailable("wrong password")
            return [Book("https://dav.example.org/ann/contacts/", "Contacts", 3)]


    step, config, data = sys.argv[1:4]
    paths = resolve_paths(config, data)
    setup_logging(paths.log_dir, 2)  # everything, to the log file and to stderr
    service = SyncService(paths, real_backend=None, carddav=Server())
    print("backend", type(keyring.get_keyring()).__module__)
    if step == "store":
        added = service.add_account(
            "nc", "https://dav.example.org/", "ann", password=PASSWORD
        )
        print("stored", [b.name for b in added.books])
    elif step == "read":
        print("read", [(b.name, b.count) for b in service.address_books("nc")])
    elif step == "remove":
        service.remove_account("nc")
        print("removed")
    else:  # the keyring itself no longer has it
        from syncgui.service.secrets import read_password

        try:
            read_password("nc")
        except PasswordMissing as err:
            print("gone:", err.message)
    """
)


def _session(tmp_path: Path, *steps: str) -> subprocess.CompletedProcess[str]:
    """Run ``steps`` of the child, each a new process, under one new D-Bus session with
    gnome-keyring-daemon unlocked (its keyring lives under the test's own HOME)."""
    home, runtime = tmp_path / "home", tmp_path / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)  # keyring chooses, as it does for a user
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    config, data = tmp_path / "config", tmp_path / "data"
    one = f"{sys.executable} {child} STEP {config} {data} < {tmp_path / 'pw'}"
    script = (
        "echo -n unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        + " && ".join(one.replace("STEP", s) for s in steps)
    )
    return subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _assert_not_in_files(folders: list[Path]) -> list[Path]:
    found = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    for path in found:
        assert PASSWORD.encode() not in path.read_bytes(), path
    return found


def test_a_password_kept_in_the_secret_service_is_read_by_a_new_process(tmp_path: Path) -> None:
    config, data, home = tmp_path / "config", tmp_path / "data", tmp_path / "home"
    run = _session(tmp_path, "store", "read")
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert run.stdout.count("backend keyring.backends.SecretService") == 2, said
    assert "stored ['Contacts']" in run.stdout
    assert "read [('Contacts', 3)]" in run.stdout  # a new process signed in with it
    assert PASSWORD not in said
    logs = list((data / "logs").glob("syncgui.log*"))
    assert logs, "the children log to a file"
    assert "account nc" in logs[0].read_text("utf-8")
    assert config / "accounts.json" in _assert_not_in_files([config, data])
    # the keyring's own files hold it encrypted, not in the clear
    assert _assert_not_in_files([home / ".local/share/keyrings"])

    # a later login session: the keyring on disk still has it; removing forgets it
    run = _session(tmp_path, "read", "remove", "gone")
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "read [('Contacts', 3)]" in run.stdout
    assert "removed" in run.stdout
    assert "gone: the keyring holds no password for account 'nc'" in run.stdout
    assert PASSWORD not in said
    _assert_not_in_files([config, data, home])
