"""Account passwords: kept in the OS keyring (the ``keyring`` library: Secret Service on
Linux, Keychain on macOS, Credential Manager on Windows), or read from a command the user
names (``pass show nextcloud``), never written to a file or a log by syncgui.

Where no keyring is usable (none installed, no D-Bus session, only a plain-text or null
backend), the errors below say so and offer ``--password-command``; nothing falls back to
plain text. This module is the only importer of ``keyring``, loaded when a password is
first needed."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from syncgui.service.errors import ConfigError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

#: the keyring entries' service name; the user name is the account's name
SERVICE = "syncgui"
#: how long a password command may take (it may wait for a passphrase prompt)
COMMAND_TIMEOUT = 60.0
_COMMAND_HINT = (
    "add the account with --password-command CMD instead (a command that prints the "
    "password, e.g. `pass show nextcloud`)"
)
# backends that would keep a password in the clear, or not at all
_UNSAFE = {"PlaintextKeyring", "Keyring@keyring.backends.null", "Keyring@keyring.backends.fail"}


class SecretError(ConfigError):
    """An account's password cannot be read, kept or forgotten now."""

    title = "Password not available"


class NoKeyring(SecretError):
    """No usable OS keyring on this computer (or in this session)."""

    title = "No keyring"


class KeyringFailed(SecretError):
    """The keyring is there but refused (locked, the user said no, D-Bus went away)."""

    title = "Keyring error"


class PasswordMissing(SecretError):
    """The keyring holds no password for the account."""

    title = "Password missing"


class PasswordCommandFailed(SecretError):
    """The account's password command failed, hung or printed nothing."""

    title = "Password command failed"


def _unsafe(backend: KeyringBackend) -> bool:
    cls = type(backend)
    return cls.__name__ in _UNSAFE or f"{cls.__name__}@{cls.__module__}" in _UNSAFE


def _label(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def keyring_backend() -> KeyringBackend:
    """The keyring to use: the configured one, or the first safe one of a chain; raises
    :class:`NoKeyring` (naming ``--password-command``) when there is none."""
    import keyring
    from keyring.backends.chainer import ChainerBackend

    chosen = keyring.get_keyring()
    chain = list(chosen.backends) if isinstance(chosen, ChainerBackend) else [chosen]
    safe = [b for b in chain if not _unsafe(b)]
    if not safe:
        found = ", ".join(_label(b) for b in chain) or "none"
        raise NoKeyring(
            "no usable keyring to keep the password in was found (a Secret Service such as "
            "GNOME Keyring or KWallet on Linux, the Keychain on macOS, the Credential Manager "
            f"on Windows; found: {found}); {_COMMAND_HINT}"
        )
    return safe[0]


def check_keyring() -> str:
    """Raise :class:`NoKeyring` when there is no usable keyring; its name otherwise."""
    return type(keyring_backend()).__module__


def store_password(account: str, password: str) -> None:
    """Keep ``password`` for ``account`` in the keyring (replacing one kept before)."""
    from keyring.errors import KeyringError

    backend = keyring_backend()
    try:
        backend.set_password(SERVICE, account, password)
    except KeyringError as err:
        raise KeyringFailed(
            f"the keyring did not keep the password of {account!r} ({_reason(err)}); "
            f"unlock it and try again, or {_COMMAND_HINT}"
        ) from err
    log.info("password of account %s kept in %s", account, _label(backend))


def read_password(account: str) -> str:
    """The password kept for ``account``; :class:`PasswordMissing` when there is none."""
    from keyring.errors import KeyringError

    backend = keyring_backend()
    try:
        password = backend.get_password(SERVICE, account)
    except KeyringError as err:
        raise KeyringFailed(
            f"the keyring did not give the password of account {account!r} ({_reason(err)}); "
            "unlock it and try again"
        ) from err
    if password is None:
        raise PasswordMissing(
            f"the keyring holds no password for account {account!r}; add the account "
            "again (`syncgui-cli account add` with its URL) to sign in and keep it"
        )
    return password


def forget_password(account: str) -> bool:
    """Delete ``account``'s password from the keyring; False when none was kept."""
    from keyring.errors import KeyringError, PasswordDeleteError

    backend = keyring_backend()
    try:
        backend.delete_password(SERVICE, account)
    except PasswordDeleteError:
        return False
    except KeyringError as err:
        raise KeyringFailed(
            f"the keyring did not forget the password of account {account!r} "
            f"({_reason(err)}); unlock it and try again"
        ) from err
    log.info("password of account %s forgotten", account)
    return True


def _reason(err: Exception) -> str:
    return str(err) or type(err).__name__


def parse_password_command(text: str) -> tuple[str, ...]:
    """``--password-command`` split as a shell would split it (no shell runs it)."""
    try:
        argv = tuple(shlex.split(text))
    except ValueError as err:
        raise ConfigError(f"cannot read the password command {text!r}: {err}") from err
    if not argv:
        raise ConfigError("the password command is empty")
    return argv


def run_password_command(argv: Sequence[str], timeout: float = COMMAND_TIMEOUT) -> str:
    """Run ``argv`` (no shell) and return the first line it prints: the password."""
    import subprocess  # here: every sync imports this module, few run a command

    shown = shlex.join(argv)
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as err:
        raise PasswordCommandFailed(f"the password command {shown!r}: {argv[0]} not found") from err
    except OSError as err:
        raise PasswordCommandFailed(f"the password command {shown!r} did not start: {err}") from err
    except subprocess.TimeoutExpired as err:
        raise PasswordCommandFailed(
            f"the password command {shown!r} gave no answer within {timeout:.0f} s"
        ) from err
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = f": {said[-1][:200]}" if said else ""
        raise PasswordCommandFailed(
            f"the password command {shown!r} failed (exit status {done.returncode}){why}"
        )
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    password = lines[0].rstrip("\r") if lines else ""
    if not password:
        raise PasswordCommandFailed(f"the password command {shown!r} printed no password")
    log.debug("password read from the command %s", argv[0])
    return password
