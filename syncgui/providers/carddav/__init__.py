"""CardDAV address books (RFC 6352) as a simple provider: the store, its discovery, and the
sign-in error the app answers by asking for the password again. The only package that
imports an HTTP client (httpx) and an XML parser (defusedxml)."""

from __future__ import annotations

from syncgui.providers.carddav.discovery import AddressBook, discover
from syncgui.providers.carddav.errors import AccessRefused, SignInFailed
from syncgui.providers.carddav.store import CardDavStore, open_carddav_store, open_store

__all__ = [
    "AccessRefused",
    "AddressBook",
    "CardDavStore",
    "SignInFailed",
    "discover",
    "open_carddav_store",
    "open_store",
]
