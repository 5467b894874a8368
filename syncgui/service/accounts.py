"""Accounts on CardDAV servers: where the server is, who signs in, where the password is
kept (the OS keyring, or a command that prints it: :mod:`.secrets`), and the address books
found there at the last sign-in.

The accounts file (``accounts.json`` in the config folder) holds no password and is written
atomically with mode 0600. ``carddav:ACCOUNT/BOOK`` stores are opened here: the account
gives the server, the user and the password; the book is found by its display name or the
last segment of its path among the books found at the last sign-in (the server is asked
again only when it is not among them). The CardDAV provider is imported when first used."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlsplit

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.provider import SimpleStore, release
from syncgui.service import secrets
from syncgui.service.errors import ConfigError
from syncgui.service.files import write_atomically
from syncgui.service.stores import account_of, check_dav_url, split_account_location

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

PasswordSource = Literal["keyring", "command", "none"]


class _Found(Protocol):
    """An address book as the CardDAV provider reports it."""

    @property
    def url(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def count(self) -> int | None: ...


class CardDavApi(Protocol):
    """What accounts need of the CardDAV provider (tests pass a fake)."""

    def discover(
        self, url: str, *, user: str | None, password: str | None, ca_file: str | None = None
    ) -> Sequence[_Found]: ...

    def open_store(
        self,
        url: str,
        *,
        user: str | None,
        password: str | None,
        ca_file: str | None = None,
        name: str | None = None,
    ) -> SimpleStore: ...


@dataclass(frozen=True, slots=True)
class OnlineBook:
    """An address book on a server: its display name, its URL and how many cards it held
    when last looked at (None: not known)."""

    name: str
    url: str
    count: int | None = None

    @property
    def segment(self) -> str:
        """The last segment of its path (stable, unlike the display name)."""
        return unquote(urlsplit(self.url).path.rstrip("/").rpartition("/")[2])

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url}


@dataclass(frozen=True, slots=True)
class Account:
    """A sign-in on a CardDAV server. ``password_command``: the command that prints the
    password (None: the password is in the OS keyring, or there is none without a user);
    ``books``: the address books found at the last sign-in."""

    name: str
    url: str
    user: str | None = None
    ca_file: str | None = None
    password_command: tuple[str, ...] | None = None
    books: tuple[OnlineBook, ...] = ()

    @property
    def password_source(self) -> PasswordSource:
        if self.password_command is not None:
            return "command"
        return "keyring" if self.user else "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "user": self.user,
            "ca_file": self.ca_file,
            "password": self.password_source,
            "password_command": list(self.password_command) if self.password_command else None,
            "books": [b.to_json() for b in self.books],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Account:
        command = d.get("password_command")
        return cls(
            str(d["name"]),
            str(d["url"]),
            None if d.get("user") is None else str(d["user"]),
            None if d.get("ca_file") is None else str(d["ca_file"]),
            tuple(str(a) for a in command) if command else None,
            tuple(OnlineBook(str(b["name"]), str(b["url"])) for b in d.get("books", [])),
        )


def check_account_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a usable account name: use letters, digits, . _ - (at most 64 "
            "characters, starting with a letter or digit; no spaces or slashes)"
        )
    return name


class AccountBook:
    """The accounts file: JSON, written atomically, readable by its owner only (0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Account]:
        if not self.path.exists():
            return []
        _tighten(self.path)
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            return [Account.from_json(d) for d in raw.get("accounts", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ConfigError(f"{self.path} is damaged ({err}); fix or remove it") from err

    def save(self, items: Sequence[Account]) -> None:
        text = json.dumps({"accounts": [a.to_json() for a in items]}, indent=2)
        write_atomically(self.path, text + "\n")  # a mkstemp file: 0600 from the start
        os.chmod(self.path, 0o600)

    def get(self, name: str) -> Account:
        items = self.load()
        for a in items:
            if a.name == name:
                return a
        known = ", ".join(a.name for a in items) or "none yet"
        raise ConfigError(
            f"there is no account named {name!r} (accounts: {known}); add one with "
            "`syncgui-cli account add NAME URL --user USER`"
        )

    def put(self, account: Account) -> None:
        """Add ``account``, or replace the one of the same name."""
        items = [a for a in self.load() if a.name != account.name]
        self.save([*items, account])


def _tighten(path: Path) -> None:
    """An accounts file others may read (copied, edited by hand) becomes 0600 again."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("%s could be read by others (mode %o); made it 0600", path, mode)
        os.chmod(path, 0o600)


def find_book(books: Sequence[OnlineBook], wanted: str) -> OnlineBook | None:
    """The book named ``wanted`` (its display name, or the last segment of its path; exact
    first, then ignoring case); ConfigError when more than one fits."""
    for fold in (False, True):
        key = wanted.casefold() if fold else wanted

        def same(text: str, fold: bool = fold, key: str = key) -> bool:
            return (text.casefold() if fold else text) == key

        fits = [b for b in books if same(b.segment)] or [b for b in books if same(b.name)]
        if len(fits) == 1:
            return fits[0]
        if fits:
            which = ", ".join(b.segment for b in fits)
            raise ConfigError(
                f"more than one address book is called {wanted!r}; name one by the end of "
                f"its address: {which}"
            )
    return None


def _default_client() -> CardDavApi:
    """The CardDAV provider (loaded now: httpx and its XML parser load with it)."""
    from syncgui.providers import carddav

    return carddav


@dataclass(frozen=True, slots=True)
class AddedAccount:
    """What :meth:`Accounts.add` did: the account, its address books with their counts, and
    whether it replaced an account of the same name (a new password for it)."""

    account: Account
    books: tuple[OnlineBook, ...]
    replaced: bool


class Accounts:
    """Adding, signing in to and removing accounts, and opening their address books."""

    def __init__(self, path: Path, client: CardDavApi | None = None) -> None:
        self.book = AccountBook(path)
        self._client = client

    @property
    def client(self) -> CardDavApi:
        if self._client is None:
            self._client = _default_client()
        return self._client

    def add(
        self,
        name: str,
        url: str,
        user: str | None = None,
        *,
        password: str | None = None,
        password_command: Sequence[str] | None = None,
        ca_file: str | None = None,
    ) -> AddedAccount:
        """Sign in to ``url`` and find its address books; only then keep the account and its
        password (in the keyring, unless ``password_command`` gives it). An account of the
        same name, server and user is signed in again and its password replaced."""
        check_account_name(name)
        check_dav_url(url)
        user = user or urlsplit(url).username or None
        command = tuple(password_command) if password_command else None
        if user is None and (password is not None or command is not None):
            raise ConfigError("a password goes with a user name: add --user USER")
        if command is not None and password is not None:
            raise ConfigError("give the password or a password command, not both")
        if user is not None and command is None and password is None:
            raise ConfigError(f"account {name!r} needs a password for {user!r}")
        ca = _ca_file(ca_file)
        old = next((a for a in self.book.load() if a.name == name), None)
        if old is not None and (old.url, old.user) != (url, user):
            raise ConfigError(
                f"an account named {name!r} exists already (for {old.user or 'no user'} at "
                f"{old.url}); choose another name, or `syncgui-cli account remove {name}`"
            )
        keep_in_keyring = user is not None and command is None
        if keep_in_keyring:
            secrets.keyring_backend()  # no keyring: say so before signing in
        if command is not None:
            password = secrets.run_password_command(command)
        found = self.client.discover(url, user=user, password=password, ca_file=ca)
        books = tuple(OnlineBook(b.name, b.url, b.count) for b in found)
        log.info("account %s: signed in to %s, %d address book(s)", name, url, len(books))
        account = Account(name, url, user, ca, command, books)
        if keep_in_keyring:
            assert password is not None
            secrets.store_password(name, password)
        try:
            self.book.put(account)
        except BaseException:
            if keep_in_keyring and old is None:
                secrets.forget_password(name)
            raise
        if old is not None and old.password_source == "keyring" and not keep_in_keyring:
            secrets.forget_password(name)
        return AddedAccount(account, books, old is not None)

    def all(self) -> list[Account]:
        return self.book.load()

    def remove(self, name: str) -> Account:
        """Forget the account and its password in the keyring (a password command's own
        store is not touched)."""
        account = self.book.get(name)
        if account.password_source == "keyring":
            try:
                secrets.forget_password(name)
            except secrets.NoKeyring as err:
                raise secrets.NoKeyring(
                    f"account {name!r} keeps its password in the keyring, which cannot be "
                    "reached here; remove the account where it can (in your desktop session) "
                    "so that the password is forgotten too"
                ) from err
        self.book.save([a for a in self.book.load() if a.name != name])
        log.info("account %s removed", name)
        return account

    def password(self, account: Account) -> str | None:
        if account.password_command is not None:
            return secrets.run_password_command(account.password_command)
        if account.user is None:
            return None
        return secrets.read_password(account.name)

    def set_password(self, name: str, password: str) -> list[OnlineBook]:
        """Sign in to account ``name`` with a new ``password`` (the server refused the old
        one) and, only when the server accepts it, keep it in the keyring; its address
        books, as :meth:`address_books`."""
        account = self.book.get(name)
        if account.password_command is not None:
            raise ConfigError(
                f"account {name!r} takes its password from the command "
                f"{' '.join(account.password_command)!r}; change the password where that "
                "command reads it"
            )
        if account.user is None:
            raise ConfigError(f"account {name!r} signs in without a user name or password")
        secrets.keyring_backend()  # no keyring: say so before signing in
        found = self.client.discover(
            account.url, user=account.user, password=password, ca_file=account.ca_file
        )
        secrets.store_password(name, password)
        fresh = replace(account, books=tuple(OnlineBook(b.name, b.url, b.count) for b in found))
        self.book.put(fresh)
        log.info("account %s: new password accepted by %s", name, account.url)
        return list(fresh.books)

    def refused(self, specs: Sequence[str], server: str) -> str:
        """Whose sign-in ``server`` (``host[:port]``, "" if not known) refused, among the
        stores ``specs``: the name of the account of a ``carddav:ACCOUNT/BOOK`` store on
        that server (or, as with iCloud's shards, the book is not on the account's own
        host: the first account), else the server itself."""
        found: list[tuple[str, str]] = []  # (host, account name or "")
        for spec in specs:
            scheme, _, location = spec.partition(":")
            if scheme != "carddav":
                continue
            name = account_of(spec)
            if name is None:  # an address book given by its URL
                found.append((_host(location), ""))
                continue
            try:
                account = self.book.get(name)
            except ConfigError:
                continue
            hosts = {_host(account.url)} | {_host(b.url) for b in account.books}
            found += [(h, account.name) for h in sorted(hosts)]
        on_server = [f for f in found if f[0] == server] or found
        return next((name for _h, name in on_server if name), server)

    def address_books(self, name: str) -> list[OnlineBook]:
        """Sign in to account ``name`` again and list its address books with their counts
        (and remember them for ``carddav:ACCOUNT/BOOK``)."""
        account = self.book.get(name)
        return list(self._discover(account).books)

    def _discover(self, account: Account) -> Account:
        found = self.client.discover(
            account.url,
            user=account.user,
            password=self.password(account),
            ca_file=account.ca_file,
        )
        books = tuple(OnlineBook(b.name, b.url, b.count) for b in found)
        fresh = replace(account, books=books)
        self.book.put(fresh)
        return fresh

    def resolve(self, location: str) -> tuple[Account, OnlineBook]:
        """``ACCOUNT/BOOK`` as its account and address book; the server is asked only when
        the book is not among those found before."""
        name, wanted = split_account_location(location)
        account = self.book.get(name)
        book = find_book(account.books, wanted)
        if book is None:
            account = self._discover(account)
            book = find_book(account.books, wanted)
        if book is None:
            names = ", ".join(f"{b.name} ({b.segment})" for b in account.books) or "none"
            raise ConfigError(
                f"account {name!r} has no address book {wanted!r} (its address books: {names})"
            )
        return account, book

    def holding(self, url: str) -> tuple[Account, OnlineBook] | None:
        """The account and book whose address is ``url`` (the same address book given by
        its address), or None."""
        wanted = _same_url(url)
        for account in self.book.load():
            for book in account.books:
                if _same_url(book.url) == wanted:
                    return account, book
        return None

    def open_book(self, location: str) -> SimpleStore:
        """The store for ``carddav:ACCOUNT/BOOK`` (the stores module's AccountStores)."""
        account, book = self.resolve(location)
        return self.client.open_store(
            book.url,
            user=account.user,
            password=self.password(account),
            ca_file=account.ca_file,
            name=f"{account.name}/{book.name}",
        )

    def count_cards(self, location: str) -> int | None:
        """Cards in the address book ``ACCOUNT/BOOK`` now; None when the server cannot be
        reached or refuses (the error is logged)."""
        try:
            store = self.open_book(location)
        except StoreUnavailable as err:
            log.info("carddav:%s cannot be counted now: %s", location, err.message)
            return None
        try:
            listing = store.list(None)
            return len(listing.entries or ()) + len(listing.unreadable)
        except StoreUnavailable as err:
            log.info("carddav:%s cannot be counted now: %s", location, err.message)
            return None
        finally:
            release(store)

    def using(self, name: str, specs: Mapping[str, Sequence[str]]) -> list[str]:
        """Which of ``specs`` (partnership name -> its store specs) use account ``name``."""
        return [p for p, stores in specs.items() if any(account_of(s) == name for s in stores)]


def _same_url(url: str) -> tuple[str, str, int | None, str]:
    """``url`` as compared for "the same address book": scheme and host in lower case, the
    port, the path unquoted and ending in one slash; no user name."""
    parts = urlsplit(url)
    path = unquote(parts.path).rstrip("/") + "/"
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port, path


def _host(url: str) -> str:
    """``host[:port]`` of ``url`` (as the CardDAV store names its server)."""
    return urlsplit(url).netloc.rpartition("@")[2]


def _ca_file(ca_file: str | None) -> str | None:
    if ca_file is None:
        return None
    path = Path(ca_file).expanduser().absolute()
    if not path.is_file():
        raise ConfigError(f"the CA file {ca_file!r} does not exist")
    return str(path)
