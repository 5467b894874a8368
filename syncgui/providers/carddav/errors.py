"""Errors of the CardDAV store. A refused sign-in (401) is the engine's
:class:`~syncgui.engine.errors.SignInFailed`, which the app answers by asking for the
password again; a 403 on an address book is :class:`AccessRefused`: the password was
right, the account may not do that, and asking for the password again would not help."""

from __future__ import annotations

from syncgui.engine.errors import SignInFailed, StoreUnavailable

__all__ = ["AccessRefused", "SignInFailed"]


class AccessRefused(StoreUnavailable):
    """The server refused this account an address book or a change in it (403)."""

    title = "Access refused"
