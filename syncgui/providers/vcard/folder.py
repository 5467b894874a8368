"""A folder of ``.vcf`` files, one card per file (a vdir, as khard, vdirsyncer and Evolution's
file backend keep them).

The stamp of a card is its file's ``size:mtime_ns:inode``, so an unchanged folder is listed
without opening a single file. Writes are atomic (:mod:`.fileops`): a hidden temporary file in
the same folder is written and fsynced, then linked or renamed into place (a new card on
Linux: a file without any name until it is linked); :meth:`VCardFolderProvider.commit`
fsyncs the folder so that the renames survive a crash. Files that are not ours (other
extensions, dot-files, subfolders, symbolic links) are never listed, read or touched.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING

from syncgui.engine.errors import (
    BadItem,
    ItemRejected,
    ItemUnreadable,
    ItemVanished,
    StoreUnavailable,
)
from syncgui.engine.forked import can_fork
from syncgui.engine.provider import Capabilities, Listing, Written
from syncgui.providers.vcard.fileops import (
    create_unnamed,
    fsync_folder,
    missing_folder,
    os_message,
    place_new,
    read_whole,
    remove_quietly,
    stat_stamp,
    write_block,
    write_temp,
)
from syncgui.providers.vcard.listing import (
    ListingAhead,
    finish_listing,
    scan_folder,
)
from syncgui.providers.vcard.sniff import quick_card_problem

if TYPE_CHECKING:
    from syncgui.engine.itemformat import ItemFormat

log = logging.getLogger(__name__)

_SAFE_UID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,119}")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
_MAX_SUFFIX = 10_000


def file_name_for(uid: str) -> str:
    """The file name stem for a card with ``uid``: the UID itself when it is a safe, portable
    name, otherwise a 32-digit hex hash of it."""
    if _SAFE_UID.fullmatch(uid) and uid.split(".", maxsplit=1)[0].upper() not in _WINDOWS_RESERVED:
        return uid
    return hashlib.sha256(uid.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def _free_names(stem: str) -> Iterator[str]:
    """The names a new card may take, in turn: ``stem.vcf``, then ``stem-2.vcf`` and on."""
    yield f"{stem}.vcf"
    yield from (f"{stem}-{n}.vcf" for n in range(2, _MAX_SUFFIX))


# -- the store --------------------------------------------------------------------------------


class VCardFolderProvider:
    """A :class:`~syncgui.engine.provider.SimpleStore` over a folder of ``.vcf`` files."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._identity = "vdir:" + os.path.realpath(path)
        self._name = os.path.basename(os.path.normpath(path)) or path
        self._format: ItemFormat | None = None
        self._dirty = False
        self._unnamed = True  # create_unnamed works here, as far as we know
        self._ahead: ListingAhead | None = None  # see list_ahead

    def __repr__(self) -> str:
        return f"VCardFolderProvider({self._path!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        blocked = write_block(self._path, "the folder")
        return Capabilities(read_only=blocked is not None, read_only_reason=blocked or "")

    @property
    def format(self) -> ItemFormat:
        if self._format is None:
            # the codec loads when a card is first described: a no-op sync never needs it
            from syncgui.providers.vcard.format import VCardFormat

            self._format = VCardFormat()
        return self._format

    # -- listing ------------------------------------------------------------------------------

    def list(self, token: str | None) -> Listing:
        """Every ``.vcf`` file with its stamp; no file is opened. ``token`` is not used.

        The scan :meth:`list_ahead` started is used when it is there and fresh."""
        ahead, self._ahead = self._ahead, None
        scan = ahead.collect() if ahead is not None else None
        return finish_listing(self._path, scan or scan_folder(self._path))

    def list_ahead(self, token: str | None) -> None:
        """Start the listing the next :meth:`list` returns in a child process, when this
        process may fork (see :func:`~syncgui.engine.forked.can_fork`)."""
        if self._ahead is None and can_fork():
            try:
                self._ahead = ListingAhead(self._path)
            except OSError as err:  # then it lists when asked, as everywhere else
                log.debug("%s: no listing ahead: %s", self._name, err)

    def reads_in_child(self) -> bool:
        """Yes: reading a card opens its own file and nothing else (see
        :class:`~syncgui.engine.provider.ReadsInChild`)."""
        return True

    def creates_in_child(self) -> bool:
        """Yes: a new card is a new file of its own, and its name is taken with a hard link
        that fails when another process took it first (see
        :class:`~syncgui.engine.provider.CreatesInChild`)."""
        return True

    def made_in_child(self) -> None:
        """Cards were made by a child process: the next commit syncs the folder."""
        self._dirty = True

    def close(self) -> None:
        """Stop a listing started ahead and not used (the session ended before)."""
        if self._ahead is not None:
            self._ahead.discard()
            self._ahead = None

    # -- items --------------------------------------------------------------------------------

    def _item_path(self, key: str, error: type[ItemUnreadable | ItemRejected]) -> str:
        """The path of the file ``key``; refuses anything but a plain card file name."""
        bad = (
            not key
            or key.startswith(".")
            or "/" in key
            or "\\" in key
            or "\x00" in key
            or (os.altsep is not None and os.altsep in key)
            or not key.lower().endswith(".vcf")
        )
        if bad:
            raise error(f"{key!r} is not the name of a card file in {self._name}", item=key)
        return os.path.join(self._path, key)

    def read(self, key: str) -> bytes:
        """The bytes of ``key``; BadItem when they cannot be a vCard (empty, binary, cut off)."""
        data = self._read_raw(key, ItemUnreadable)
        problem = quick_card_problem(data)
        if problem is not None:
            raise BadItem(f"{key}: {problem}", item=key)
        return data

    def _read_raw(self, key: str, error: type[ItemUnreadable | ItemRejected]) -> bytes:
        path = self._item_path(key, error)
        try:
            return read_whole(path)
        except FileNotFoundError:
            raise ItemVanished(f"{key} was removed by another program", item=key) from None
        except OSError as err:
            raise error(f"{key} cannot be read: {os_message(err)}", item=key) from err

    def create(self, uid: str, data: bytes) -> Written:
        """Write a new file named after ``uid``; an existing file is never replaced."""
        stem = file_name_for(uid)
        if self._unnamed:
            written = self._create_unnamed(stem, data)
            if written is not None:
                return written
            self._unnamed = False  # this folder cannot: the usual way from now on
            log.debug("%s: no files without a name here; temporary names instead", self._name)
        temp, st = self._write_temp(stem + ".vcf", data, None)
        placed = False
        try:
            for name in _free_names(stem):
                try:
                    place_new(temp, os.path.join(self._path, name))
                except FileExistsError:
                    continue
                placed = True
                self._dirty = True
                return Written(name, stat_stamp(st))
        except OSError as err:
            raise ItemRejected(
                f"{stem}.vcf cannot be written: {os_message(err)}", item=stem + ".vcf"
            ) from err
        finally:
            if not placed:
                remove_quietly(temp)
        raise ItemRejected(f"No free file name for {stem}.vcf", item=stem + ".vcf")

    def _create_unnamed(self, stem: str, data: bytes) -> Written | None:
        try:
            created = create_unnamed(self._path, data, _free_names(stem))
        except FileNotFoundError:
            raise missing_folder(self._path) from None
        except FileExistsError:
            raise ItemRejected(f"No free file name for {stem}.vcf", item=stem + ".vcf") from None
        except OSError as err:
            raise ItemRejected(
                f"{stem}.vcf cannot be written: {os_message(err)}", item=stem + ".vcf"
            ) from err
        if created is None:
            return None
        self._dirty = True
        return Written(created[0], stat_stamp(created[1]))

    def update(self, key: str, data: bytes) -> Written:
        """Replace the file ``key`` atomically, keeping its permissions.

        A damaged file (empty, cut off, not a vCard) is refused: it is left for the user."""
        path = self._item_path(key, ItemRejected)
        self._refuse_damaged(key)
        try:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
        except FileNotFoundError:
            raise ItemVanished(f"{key} was removed by another program", item=key) from None
        except OSError as err:
            raise ItemRejected(f"{key} cannot be written: {os_message(err)}", item=key) from err
        temp, st = self._write_temp(key, data, mode)
        try:
            os.replace(temp, path)
        except OSError as err:
            remove_quietly(temp)
            raise ItemRejected(f"{key} cannot be written: {os_message(err)}", item=key) from err
        self._dirty = True
        return Written(key, stat_stamp(st))

    def delete(self, key: str) -> None:
        """Remove the file ``key``; one that is already gone is fine, a damaged one is kept."""
        path = self._item_path(key, ItemRejected)
        try:
            self._refuse_damaged(key)
        except ItemVanished:
            return
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        except OSError as err:
            raise ItemRejected(f"{key} cannot be deleted: {os_message(err)}", item=key) from err
        self._dirty = True

    def commit(self) -> str | None:
        """Fsync the folder so that every rename and removal since the last commit is durable."""
        if self._dirty:
            try:
                fsync_folder(self._path)
            except FileNotFoundError:
                raise StoreUnavailable(
                    f"The folder {self._path} disappeared during the sync."
                ) from None
            except OSError as err:
                raise ItemRejected(
                    f"The changes in {self._path} could not be saved: {os_message(err)}"
                ) from err
            self._dirty = False
        return None

    def _refuse_damaged(self, key: str) -> None:
        problem = quick_card_problem(self._read_raw(key, ItemRejected))
        if problem is not None:
            raise ItemRejected(f"{key} is damaged ({problem}); it is left untouched", item=key)

    def _write_temp(self, name: str, data: bytes, mode: int | None) -> tuple[str, os.stat_result]:
        try:
            return write_temp(self._path, data, mode)
        except FileNotFoundError:
            raise missing_folder(self._path) from None
        except OSError as err:
            raise ItemRejected(f"{name} cannot be written: {os_message(err)}", item=name) from err


def open_folder_store(location: str) -> VCardFolderProvider:
    """The store for ``vdir:<location>`` (``~`` is expanded)."""
    if not location.strip():
        raise StoreUnavailable("No folder was given for the vCard folder store.")
    return VCardFolderProvider(os.path.expanduser(location))
