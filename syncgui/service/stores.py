"""Store specs (``vdir:PATH``, ``vcf:PATH``, ...) and the provider registry.

Providers register under the ``syncgui.providers`` entry-point group and are imported only
when a store of theirs is opened, so native libraries load only when used. An online address
book is ``carddav:URL`` or ``carddav:ACCOUNT/BOOK``; the second is opened through the
accounts (:mod:`.accounts`), which know the server, the user and where the password is."""

from __future__ import annotations

import importlib
import ipaddress
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from syncgui.engine.errors import SyncError
from syncgui.engine.provider import (
    BatchJournal,
    Capabilities,
    Intent,
    Listing,
    SimpleStore,
    Written,
    release,
)
from syncgui.service.errors import ConfigError

if TYPE_CHECKING:
    from syncgui.engine.hosted import MetadataHost
    from syncgui.engine.itemformat import ItemFormat

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


def account_of(spec: str) -> str | None:
    """The account of a ``carddav:ACCOUNT/BOOK`` store spec (None: another kind of store,
    or an address book given by its URL)."""
    scheme, _, location = spec.partition(":")
    if scheme != "carddav" or is_url(location):
        return None
    return split_account_location(location)[0] or None


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


def prepare_store(spec: StoreSpec, made: list[Path] | None = None) -> str | None:
    """Create an empty store for a new partnership when its place is free; returns a note
    saying what was created, or None. Each file or folder created on this computer is
    appended to ``made`` (parents first), for :func:`undo_prepared` when the partnership
    cannot be added after all."""
    made = [] if made is None else made
    if spec.scheme in ("mtp", "virtual"):
        return _prepare_phone(spec, made)
    path = Path(spec.location)
    if spec.scheme == "vdir" and not path.exists():
        _make_folder(path, made)
        return f"created the empty folder {path}"
    if spec.scheme == "vcf" and not path.exists():
        if not path.parent.is_dir():
            raise ConfigError(f"{spec}: the folder {path.parent} does not exist")
        path.write_bytes(b"")
        made.append(path)
        return f"created the empty file {path}"
    return None


def undo_prepared(made: Sequence[Path]) -> None:
    """Remove what :func:`prepare_store` created, newest first, as long as it is still
    empty (anything put there meanwhile is left alone)."""
    for path in reversed(made):
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()  # only when empty
            elif path.is_file() and path.stat().st_size == 0:
                path.unlink()
        except OSError:
            continue


def _make_folder(path: Path, made: list[Path]) -> None:
    """``path`` and its missing parents, each recorded in ``made``."""
    missing = []
    for p in (path, *path.parents):
        if p.exists():
            break
        missing.append(p)
    try:
        for p in reversed(missing):
            p.mkdir()
            made.append(p)
    except OSError as err:
        raise ConfigError(f"{path} cannot be created: {err.strerror or err}") from err


def _is_empty_folder(root: Path) -> bool:
    """A folder with nothing in it but hidden entries (not a virtual phone's description:
    that one says where its storages are)."""
    from syncgui.providers.mtp.virtual import CONFIG_NAME

    try:
        names = [e.name for e in os.scandir(root)]
    except OSError:
        return False
    return CONFIG_NAME not in names and all(n.startswith(".") for n in names)


def _prepare_phone(spec: StoreSpec, made: list[Path]) -> str | None:
    """A virtual phone's folder, new or empty, is given a Contacts folder (or the ``.vcf``
    file named after ``#``), as a real phone is given the folder its spec names; on a real
    phone a missing folder (or ``.vcf`` file) at the given path is created."""
    from syncgui.providers.mtp.phone.location import parse_virtual
    from syncgui.providers.mtp.phone.store import PhoneStore, prepare_phone_store

    try:
        if spec.scheme == "virtual":
            where = parse_virtual(spec.location)
            root = Path(where.device)
            fresh = not root.exists()
            if fresh or (not where.path and root.is_dir() and _is_empty_folder(root)):
                inner = where.path or "Contacts"
                place = root / inner
                is_file = place.suffix.lower() == ".vcf"
                if is_file:
                    _make_folder(place.parent, made)
                    place.write_bytes(b"")
                    made.append(place)
                else:
                    _make_folder(place, made)
                what = f"an empty {'file' if is_file else 'folder'} {inner}"
                if fresh:
                    return f"created the virtual phone {root} with {what}"
                return f"created {what} on the virtual phone {root}"
        store = open_store(spec)
        assert isinstance(store, PhoneStore)
        return prepare_phone_store(store)
    except SyncError as err:
        raise ConfigError(f"{spec}: {err.message}") from err


def name_stem(key: str | None) -> str | None:
    """The name a store's item had, as a stem its store can create again: ``outlook21`` for
    the file ``outlook21.vcf`` (in a folder, on a phone) or the href
    ``/dav/ann/contacts/outlook21.vcf``; None for keys that are not file names (the cards of
    one ``.vcf`` file are named by their UID)."""
    if not key:
        return None
    base = key.rstrip("/").rsplit("/", 1)[-1]
    if not base.lower().endswith(".vcf") or len(base) <= 4:
        return None
    return base[:-4]


class NamingStore:
    """``store``, except that a new item whose UID is in ``names`` is created under that
    name (a stem, see :func:`name_stem`) instead of one made from its UID: a restored card
    comes back as ``outlook21.vcf``. Stores pick a free key from what :meth:`create` is
    given (a taken name gets ``-2``; a name a store cannot use safely, one with spaces for
    instance, is replaced by one it makes up), so this only hints the name; the card's
    data, UID included, is the engine's as always."""

    def __init__(self, store: SimpleStore, names: Mapping[str, str]) -> None:
        self._store = store
        self._names = dict(names)

    @property
    def name(self) -> str:
        return self._store.name

    @property
    def identity(self) -> str:
        return self._store.identity

    @property
    def capabilities(self) -> Capabilities:
        return self._store.capabilities

    @property
    def format(self) -> ItemFormat:
        return self._store.format

    @property
    def metadata_host(self) -> MetadataHost | None:
        """The store's own (only asked when it declares ``hosts_metadata``)."""
        host: MetadataHost | None = getattr(self._store, "metadata_host", None)
        return host

    def list(self, token: str | None) -> Listing:
        return self._store.list(token)

    def read(self, key: str) -> bytes:
        return self._store.read(key)

    def create(self, uid: str, data: bytes) -> Written:
        return self._store.create(self._names.get(uid, uid), data)

    def update(self, key: str, data: bytes) -> Written:
        return self._store.update(key, data)

    def delete(self, key: str) -> None:
        self._store.delete(key)

    def commit(self) -> str | None:
        return self._store.commit()

    def begin_batch(self, intents: Sequence[Intent]) -> None:
        """The store's journal (only asked when it declares ``journal``), told the names
        new items will get."""
        if not isinstance(self._store, BatchJournal):
            raise TypeError(f"{self._store!r} has no batch journal")
        self._store.begin_batch(
            [replace(i, uid=self._names.get(i.uid, i.uid)) if i.key is None else i for i in intents]
        )

    def close(self) -> None:
        release(self._store)
