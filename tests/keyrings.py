"""A keyring in memory for the tests (keyring ships none), and the fixture that installs it
(``memory_keyring``, in tests/conftest.py) for one test."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

__all__ = ["MemoryKeyring", "memory_keyring_installed"]


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict (keyring ships none)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not there")


def memory_keyring_installed() -> Iterator[MemoryKeyring]:
    """Install a fresh MemoryKeyring as keyring's backend until the generator ends."""
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(before)
