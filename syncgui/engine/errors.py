"""Errors the engine and providers raise. Each carries a user-facing message and, where it
concerns one item, the item's name; the GUI and CLI present them, nothing swallows them."""

from __future__ import annotations

from dataclasses import dataclass


class SyncError(Exception):
    """Base of all syncgui errors. ``str(err)`` is a sentence a user can act on."""

    title = "Sync error"

    def __init__(self, message: str, *, item: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


class StoreUnavailable(SyncError):
    """The store cannot be reached at all (folder missing, file gone, device unplugged).

    Never treated as "every item was deleted"."""

    title = "Store not available"


class SignInFailed(StoreUnavailable):
    """The store's server refused the user name or password (401), or this account may not
    use it (403). The app asks for the password again instead of failing every run;
    ``server`` names the server (``host`` or ``host:port``) when the store knows it."""

    title = "Sign-in failed"

    def __init__(self, message: str, *, item: str | None = None, server: str = "") -> None:
        super().__init__(message, item=item)
        self.server = server


class BadItem(SyncError):
    """An item's data cannot be understood (broken, truncated, empty, not a vCard)."""

    title = "Unreadable item"


class ItemUnreadable(SyncError):
    """An item exists but could not be read (permissions, I/O error)."""

    title = "Item could not be read"


class ItemRejected(SyncError):
    """The store refused to write or delete an item."""

    title = "Item not written"


class ItemVanished(SyncError):
    """An item listed a moment ago is gone (another program deleted it)."""

    title = "Item changed during sync"


class SyncCancelled(SyncError):
    """The user cancelled; what was applied so far is kept and the next sync resumes."""

    title = "Sync cancelled"


def problem_text(item: str, message: str) -> str:
    """One line for a problem: ``item: message``, or the message alone when it already
    starts with the item's name (as most store messages do)."""
    if not item or message.startswith(item):
        return message
    return f"{item}: {message}"


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """A per-item failure reported in a session result: ``item`` names it for the user."""

    item: str
    message: str

    @property
    def text(self) -> str:
        return problem_text(self.item, self.message)
