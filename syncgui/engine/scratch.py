"""A store's stand-in for a dry run: it lists and reads the real store, and keeps every write
in memory (reading it back), so that a dry run can be the real session with nothing reaching
the store.

A dry run must predict exactly what the sync then does, and the second pass of a two-way
session depends on what the first one did (a conflict settled on one side goes back to the
other; a created item is not sent back). Counting a plan on paper cannot follow that; running
the same passes against this stand-in and a metadata store whose transactions are rolled back
(:meth:`~syncgui.engine.metadata.MetadataStore.scratch`) does, by construction.
"""

from __future__ import annotations

import dataclasses

from syncgui.engine.errors import ItemVanished
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.provider import Capabilities, Listing, SimpleStore, Written


class ScratchStore:
    """:class:`SimpleStore` over ``inner`` that never writes to it (see the module doc)."""

    def __init__(self, inner: SimpleStore) -> None:
        self.inner = inner
        self._written: dict[str, bytes | None] = {}  # key -> data (None: deleted)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def identity(self) -> str:
        return self.inner.identity

    @property
    def capabilities(self) -> Capabilities:
        # nothing is journaled (nothing is written) and the metadata stays here
        caps = self.inner.capabilities
        return dataclasses.replace(caps, journal=False, hosts_metadata=False)

    @property
    def format(self) -> ItemFormat:
        return self.inner.format

    def list(self, token: str | None) -> Listing:
        return self.inner.list(token)

    def read(self, key: str) -> bytes:
        if key not in self._written:
            return self.inner.read(key)
        data = self._written[key]
        if data is None:
            raise ItemVanished(f"{key} was deleted", item=key)
        return data

    def create(self, uid: str, data: bytes) -> Written:
        key = f"\x00dry-run-{len(self._written)}:{uid}"  # no real key looks like this
        self._written[key] = data
        return Written(key, "dry-run")

    def update(self, key: str, data: bytes) -> Written:
        self._written[key] = data
        return Written(key, "dry-run")

    def delete(self, key: str) -> None:
        self._written[key] = None

    def commit(self) -> str | None:
        return None  # the store's token is what it was
