"""Accounts whose server refused the password, on the GUI thread (plain state, no Qt).

When a session's sign-in is refused, the window asks for the password once (the
controller's ``sign_in_needed`` signal) instead of failing every run: until the user enters
a password the server accepts, automatic syncs of the partnerships that use that account
are not started (a sync the user asks for still runs, and asks again if it is refused)."""

from __future__ import annotations

from syncgui.service import Partnership, account_of

__all__ = ["AUTOMATIC", "SignIns", "accounts_of"]

#: triggers that start sessions by themselves (the user did not ask)
AUTOMATIC = frozenset({"schedule", "device", "change"})


def accounts_of(p: Partnership) -> set[str]:
    return {a for a in (account_of(p.a), account_of(p.b)) if a}


class SignIns:
    """The accounts waiting for a password, and why (the server's message)."""

    def __init__(self) -> None:
        self._waiting: dict[str, str] = {}

    def refused(self, account: str, message: str) -> bool:
        """The server refused ``account``'s password; True if it was not waiting already
        (then the window asks for the password)."""
        new = account not in self._waiting
        self._waiting[account] = message
        return new

    def accepted(self, account: str) -> bool:
        """A password was accepted; True if the account was waiting."""
        return self._waiting.pop(account, None) is not None

    def waiting(self, account: str) -> str | None:
        """Why ``account`` waits for a password (None: it does not)."""
        return self._waiting.get(account)

    def blocks(self, p: Partnership) -> bool:
        """Whether automatic syncs of ``p`` wait for a password."""
        return any(a in self._waiting for a in accounts_of(p))

    def forget_except(self, accounts: set[str]) -> None:
        """Accounts removed meanwhile no longer wait."""
        for name in [a for a in self._waiting if a not in accounts]:
            del self._waiting[name]
