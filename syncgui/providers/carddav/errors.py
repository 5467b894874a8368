"""Errors of the CardDAV store beyond the engine's own."""

from __future__ import annotations

from syncgui.engine.errors import StoreUnavailable


class SignInFailed(StoreUnavailable):
    """The server refused the user name or password (401), or this account may not use the
    address book (403). The app asks for the password again instead of failing every run."""

    title = "Sign-in failed"
