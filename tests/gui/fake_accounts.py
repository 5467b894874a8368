"""Accounts on CardDAV servers, in memory, for :class:`~tests.gui.fake_service.FakeDesktop`:
servers the test declares (their address books and the one password each accepts); a
refused password raises the engine's SignInFailed, an unknown server StoreUnavailable, as
the real service does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from syncgui.engine import SignInFailed, StoreUnavailable
from syncgui.service import Account, AddedAccount, ConfigError, OnlineBook

__all__ = ["FakeAccounts", "FakeServer"]


@dataclass
class FakeServer:
    """A server the fake knows: who may sign in, with which password, and its books."""

    user: str | None
    password: str | None
    books: list[OnlineBook]


class FakeAccounts:
    """The account half of the SyncPort fake (mixed into FakeDesktop)."""

    def __init__(self) -> None:
        self.servers: dict[str, FakeServer] = {}  # URL -> server
        self.account_book: dict[str, Account] = {}
        self.kept: dict[str, str] = {}  # account -> password "in the keyring"
        self.keyring_error: str | None = None  # set: check_keyring and add_account fail

    def _record(self, method: str, args: object = None) -> None:  # FakeDesktop's
        raise NotImplementedError

    def add_server(
        self,
        url: str,
        books: Sequence[tuple[str, int]],
        user: str | None = "ann",
        password: str | None = "pw",
    ) -> None:
        """A server at ``url`` with address books (name, cards)."""
        base = url.rstrip("/")
        found = [OnlineBook(name, f"{base}/{name.lower()}/", count) for name, count in books]
        self.servers[url] = FakeServer(user, password, found)

    def _sign_in(self, url: str, user: str | None, password: str | None) -> list[OnlineBook]:
        server = self.servers.get(url)
        if server is None:
            host = urlsplit(url).netloc or url
            raise StoreUnavailable(
                f"The CardDAV server {host} is unknown. Check the server address and your "
                "connection."
            )
        if (user, password) != (server.user, server.password):
            host = urlsplit(url).netloc
            raise SignInFailed(
                f"The CardDAV server {host} did not accept the user name or password. Enter "
                "the password again.",
                server=host,
            )
        return list(server.books)

    def accounts(self) -> list[Account]:
        return list(self.account_book.values())

    def add_account(
        self,
        name: str,
        url: str,
        user: str | None = None,
        *,
        password: str | None = None,
        password_command: Sequence[str] | None = None,
        ca_file: str | None = None,
    ) -> AddedAccount:
        self._record("add_account", (name, url, user))
        self.check_keyring()
        old = self.account_book.get(name)
        if old is not None and (old.url, old.user) != (url, user):
            raise ConfigError(f"an account named {name!r} exists already")
        books = tuple(self._sign_in(url, user, password))
        account = Account(name, url, user, ca_file, None, books)
        self.account_book[name] = account
        if password is not None:
            self.kept[name] = password
        return AddedAccount(account, books, old is not None)

    def remove_account(self, name: str) -> Account:
        self._record("remove_account", name)
        self.kept.pop(name, None)
        return self.account_book.pop(name)

    def set_password(self, name: str, password: str) -> list[OnlineBook]:
        self._record("set_password", name)
        account = self.account_book[name]
        books = self._sign_in(account.url, account.user, password)
        self.kept[name] = password
        self.account_book[name] = replace(account, books=tuple(books))
        return books

    def address_books(self, name: str) -> list[OnlineBook]:
        self._record("address_books", name)
        account = self.account_book[name]
        return self._sign_in(account.url, account.user, self.kept.get(name))

    def check_keyring(self) -> None:
        if self.keyring_error is not None:
            raise ConfigError(self.keyring_error)
