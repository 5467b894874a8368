"""Accounts on CardDAV servers and their passwords, against a fake server (address books
that are folders) and keyring's own backends: an in-memory one, the fail and null ones.

A real Secret Service is in test_secret_service.py; real servers in tests/cli and
tests/carddav."""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from syncgui.engine.errors import SignInFailed
from syncgui.engine.events import Status
from syncgui.engine.provider import SimpleStore
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.service import (
    ConfigError,
    NoKeyring,
    PasswordCommandFailed,
    PasswordMissing,
    SyncService,
)
from syncgui.service.accounts import OnlineBook, find_book
from syncgui.service.secrets import SERVICE, run_password_command
from syncgui.service.stores import parse_spec
from tests.keyrings import MemoryKeyring
from tests.service.support import card, profile, write_cards

PASSWORD = "s3cret-Pässword"  # looked for in every file and log


@dataclass(frozen=True)
class Book:
    url: str
    name: str
    count: int | None


@dataclass
class FakeDav:
    """A CardDAV server whose address books are folders under ``root``; it accepts one user
    with one password and counts every sign-in."""

    root: Path
    user: str = "ann"
    password: str = PASSWORD
    books: dict[str, str] = field(default_factory=lambda: {"contacts": "Contacts"})
    signins: list[str] = field(default_factory=list)

    def _check(self, user: str | None, password: str | None) -> None:
        self.signins.append(str(user))
        if (user, password) != (self.user, self.password):
            raise SignInFailed(
                "https://dav.example.org: the user name or password is wrong",
                server="dav.example.org",
            )

    def book_url(self, segment: str) -> str:
        return f"https://dav.example.org/{self.user}/{segment}/"

    def folder(self, segment: str) -> Path:
        return self.root / segment

    def discover(
        self, url: str, *, user: str | None, password: str | None, ca_file: str | None = None
    ) -> Sequence[Book]:
        self._check(user, password)
        out = []
        for segment, name in self.books.items():
            folder = self.folder(segment)
            folder.mkdir(parents=True, exist_ok=True)
            out.append(Book(self.book_url(segment), name, len(list(folder.glob("*.vcf")))))
        return out

    def open_store(
        self,
        url: str,
        *,
        user: str | None,
        password: str | None,
        ca_file: str | None = None,
        name: str | None = None,
    ) -> SimpleStore:
        self._check(user, password)
        segment = url.rstrip("/").rpartition("/")[2]
        return open_folder_store(str(self.folder(segment)))


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def dav(tmp_path: Path) -> FakeDav:
    server = FakeDav(tmp_path / "server")
    write_cards(server.folder("contacts"), {"a.vcf": card("a", "Ann"), "b.vcf": card("b", "Bo")})
    return server


def _service(tmp_path: Path, dav: FakeDav) -> SyncService:
    return SyncService(profile(tmp_path), real_backend=None, carddav=dav)


def _files_under(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        if folder.exists():
            yield from (p for p in folder.rglob("*") if p.is_file())


def _assert_nowhere(tmp_path: Path, secret: str) -> None:
    service = profile(tmp_path)
    for path in _files_under(service.config_dir, service.data_dir, service.log_dir):
        assert secret.encode() not in path.read_bytes(), path


def test_add_signs_in_keeps_the_password_in_the_keyring_only(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = _service(tmp_path, dav)
    added = service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    assert [(b.name, b.segment, b.count) for b in added.books] == [("Contacts", "contacts", 2)]
    assert not added.replaced
    assert memory_keyring.items == {(SERVICE, "nc"): PASSWORD}
    [account] = service.accounts()
    assert (account.name, account.user, account.password_source) == ("nc", "ann", "keyring")
    path = tmp_path / "config" / "accounts.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PASSWORD not in path.read_text("utf-8")
    _assert_nowhere(tmp_path, PASSWORD)
    assert PASSWORD not in caplog.text
    assert "nc" in caplog.text  # the account is logged by name


def test_a_wrong_password_keeps_nothing(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    with pytest.raises(SignInFailed, match="password is wrong"):
        service.add_account("nc", "https://dav.example.org/", "ann", password="wrong")
    assert memory_keyring.items == {}
    assert service.accounts() == []


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), chainer.ChainerBackend()])
def test_without_a_usable_keyring_it_says_so_and_offers_a_password_command(
    tmp_path: Path, dav: FakeDav, backend: KeyringBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a chain of nothing usable (as on a server without D-Bus; keyring would find this
    # test suite's MemoryKeyring otherwise)
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [fail.Keyring(), null.Keyring()])
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        service = _service(tmp_path, dav)
        with pytest.raises(NoKeyring, match="--password-command") as caught:
            service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
        assert "keyring" in caught.value.message
        with pytest.raises(NoKeyring):
            service.check_keyring()
    finally:
        keyring.set_keyring(before)
    assert dav.signins == []  # refused before signing in: nothing sent, nothing kept
    assert service.accounts() == []
    assert not (tmp_path / "config" / "accounts.json").exists()


def test_a_password_command_is_kept_and_run_at_each_sign_in(
    tmp_path: Path, dav: FakeDav, no_keyring: None
) -> None:
    script = tmp_path / "pw.py"
    script.write_text(f"print({PASSWORD!r})\nprint('second line is not the password')\n")
    command = [sys.executable, str(script)]
    service = _service(tmp_path, dav)
    added = service.add_account("nc", "https://dav.example.org/", "ann", password_command=command)
    assert added.account.password_command == tuple(command)
    assert service.accounts()[0].password_source == "command"
    assert [b.count for b in service.address_books("nc")] == [2]
    assert dav.signins == ["ann", "ann"]
    _assert_nowhere(tmp_path, PASSWORD)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import sys; sys.stderr.write('no such entry\\n'); sys.exit(1)", "no such entry"),
        ("pass", "printed no password"),
        ("import time; time.sleep(5)", "no answer within 1 s"),
    ],
)
def test_a_failing_password_command_says_what_went_wrong(
    tmp_path: Path, code: str, message: str
) -> None:
    with pytest.raises(PasswordCommandFailed, match=message):
        run_password_command([sys.executable, "-c", code], timeout=1)
    with pytest.raises(PasswordCommandFailed, match="not found"):
        run_password_command([str(tmp_path / "no-such-command")])


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://dav.example.org/", "https://"),
        ("ftp://dav.example.org/", "not a server address"),
        ("https://ann:pw@dav.example.org/", "does not belong in the address"),
    ],
)
def test_unsafe_addresses_are_refused(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring, url: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        _service(tmp_path, dav).add_account("nc", url, "ann", password=PASSWORD)
    assert dav.signins == []


@pytest.mark.parametrize("host", ["127.0.0.1:5232", "localhost", "[::1]:8080", "127.1.2.3"])
def test_plain_http_is_allowed_on_this_computer_only(host: str) -> None:
    assert parse_spec(f"carddav:http://{host}/ann/contacts/").location.startswith("http://")


def test_store_specs_for_online_address_books() -> None:
    assert str(parse_spec("carddav:nc/Contacts")) == "carddav:nc/Contacts"
    assert str(parse_spec("carddav:nc/Family/")) == "carddav:nc/Family"
    for bad in ("carddav:nc", "carddav:nc/", "carddav:/contacts"):
        with pytest.raises(ConfigError, match="carddav:ACCOUNT/BOOK"):
            parse_spec(bad)
    with pytest.raises(ConfigError, match="http://"):
        parse_spec("carddav:http://dav.example.org/ann/contacts/")
    with pytest.raises(ConfigError, match=r"carddav:URL.*carddav:ACCOUNT/BOOK"):
        parse_spec("webdav:x")


def test_a_partnership_with_an_account_book_syncs_and_keeps_the_account(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    local = tmp_path / "local"
    p, _notes = service.add_partnership("p", f"vdir:{local}", "carddav:nc/CONTACTS")
    assert p.b == "carddav:nc/contacts"  # the path's end: stays when the book is renamed
    [result] = service.sync(["p"])
    assert result.to_a.created == 2
    assert sorted(f.name for f in local.glob("*.vcf")) == ["a.vcf", "b.vcf"]
    with pytest.raises(ConfigError, match=r"used by the partnership\(s\) p"):
        service.remove_account("nc")
    assert memory_keyring.items  # refused: the password stays
    service.remove_partnership("p")
    service.remove_account("nc")
    assert memory_keyring.items == {}
    assert service.accounts() == []


def test_a_book_not_seen_at_sign_in_is_looked_for_once_more(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    dav.books["work"] = "Work"
    p, _ = service.add_partnership("w", f"vdir:{tmp_path / 'w'}", "carddav:nc/Work")
    assert p.b == "carddav:nc/work"
    assert [b.segment for b in service.accounts()[0].books] == ["contacts", "work"]
    with pytest.raises(ConfigError, match=r"no address book 'Home'.*Contacts \(contacts\)"):
        service.add_partnership("h", f"vdir:{tmp_path / 'h'}", "carddav:nc/Home")
    with pytest.raises(ConfigError, match="no account named 'other'"):
        service.add_partnership("o", f"vdir:{tmp_path / 'o'}", "carddav:other/Contacts")


def test_books_are_found_by_path_end_first_then_by_name() -> None:
    books = [
        OnlineBook("Family", "https://h/ann/contacts/"),
        OnlineBook("contacts", "https://h/ann/x1/"),
        OnlineBook("Work", "https://h/ann/w%20a/"),
        OnlineBook("Work", "https://h/ann/w2/"),
    ]
    assert find_book(books, "contacts") is books[0]
    assert find_book(books, "Family") is books[0]
    assert find_book(books, "w a") is books[2]
    assert find_book(books, "nothing") is None
    with pytest.raises(ConfigError, match=r"more than one.*w a, w2"):
        find_book(books, "Work")


def test_adding_again_replaces_the_password_and_another_server_is_refused(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    dav.password = "new-password"
    again = service.add_account("nc", "https://dav.example.org/", "ann", password="new-password")
    assert again.replaced
    assert memory_keyring.items == {(SERVICE, "nc"): "new-password"}
    with pytest.raises(ConfigError, match="exists already"):
        service.add_account("nc", "https://other.example.org/", "ann", password="x")
    assert len(service.accounts()) == 1


def test_a_missing_password_or_user_is_a_clear_error(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    memory_keyring.items.clear()  # e.g. deleted in the keyring's own window
    with pytest.raises(PasswordMissing, match="no password for account 'nc'"):
        service.address_books("nc")
    with pytest.raises(ConfigError, match="add --user"):
        service.add_account("x", "https://dav.example.org/", None, password=PASSWORD)
    with pytest.raises(ConfigError, match="not a usable account name"):
        service.add_account("a/b", "https://dav.example.org/", "ann", password=PASSWORD)
    with pytest.raises(ConfigError, match="CA file"):
        service.add_account(
            "y", "https://dav.example.org/", "ann", password=PASSWORD, ca_file="/nowhere.pem"
        )


def test_an_accounts_file_others_could_read_is_made_private_again(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    path = tmp_path / "config" / "accounts.json"
    os.chmod(path, 0o644)
    assert [a.name for a in service.accounts()] == ["nc"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        service.accounts()


def test_cards_in_an_account_book_are_counted_and_an_unreachable_one_is_none(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    assert service.count_cards("carddav:nc/Contacts") == 2
    dav.password = "changed-on-the-server"
    assert service.count_cards("carddav:nc/contacts") is None


def test_removing_where_the_keyring_cannot_be_reached_keeps_the_account(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(NoKeyring, match="remove the account where it can"):
        service.remove_account("nc")
    assert [a.name for a in service.accounts()] == ["nc"]


def test_a_refused_password_is_named_by_the_sync_and_a_new_one_kept_only_when_accepted(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    folder = tmp_path / "folder"
    folder.mkdir()
    service.add_partnership("nc", f"vdir:{folder}", "carddav:nc/contacts")
    dav.password = "changed on the server"  # the user changed it in Nextcloud

    [result] = service.sync(["nc"])
    assert result.status is Status.FAILED
    assert result.refused_sign_in == "nc"  # the app asks for this account's password
    assert "password" in result.errors[0].message
    assert list(folder.iterdir()) == []  # nothing happened, nothing was deleted

    with pytest.raises(SignInFailed):
        service.set_password("nc", "a typo")
    assert memory_keyring.items[(SERVICE, "nc")] == PASSWORD  # a refused one is not kept
    books = service.set_password("nc", "changed on the server")
    assert [b.name for b in books] == ["Contacts"]
    assert memory_keyring.items[(SERVICE, "nc")] == "changed on the server"
    [result] = service.sync(["nc"])
    assert result.status is Status.OK and not result.refused_sign_in
    assert len(list(folder.glob("*.vcf"))) == 2


def test_whose_sign_in_was_refused_among_a_partnerships_stores(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    accounts = service._accounts
    assert accounts.refused(["vdir:/x", "carddav:nc/contacts"], "dav.example.org") == "nc"
    # a book on another host than the account's own (iCloud's shards): still the account
    assert accounts.refused(["vdir:/x", "carddav:nc/contacts"], "p42-contacts.example") == "nc"
    # an address book given by URL has no account: the server is named
    spec = "carddav:https://other.example/dav/book/"
    assert accounts.refused(["vdir:/x", spec], "other.example") == "other.example"
    assert accounts.refused([spec, "carddav:nc/contacts"], "dav.example.org") == "nc"


def test_a_password_from_a_command_cannot_be_replaced_here(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    command = [sys.executable, "-c", f"print({PASSWORD!r})"]
    service.add_account("nc", "https://dav.example.org/", "ann", password_command=command)
    with pytest.raises(ConfigError, match="change the password where that command reads it"):
        service.set_password("nc", "new")


def test_an_account_book_given_by_its_address_is_the_same_store(
    tmp_path: Path, dav: FakeDav, memory_keyring: MemoryKeyring
) -> None:
    service = _service(tmp_path, dav)
    service.add_account("nc", "https://dav.example.org/", "ann", password=PASSWORD)
    first, _notes = service.add_partnership("one", f"vdir:{tmp_path / 'a'}", "carddav:nc/Contacts")
    # the same book by its address (other case, no slash at the end, a user name in it)
    url = "https://ann@DAV.example.org/ann/contacts"
    second, _notes = service.add_partnership("two", f"vdir:{tmp_path / 'b'}", f"carddav:{url}")
    assert first.b == second.b == "carddav:nc/contacts"  # one store, one sync state
    accounts = service._accounts
    assert accounts.holding("https://dav.example.org/ann/other/") is None  # kept as given
