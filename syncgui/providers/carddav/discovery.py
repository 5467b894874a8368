"""Finding a user's address books (RFC 6764 and RFC 6352 section 7).

From a server address: ``/.well-known/carddav`` (following redirects), then the
``current-user-principal``, its ``addressbook-home-set``, and the address book collections
in that home. A URL that already is an address book, a principal or a home works too.

Credentials follow a redirect to the same host. They follow one to another host only over
https and when both hosts lie in the same parent domain (``contacts.icloud.com`` to
``p42-contacts.icloud.com``: iCloud sends each account to its shard this way); a redirect
anywhere else is refused with a message naming both hosts, so a password is never sent to a
site the user did not name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.carddav import dav
from syncgui.providers.carddav.client import DavClient, Reply, server_label
from syncgui.providers.carddav.errors import SignInFailed
from syncgui.providers.carddav.location import Location, parse_location

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
MAX_COUNTED = 20  # address books whose cards are counted (one request each)
_GENERIC = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


@dataclass(frozen=True, slots=True)
class AddressBook:
    """An address book found on the server: its collection URL, display name and how many
    cards it holds (None when not counted)."""

    url: str
    name: str
    count: int | None


def discover(
    url: str,
    *,
    user: str | None,
    password: str | None,
    ca_file: str | None = None,
    timeout: float = 30.0,
) -> list[AddressBook]:
    """The address books the account at ``url`` can use; StoreUnavailable (SignInFailed
    for a refused password) says what went wrong, in words."""
    loc = parse_location(url)
    client = DavClient(
        loc.url,
        user=user or loc.user,
        password=password if password is not None else loc.password,
        ca_file=ca_file,
        timeout=timeout,
    )
    try:
        return _Discovery(client, loc).run()
    finally:
        client.close()


def may_follow(origin: str, target: str) -> bool:
    """May credentials for ``origin`` (URL) be sent to ``target`` (URL)?"""
    a, b = urlsplit(origin), urlsplit(target)
    host_a, host_b = (a.hostname or "").lower(), (b.hostname or "").lower()
    if (a.scheme, host_a, a.port) == (b.scheme, host_b, b.port):
        return True
    if b.scheme != "https" or a.scheme != "https":
        return host_a == host_b and b.scheme == "https"  # an upgrade to https
    parent = host_a.partition(".")[2]
    labels = parent.split(".")
    if len(labels) < 2 or (len(labels) == 2 and labels[0] in _GENERIC):
        return False
    return host_b.endswith("." + parent)


class _Discovery:
    def __init__(self, client: DavClient, loc: Location) -> None:
        self.client = client
        self.loc = loc

    def run(self) -> list[AddressBook]:
        starts = [self.loc.url, self.loc.at("/.well-known/carddav")]
        if self.loc.path == "/":
            starts.reverse()
        for start in starts:
            found = self._from(start)
            if found is not None:
                return found
        raise StoreUnavailable(
            f"No address book was found at {self.loc.url}. Give the address of your "
            "address book, or the address your provider gives for CardDAV."
        )

    def _from(self, start: str) -> list[AddressBook] | None:
        props = ("D:resourcetype", "D:displayname", "D:current-user-principal")
        here, res = self._propfind(start, (*props, "C:addressbook-home-set"), "0")
        if res is None:
            return None
        if res.is_addressbook():
            return self._counted([self._book(here, res)])
        home = res.inner_href(dav.CARD, "addressbook-home-set")
        if home is None:
            principal = res.inner_href(dav.DAV, "current-user-principal")
            if principal is None:
                return None
            here, res = self._propfind(urljoin(here, principal), ("C:addressbook-home-set",), "0")
            home = None if res is None else res.inner_href(dav.CARD, "addressbook-home-set")
            if home is None:
                return None
        return self._books(urljoin(here, home))

    def _books(self, home: str) -> list[AddressBook]:
        reply, here = self._send(home, dav.propfind("D:resourcetype", "D:displayname"), "1")
        if reply.status != 207:
            raise self._failed(reply, here)
        books = [
            self._book(urljoin(here, res.href), res)
            for res in _parse(reply, here).resources
            if res.is_addressbook()
        ]
        if not books:
            raise StoreUnavailable(
                f"The account on {server_label(here)} has no address book. Create one with "
                "the server's web page, then sign in again."
            )
        return self._counted(books)

    @staticmethod
    def _book(url: str, res: dav.Resource) -> AddressBook:
        segment = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
        name = (res.text(dav.DAV, "displayname") or "").strip() or segment
        return AddressBook(url if url.endswith("/") else url + "/", name, None)

    def _counted(self, books: list[AddressBook]) -> list[AddressBook]:
        if len(books) > MAX_COUNTED:
            return books
        return [AddressBook(b.url, b.name, self._count(b.url)) for b in books]

    def _count(self, url: str) -> int | None:
        reply, here = self._send(url, dav.propfind("D:resourcetype"), "1")
        if reply.status != 207:
            return None
        own = dav.norm_href(urlsplit(here).path)
        return sum(
            1
            for res in _parse(reply, here).resources
            if res.href != own and not res.href.endswith("/") and not res.is_collection()
        )

    def _propfind(
        self, url: str, props: tuple[str, ...], depth: str
    ) -> tuple[str, dav.Resource | None]:
        """The properties of ``url`` itself (None when it has none: 404, 405, ...)."""
        reply, here = self._send(url, dav.propfind(*props), depth)
        if reply.status in (403,):
            raise self._failed(reply, here)
        if reply.status != 207:
            return here, None
        own = dav.norm_href(urlsplit(here).path)
        resources = _parse(reply, here).resources
        for res in resources:
            if res.href.rstrip("/") == own.rstrip("/"):
                return here, res
        return here, resources[0] if resources else None

    def _send(self, url: str, body: bytes, depth: str) -> tuple[Reply, str]:
        """PROPFIND ``url`` following redirects; the reply and where it came from."""
        headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        for _ in range(MAX_REDIRECTS + 1):
            reply = self.client.request("PROPFIND", url, headers=headers, body=body)
            target = reply.header("location")
            if reply.status not in (301, 302, 303, 307, 308) or not target:
                return reply, url
            target = urljoin(url, target)
            parse_location(target, collection=False)  # no redirect to plain http elsewhere
            if not may_follow(url, target):
                raise StoreUnavailable(
                    f"The server {server_label(url)} sent the sign-in on to "
                    f"{server_label(target)}, another site; your password was not sent "
                    f"there. If {server_label(target)} is your provider's, give its address."
                )
            self.client.trust(target)
            log.debug("discovery: %s redirects to %s", url, target)
            url = target
        raise StoreUnavailable(
            f"The server {server_label(url)} redirects too many times; check its address."
        )

    def _failed(self, reply: Reply, url: str) -> StoreUnavailable:
        if reply.status == 403:
            return SignInFailed(
                f"The CardDAV server {server_label(url)} refused this account (403). Check "
                "the user name, and that the account may use CardDAV.",
                server=server_label(url),
            )
        return StoreUnavailable(
            f"The CardDAV server {server_label(url)} answered {reply.status} while looking "
            "for address books. Check the server address."
        )


def _parse(reply: Reply, url: str) -> dav.Multistatus:
    try:
        return dav.parse_multistatus(reply.body)
    except dav.BadXml as err:
        raise StoreUnavailable(
            f"The CardDAV server {server_label(url)} sent an answer that cannot be used: "
            f"{err}. Check the server address."
        ) from err
