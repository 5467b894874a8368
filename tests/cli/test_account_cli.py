"""``syncgui-cli account add|list|remove``: offline against a fake server (address books
that are folders) and keyring's backends, and end to end against a real Radicale with
htpasswd sign-in once the CardDAV provider is there."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from syncgui.service import accounts as accounts_module
from syncgui.service.secrets import SERVICE
from tests.carddav.servers import Server
from tests.carddav.servers import radicale_auth as _radicale_auth  # noqa: F401 - a fixture
from tests.carddav.servers import xandikos as _xandikos  # noqa: F401 - a fixture
from tests.cli.conftest import Cli
from tests.keyrings import MemoryKeyring
from tests.service.support import card, write_cards
from tests.service.test_accounts import PASSWORD, FakeDav

URL = "https://dav.example.org/"


@pytest.fixture
def dav(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeDav:
    server = FakeDav(tmp_path / "server", books={"contacts": "Contacts", "work": "Work"})
    write_cards(server.folder("contacts"), {"a.vcf": card("a", "Ann"), "b.vcf": card("b", "Bo")})
    monkeypatch.setattr(accounts_module, "_default_client", lambda: server)
    return server


@pytest.fixture
def no_keyring_here() -> Iterator[None]:
    """No keyring at all: a password command is the only way in."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str, *, tty: bool = False) -> None:
    stream = io.StringIO(text)
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", stream)


def test_help_names_the_online_store_specs_and_the_account_commands() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "syncgui.cli", "--help"], capture_output=True, text=True, check=True
    )
    for word in ("carddav:URL", "carddav:ACCOUNT/BOOK", "account"):
        assert word in run.stdout
    run = subprocess.run(
        [sys.executable, "-m", "syncgui.cli", "account", "add", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for word in ("--user", "--password-stdin", "--password-command", "--ca-file"):
        assert word in run.stdout


def test_add_with_password_stdin_lists_books_with_counts(
    cli: Cli, dav: FakeDav, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    code, out, err = cli("account", "add", "nc", URL, "--user", "ann", "--password-stdin")
    assert code == 0, err
    assert "Signed in to https://dav.example.org/ as ann" in out
    assert "password in the keyring" in out
    assert "Contacts     2 cards  carddav:nc/contacts" in out
    assert "Work         0 cards  carddav:nc/work" in out
    assert memory_keyring.items == {(SERVICE, "nc"): PASSWORD}
    code, out, _ = cli("account", "list")
    assert out.splitlines() == [
        "nc: ann at https://dav.example.org/ (password in the keyring)",
        "    Contacts  carddav:nc/contacts",
        "    Work      carddav:nc/work",
    ]
    code, listed = cli.json("account", "list")
    assert listed[0]["password"] == "keyring"
    assert listed[0]["books"][1] == {
        "name": "Work",
        "url": "https://dav.example.org/ann/work/",
        "spec": "carddav:nc/work",
    }
    assert PASSWORD not in json.dumps(listed)


def test_a_wrong_password_is_said_and_nothing_is_kept(
    cli: Cli, dav: FakeDav, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "wrong\n")
    code, _out, err = cli("account", "add", "nc", URL, "--user", "ann", "--password-stdin")
    assert code == 1
    assert "password is wrong" in err
    assert memory_keyring.items == {}
    assert cli("account", "list")[1].startswith("No accounts yet.")


def test_no_keyring_is_said_before_asking_and_a_password_command_works(
    cli: Cli, dav: FakeDav, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        _stdin(monkeypatch, "", tty=True)
        monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("asked"))
        code, _out, err = cli("account", "add", "nc", URL, "--user", "ann")
        assert code == 2
        assert "no usable keyring" in err
        assert "--password-command" in err
        script = tmp_path / "pw.py"
        script.write_text(f"print({PASSWORD!r})\n")
        command = f"{sys.executable} {script}"
        code, out, err = cli(
            "account", "add", "nc", URL, "--user", "ann", "--password-command", command
        )
        assert code == 0, err
        assert f"password from `{shlex.join(command.split())}`" in out
    finally:
        keyring.set_keyring(before)


def test_a_terminal_is_asked_and_a_pipe_without_options_is_refused(
    cli: Cli, dav: FakeDav, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "", tty=False)
    code, _out, err = cli("account", "add", "nc", URL, "--user", "ann")
    assert code == 2
    assert "--password-stdin or --password-command" in err
    _stdin(monkeypatch, "", tty=True)
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or PASSWORD)
    code, _out, err = cli("account", "add", "nc", URL, "--user", "ann")
    assert code == 0, err
    assert asked == [f"Password for ann at {URL}: "]


def test_remove_forgets_the_password_and_is_refused_while_in_use(
    cli: Cli,
    dav: FakeDav,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert cli("account", "add", "nc", URL, "--user", "ann", "--password-stdin")[0] == 0
    local = tmp_path / "local"
    code, out, err = cli("partnership", "add", "p", f"vdir:{local}", "carddav:nc/Contacts")
    assert code == 0, err
    assert "B = carddav:nc/contacts" in out
    code, out, err = cli("sync", "p")
    assert code == 0, err
    assert "A 2 added" in out
    code, _out, err = cli("account", "remove", "nc")
    assert code == 2
    assert "used by the partnership(s) p" in err
    assert cli("partnership", "remove", "p")[0] == 0
    code, out, _ = cli("account", "remove", "nc")
    assert code == 0
    assert "Removed the account nc and its password" in out
    assert memory_keyring.items == {}
    code, _out, err = cli("account", "remove", "nc")
    assert code == 2
    assert "no account named 'nc'" in err


def test_plain_http_to_another_computer_is_refused(cli: Cli, dav: FakeDav) -> None:
    code, _out, err = cli(
        "account", "add", "nc", "http://dav.example.org/", "--password-command", "x"
    )
    assert code == 2
    assert "use https://" in err


# -- end to end: a real Radicale with htpasswd sign-in (tests/carddav/servers.py) ----------


@pytest.fixture
def htpasswd_radicale(request: pytest.FixtureRequest) -> Server:
    """Radicale with htpasswd sign-in (user alice), started once for this module."""
    server: Server = request.getfixturevalue("_radicale_auth")
    return server


def _radicale_book(server: Server, name: str, cards: int) -> str:
    """A new address book called ``name`` on ``server`` holding ``cards`` cards; its URL."""
    import httpx

    url = server.new_book(name)
    for n in range(cards):
        uid = f"{name.lower()}-{n}"
        body = card(uid, f"Person {n} of {name}").encode()
        reply = httpx.put(
            f"{url}{uid}.vcf",
            content=body,
            headers={"Content-Type": "text/vcard", "If-None-Match": "*"},
            auth=server.auth(),
        )
        assert reply.status_code == 201, reply.text
    return url


def _password_command(tmp_path: Path, password: str) -> str:
    script = tmp_path / f"pw-{len(list(tmp_path.glob('pw-*')))}.py"
    script.write_text(f"print({password!r})\n")
    return f"{sys.executable} {script}"


def test_radicale_add_an_account_list_its_book_and_sync_through_it(
    cli: Cli, htpasswd_radicale: Server, tmp_path: Path, no_keyring_here: None
) -> None:
    server = htpasswd_radicale
    url = _radicale_book(server, "Friends", 3)
    segment = url.rstrip("/").rpartition("/")[2]
    command = _password_command(tmp_path, server.password or "")
    code, out, err = cli(
        "account", "add", "rad", f"{server.base}/", "--user", "alice", "--password-command", command
    )
    assert code == 0, err
    assert re.search(rf"Friends +3 cards +carddav:rad/{segment}\n", out), out
    local = tmp_path / "local"
    code, out, err = cli("partnership", "add", "p", f"vdir:{local}", "carddav:rad/Friends")
    assert code == 0, err
    assert f"B = carddav:rad/{segment}" in out
    code, out, err = cli("sync", "p")
    assert code == 0, err + out
    assert "A 3 added" in out
    assert len(list(local.glob("*.vcf"))) == 3
    (local / "new.vcf").write_text(card("new", "New Person"), newline="")
    code, out, err = cli("sync", "p")
    assert code == 0, err + out
    assert "B 1 added" in out
    code, out, _err = cli(
        "account", "add", "rad", f"{server.base}/", "--user", "alice", "--password-command", command
    )
    assert re.search(r"Friends +4 cards", out), out  # the new card is on the server
    for path in (tmp_path / "config").rglob("*"):  # the config and data folders, logs too
        assert not path.is_file() or b"s3cret" not in path.read_bytes(), path
    for path in (tmp_path / "data").rglob("*"):
        assert not path.is_file() or b"s3cret" not in path.read_bytes(), path


def test_radicale_a_wrong_password_says_so(
    cli: Cli, htpasswd_radicale: Server, tmp_path: Path, no_keyring_here: None
) -> None:
    command = _password_command(tmp_path, "not-the-password")
    code, out, err = cli(
        "account",
        "add",
        "rad",
        f"{htpasswd_radicale.base}/",
        "--user",
        "alice",
        "--password-command",
        command,
    )
    assert code == 1, out
    assert "password" in err.lower()
    assert cli("account", "list")[1].startswith("No accounts yet.")


def test_xandikos_an_account_without_sign_in_finds_the_book_and_syncs(
    cli: Cli, request: pytest.FixtureRequest, tmp_path: Path, no_keyring_here: None
) -> None:
    server: Server = request.getfixturevalue("_xandikos")
    code, out, err = cli("account", "add", "x", f"{server.base}/")
    assert code == 0, err
    assert "as no user; account x kept (no password)" in out
    assert re.search(r"carddav:x/addressbook\n", out), out
    local = tmp_path / "local"
    local.mkdir()
    (local / "ann.vcf").write_text(card("ann-x", "Ann Xandikos"), newline="")
    code, out, err = cli("partnership", "add", "p", f"vdir:{local}", "carddav:x/addressbook")
    assert code == 0, err
    code, out, err = cli("sync", "p")
    assert code == 0, err + out
    assert "B 1 added" in out
    assert cli("sync", "p")[1].startswith("p: synced: A 0 added, 0 changed, 0 deleted; B 0 added")
