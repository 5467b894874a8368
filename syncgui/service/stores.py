"""Store specs (``vdir:PATH``, ``vcf:PATH``, ...) and the provider registry.

Providers register under the ``syncgui.providers`` entry-point group and are imported only
when a store of theirs is opened, so native libraries load only when used. An online address
book is ``carddav:URL`` or ``carddav:ACCOUNT/BOOK``; the second is opened through the
accounts (:mod:`.accounts`), which know the server, the user and where the password is."""

from __future__ import annotations

import importlib
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from syncgui.engine.errors import SyncError
from syncgui.engine.provider import SimpleStore
from syncgui.service.errors import ConfigError

Factory = Callable[[str], SimpleStore]

# Built in, so a source checkout works without installed entry points.
_BUILTIN = {
    "vdir": "syncgui.providers.vcard.folder:open_folder_store",
    "vcf": "syncgui.providers.vcard.file:open_file_store",
    "mtp": "syncgui.providers.mtp.phone.store:open_mtp_store",
    "virtual": "syncgui.providers.mtp.phone.store:open_virtual_store",
    "carddav": "syncgui.providers.carddav:open_carddav_store",
}
_KNOWN = (
    "vdir:FOLDER, vcf:FILE, mtp:DEVICE/STORAGE/PATH, virtual:FOLDER, carddav:URL, "
    "carddav:ACCOUNT/BOOK"
)
#: stores on this computer: a folder or a file whose changes can be watched
LOCAL_SCHEMES = frozenset({"vdir", "vcf"})


@dataclass(frozen=True, slots=True)
class StoreSpec:
    scheme: str
    location: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.location}"


def parse_spec(text: str) -> StoreSpec:
    """Parse and canonicalise a store spec; paths become absolute."""
    scheme, sep, location = text.partition(":")
    known_scheme = scheme in _BUILTIN or scheme in _plugins()
    if not sep or not location or not known_scheme:
        raise ConfigError(f"{text!r} is not a store spec; use one of {_KNOWN}")
    if scheme in LOCAL_SCHEMES:
        location = os.path.abspath(os.path.expanduser(location))
    elif scheme == "virtual":  # ROOT[#PATH on the phone]
        root, sep, inner = location.partition("#")
        location = os.path.abspath(os.path.expanduser(root)) + sep + inner.strip("/")
    elif scheme == "mtp" and location.count("/") < 1:
        raise ConfigError(
            f"{text!r}: write mtp:DEVICE/STORAGE/PATH, e.g. "
            "mtp:first/Internal shared storage/Contacts (`syncgui-cli devices` lists phones)"
        )
    elif scheme == "carddav":
        location = _carddav_location(text, location)
    return StoreSpec(scheme, location)


def is_url(location: str) -> bool:
    """``carddav:URL`` rather than ``carddav:ACCOUNT/BOOK``."""
    return location.lower().startswith(("http://", "https://"))


def check_dav_url(url: str) -> str:
    """``url`` when syncgui may talk to it: ``https://``, or ``http://`` on this computer
    only (127.0.0.0/8, ::1, localhost); a ConfigError saying why otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as err:
        raise ConfigError(f"{url!r} is not a usable address: {err}") from err
    scheme = parts.scheme.lower()
    if parts.password is not None:
        raise ConfigError(
            "a password does not belong in the address, where logs and config files would "
            "show it; give the user with --user and the password when asked"
        )
    if scheme not in ("http", "https") or not host:
        raise ConfigError(f"{url!r} is not a server address; write https://HOST/PATH")
    if scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"{url!r}: plain http:// would send your password and contacts unencrypted; "
            "use https:// (http:// is allowed only for a server on this computer)"
        )
    return url


def is_loopback(host: str) -> bool:
    """``host`` is this computer (``localhost``, 127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_account_location(location: str) -> tuple[str, str]:
    """``ACCOUNT/BOOK`` as (account, book); BOOK may itself hold slashes."""
    account, _, book = location.partition("/")
    return account, book.strip("/")


def _carddav_location(text: str, location: str) -> str:
    if is_url(location):
        return check_dav_url(location)
    account, book = split_account_location(location)
    if not account or not book:
        raise ConfigError(
            f"{text!r}: write carddav:URL (an address book's https:// address) or "
            "carddav:ACCOUNT/BOOK (`syncgui-cli account list` shows accounts and their books)"
        )
    return f"{account}/{book}"


class AccountStores(Protocol):
    """Opens ``carddav:ACCOUNT/BOOK`` stores (the service's accounts)."""

    def open_book(self, location: str) -> SimpleStore: ...


def _plugins() -> set[str]:
    from importlib.metadata import entry_points  # slow to import; only for unknown schemes

    return {ep.name for ep in entry_points(group="syncgui.providers")}


def open_store(spec: StoreSpec, accounts: AccountStores | None = None) -> SimpleStore:
    """The provider for ``spec`` (imported now, not before); ``accounts`` opens
    ``carddav:ACCOUNT/BOOK`` (without them, such a spec is a ConfigError)."""
    if spec.scheme == "carddav" and not is_url(spec.location):
        if accounts is None:
            raise ConfigError(f"{spec}: an account's address book cannot be opened here")
        return accounts.open_book(spec.location)
    target = _BUILTIN.get(spec.scheme)
    if target is None:
        from importlib.metadata import entry_points

        found = [ep for ep in entry_points(group="syncgui.providers") if ep.name == spec.scheme]
        if not found:
            raise ConfigError(f"no provider is installed for {spec.scheme}: stores")
        factory: Factory = found[0].load()
        return factory(spec.location)
    module, _, name = target.partition(":")
    factory = getattr(importlib.import_module(module), name)
    return factory(spec.location)


def prepare_store(spec: StoreSpec) -> str | None:
    """Create an empty store for a new partnership when its place is free; returns a note
    saying what was created, or None."""
    if spec.scheme in ("mtp", "virtual"):
        return _prepare_phone(spec)
    path = Path(spec.location)
    if spec.scheme == "vdir" and not path.exists():
        path.mkdir(parents=True)
        return f"created the empty folder {path}"
    if spec.scheme == "vcf" and not path.exists():
        if not path.parent.is_dir():
            raise ConfigError(f"{spec}: the folder {path.parent} does not exist")
        path.write_bytes(b"")
        return f"created the empty file {path}"
    return None


def _prepare_phone(spec: StoreSpec) -> str | None:
    """A virtual phone's folder is created with a Contacts folder on it; on a real phone a
    missing folder (or ``.vcf`` file) at the given path is created."""
    from syncgui.providers.mtp.phone.location import parse_virtual
    from syncgui.providers.mtp.phone.store import PhoneStore, prepare_phone_store

    try:
        if spec.scheme == "virtual":
            where = parse_virtual(spec.location)
            root = Path(where.device)
            if not root.exists():
                inner = where.path or "Contacts"
                place = root / inner
                if place.suffix.lower() == ".vcf":
                    place.parent.mkdir(parents=True)
                    place.write_bytes(b"")
                    return f"created the virtual phone {root} with an empty file {inner}"
                place.mkdir(parents=True)
                return f"created the virtual phone {root} with an empty folder {inner}"
        store = open_store(spec)
        assert isinstance(store, PhoneStore)
        return prepare_phone_store(store)
    except SyncError as err:
        raise ConfigError(f"{spec}: {err.message}") from err
