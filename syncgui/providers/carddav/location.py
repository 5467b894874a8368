"""Address book URLs: what may be used (``https://``, or ``http://`` on this computer only)
and their canonical form, which is the store's identity (never with a password)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.carddav.dav import norm_href

_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class Location:
    """A checked URL: ``url`` without user or password, the user name and password given
    in it (if any)."""

    url: str
    user: str | None
    password: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def at(self, href: str) -> str:
        """The absolute URL of a path (or absolute URL) on this server."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, norm_href(href), "", ""))


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_location(url: str, *, collection: bool = True) -> Location:
    """Check ``url`` and give its canonical form; StoreUnavailable says what is wrong.

    ``collection``: the URL names a collection, so its path ends with ``/``."""
    text = url.strip()
    if text.lower().startswith("carddav:") and "://" in text[8:16]:
        text = text[8:]
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise StoreUnavailable(
            f"{url!r} is not the address of an online address book; give its full address, "
            "such as https://cloud.example.org/remote.php/dav/addressbooks/users/me/contacts/"
        )
    if scheme == "http" and not is_loopback(host):
        raise StoreUnavailable(
            f"{url!r} uses http://, which would send your contacts and password unencrypted; "
            "use https:// (plain http:// is allowed only for a server on this computer)."
        )
    try:
        port = parts.port
    except ValueError as err:
        raise StoreUnavailable(f"{url!r} has an invalid port number.") from err
    default = 443 if scheme == "https" else 80
    shown_host = f"[{host}]" if ":" in host else host
    netloc = shown_host if port in (None, default) else f"{shown_host}:{port}"
    path = norm_href(parts.path or "/")
    if collection and not path.endswith("/"):
        path += "/"
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return Location(urlunsplit((scheme, netloc, path, "", "")), user, password)
