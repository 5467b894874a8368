"""The CardDAV address book as a simple provider: keys are hrefs (paths), stamps ETags.

Change detection asks for the changes since the engine's token with an RFC 6578
``sync-collection`` REPORT. No change: the listing is ``entries=None`` and the sync costs
that one request. Some change: the engine needs every item with its stamp, so the store
lists the whole collection (a ``sync-collection`` without token, or a Depth-1 PROPFIND of
``getetag`` where the REPORT is not supported) and fetches the changed cards with
``addressbook-multiget`` in batches, handing their bytes to the engine in the listing. A
token the server refuses (Radicale 403, Xandikos 412) means a full listing, never
"everything was deleted". Tokens are opaque; after writes, :meth:`CardDavStore.commit`
returns the server's new token only when the changes since the last one are exactly ours.

Writes are conditional: create ``If-None-Match: *``, update and delete ``If-Match`` with the
ETag of the listing. After a listing that found no change (it sent no ETags), the ETag is
the one the card was read with (the engine reads what it overwrites, for history), once
one look at the changes since the token, made after those reads, shows no one else changed
it. 412 means another client changed the card since (or, to a create, that a card is
there already): the item is left (:class:`ItemRejected`) and the next sync sees the
server's version; unless the 412 names a CardDAV precondition the card fails
(``valid-address-data``: Xandikos cannot parse it), then the server refused the card. A
server that names a created card itself says where in ``Location``; that href is recorded.

A 5xx to a write or to a multiget may be the server failing on one card (Xandikos fails a
card it cannot decode) or the server failing. A write's is blamed on its card once one
cheap request shows the address book still answers; a multiget's batch is read again card
by card (:mod:`~syncgui.providers.carddav.fetch`). A server that fails everything is
unavailable, never "everything was deleted".
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from urllib.parse import unquote, urljoin

from syncgui.engine.errors import (
    ItemProblem,
    ItemRejected,
    ItemVanished,
    StoreUnavailable,
    SyncError,
)
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.provider import Capabilities, Entry, Listing, Written
from syncgui.providers.carddav import dav
from syncgui.providers.carddav.client import DavClient, Reply, ServerFailed, server_label
from syncgui.providers.carddav.errors import AccessRefused
from syncgui.providers.carddav.fetch import CardCache
from syncgui.providers.carddav.location import Location, parse_location
from syncgui.providers.carddav.refusals import card_refused, failed_on_card
from syncgui.providers.vcard.format import VCardFormat

log = logging.getLogger(__name__)

_SAFE_UID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_VCARD = {"Content-Type": "text/vcard; charset=utf-8"}
_TOKEN_REFUSED = frozenset({400, 403, 409, 412, 422})
_NO_REPORT = frozenset({400, 403, 405, 409, 412, 415, 422, 501})
# (the class's ``list`` method hides the builtin in its annotations)
# every member's ETag, the token of that state, problems, hrefs listed without an ETag
_Members = tuple[dict[str, str], str | None, list[ItemProblem], set[str]]


class CardDavStore:
    """A :class:`~syncgui.engine.provider.SimpleStore` over one CardDAV address book."""

    def __init__(self, client: DavClient, location: Location, name: str | None = None) -> None:
        self.client = client
        self._loc = location
        self._url = location.url
        self._identity = "carddav:" + location.url
        segment = location.path.rstrip("/").rpartition("/")[2]
        self._name = name or unquote(segment) or client.server
        self._format = VCardFormat()
        self._sync: bool | None = None  # sync-collection supported (None: not known yet)
        self._token: str | None = None  # the token the engine's view of the store is at
        self._etags: dict[str, str] | None = None  # href -> ETag as of _token (None: unknown)
        self._stale: set[str] = set()  # changed on the server after the engine looked
        self._written: dict[str, str | None] = {}  # our writes since _token (None: deleted)
        # without _etags: the ETags known to be the engine's view (reads checked, our writes)
        self._known: dict[str, str] = {}
        self._trust_token = True  # False: this session's writes do not give a clean token
        self._listing_problems = False
        self._cards = CardCache(self._multiget, self._get, self._check_book)

    def __repr__(self) -> str:
        return f"CardDavStore({self._url!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    @property
    def format(self) -> ItemFormat:
        return self._format

    def close(self) -> None:
        self.client.close()

    # -- listing --------------------------------------------------------------------------

    def list(self, token: str | None) -> Listing:
        """Nothing (``entries=None``) when nothing changed since ``token``; else every card
        with its ETag, the changed ones with their bytes."""
        self._reset_session()
        changed: list[str] | None = None
        if token and self._sync is not False:
            changes = self._changes(token)
            if changes is not None and not changes.resources and not changes.truncated:
                self._token = changes.sync_token or token
                log.debug("%s: no change since the last sync", self._name)
                return Listing(None, token)
            if changes is not None and not changes.truncated:
                changed = [r.href for r in changes.resources if r.status != 404]
        etags, new_token, problems, unreadable = self._full_listing()
        self._etags, self._token = etags, new_token
        self._listing_problems = bool(problems)
        self._cards.reset(list(etags))
        if changed:
            self._cards.fetch([h for h in changed if h in etags], etags)
            self._stale |= self._cards.newer
        entries = [Entry(href, etag, self._cards.peek(href)) for href, etag in etags.items()]
        log.debug("%s: %d cards listed", self._name, len(entries))
        return Listing(entries, new_token, tuple(problems), frozenset(unreadable))

    def _reset_session(self) -> None:
        self._cards.reset()
        self._stale.clear()
        self._written.clear()
        self._known.clear()
        self._trust_token = True
        self._listing_problems = False

    def _changes(self, token: str) -> dav.Multistatus | None:
        """The changes since ``token``; None when the server refused the token (or does not
        do ``sync-collection``): then only a full listing tells what is there."""
        reply = self._request("REPORT", self._url, dav.sync_collection(token), depth="0")
        if reply.status == 207:
            self._sync = True
            return self._parse(reply)
        self._collection_status(reply)
        if reply.status in _TOKEN_REFUSED or reply.status in _NO_REPORT:
            log.info(
                "%s: the server refused the sync token (%d); listing everything",
                self._name,
                reply.status,
            )
            return None
        raise self._unexpected(reply, "listing the changes")

    def _full_listing(self) -> _Members:
        """Every member's ETag (in the server's order), the token of that state, problems
        and hrefs listed without an ETag."""
        if self._sync is not False:
            reply = self._request("REPORT", self._url, dav.sync_collection(None), depth="0")
            if reply.status == 207:
                self._sync = True
                found = self._parse(reply)
                resources, token = list(found.resources), found.sync_token
                while found.truncated and token:  # the server pages a large collection
                    found = self._parse(self._post_report(dav.sync_collection(token)))
                    resources += found.resources
                    token = found.sync_token or token
                return self._pack(resources, token)
            self._collection_status(reply)
            if reply.status not in _NO_REPORT:
                raise self._unexpected(reply, "listing the address book")
            log.info("%s: no sync-collection (%d); using PROPFIND", self._name, reply.status)
            self._sync = False
        body = dav.propfind("D:getetag", "D:resourcetype")
        reply = self._request("PROPFIND", self._url, body, depth="1")
        if reply.status != 207:
            self._collection_status(reply)
            raise self._unexpected(reply, "listing the address book")
        return self._pack(self._parse(reply).resources, None)

    def _post_report(self, body: bytes) -> Reply:
        reply = self._request("REPORT", self._url, body, depth="0")
        if reply.status != 207:
            self._collection_status(reply)
            raise self._unexpected(reply, "listing the address book")
        return reply

    def _pack(self, resources: Iterable[dav.Resource], token: str | None) -> _Members:
        etags: dict[str, str] = {}
        problems: list[ItemProblem] = []
        unreadable: set[str] = set()
        own = self._loc.path
        for res in resources:
            if res.href == own or res.href.endswith("/") or res.is_collection():
                continue
            if res.status == 404:  # gone in a later page of a paged listing
                etags.pop(res.href, None)
                continue
            etag = res.text(dav.DAV, "getetag")
            if not etag:
                problems.append(
                    ItemProblem(res.href, f"{res.href}: the server gives no version (ETag) for it")
                )
                unreadable.add(res.href)
                continue
            etags[res.href] = etag.strip()
        return etags, token, problems, unreadable

    # -- reading --------------------------------------------------------------------------

    def read(self, key: str) -> bytes:
        """The card's bytes, fetched with the cards listed after it (read-ahead: change
        detection reads changed cards in listing order)."""
        known = self._etags is not None and key in self._etags
        if not known and (self._etags is not None or not key.startswith(self._loc.path)):
            raise ItemVanished(f"{key} is no longer on the server", item=key)
        data = self._cards.get(key, self._etags)
        if data is None:
            raise ItemVanished(f"{key} is no longer on the server", item=key)
        return data

    def _multiget(self, hrefs: Sequence[str]) -> dav.Multistatus:
        reply = self._request("REPORT", self._url, dav.multiget(list(hrefs)), depth="1")
        if reply.status != 207:
            self._collection_status(reply)
            raise self._unexpected(reply, "reading cards")
        return self._parse(reply, keep_cr=True)

    def _get(self, href: str) -> Reply:
        return self._request("GET", self._loc.at(href), None)

    # -- writing --------------------------------------------------------------------------

    def create(self, uid: str, data: bytes) -> Written:
        """PUT a new card (``If-None-Match: *``) at a name made from ``uid``."""
        href = self._new_href(uid)
        headers = {**_VCARD, "If-None-Match": "*"}
        reply = self._write("PUT", href, data, headers, "create")
        if reply.status == 412:
            raise card_refused(reply, href, "create") or ItemRejected(
                f"{href} already exists on the server; it was left as it is, and the next "
                "sync compares it with this contact",
                item=href,
            )
        self._written_ok(reply, href, "create")
        return self._record(self._created_at(href, reply), reply)

    def _created_at(self, href: str, reply: Reply) -> str:
        """Where the server keeps a card PUT at ``href``: a server that names new cards
        itself (Google) says where in a ``Location`` header, a full URL or a reference
        relative to the PUT's. A place outside this address book cannot be synced: the
        card is reported, and not recorded (an href the listing lacks would read as a
        card deleted on the server)."""
        location = (reply.header("location") or "").strip()
        if not location:
            return href
        url = self._loc.at(href)
        moved = urljoin(url, location)
        key = dav.norm_href(moved)
        inside = key.startswith(self._loc.path) and not key.endswith("/")
        if server_label(moved) != server_label(url) or not inside:
            raise ItemRejected(
                f"{href}: the server says it stored this card at {location}, outside the "
                f"address book {self._name}; tell the server's administrator",
                item=href,
            )
        if key != href:
            log.debug("%s: %s was created as %s", self._name, href, key)
        return key

    def update(self, key: str, data: bytes) -> Written:
        """PUT over the card, only if it is still the version listed (``If-Match``)."""
        headers = {**_VCARD, "If-Match": self._etag_of(key)}
        reply = self._write("PUT", key, data, headers, "update")
        self._check_conditional(reply, key, "update")
        self._written_ok(reply, key, "update")
        return self._record(key, reply)

    def delete(self, key: str) -> None:
        """DELETE the card, only if it is still the version listed; one gone already is fine."""
        try:
            etag = self._etag_of(key)
        except ItemVanished:
            return
        reply = self._write("DELETE", key, None, {"If-Match": etag}, "delete")
        if reply.status == 404:
            return
        self._check_conditional(reply, key, "delete")
        self._written_ok(reply, key, "delete")
        self._cards.drop(key)
        if self._etags is not None:
            self._etags.pop(key, None)
        self._known.pop(key, None)
        self._written[key] = None

    def commit(self) -> str | None:
        """Every write is durable once answered; return the server's new token when the
        changes since the last one are exactly this session's writes (else None: the next
        sync lists everything and compares)."""
        if not self._written or not self._sync or not self._trust_token or not self._token:
            return None
        if self._cards.failed or self._listing_problems:
            return None  # the engine lists everything again until those are fixed
        try:
            changes = self._changes(self._token)
        except SyncError as err:  # the writes are made; only the shortcut is lost
            log.info("%s: no new sync token after writing: %s", self._name, err)
            changes = None
        if changes is None or changes.truncated or not changes.sync_token:
            self._trust_token = False
            return None
        others = {r.href for r in changes.resources if not self._ours(r)}
        if others:
            log.info("%s: %d cards changed on the server during the sync", self._name, len(others))
            self._stale |= others
            self._trust_token = False
            return None
        self._token = changes.sync_token
        self._written.clear()
        return changes.sync_token

    def _ours(self, res: dav.Resource) -> bool:
        if res.href not in self._written:
            return False
        mine = self._written[res.href]
        if res.status == 404:
            return mine is None
        etag = res.text(dav.DAV, "getetag")
        return mine is not None and etag is not None and etag.strip() == mine

    def _etag_of(self, key: str) -> str:
        etag = self._checked_etag(key) if self._etags is None else None
        if etag is None and self._etags is None:
            self._load_etags()
        if key in self._stale or key in self._cards.newer:
            raise ItemRejected(
                f"{key} changed on the server during the sync; it was left as it is there, "
                "and the next sync compares both versions",
                item=key,
            )
        if etag is None and self._etags is not None:
            etag = self._etags.get(key)
        if etag is None:
            raise ItemVanished(f"{key} is no longer on the server", item=key)
        return etag

    def _checked_etag(self, key: str) -> str | None:
        """After a listing that found no change (it sent no ETags): the ETag ``key`` was
        read with in this session, once a look at the changes since the engine's token,
        made after that read, found no one else's change to it. None: not read (or no
        longer kept), or the server cannot say what changed; then a full listing tells.

        The engine reads every card it overwrites or deletes (for history) before writing
        any, so one look covers a batch: a changes REPORT where a full listing would cost
        the server as much and send every card's ETag."""
        if key in self._known:
            return self._known[key]
        if self._cards.etag(key) is None or not self._sync or self._token is None:
            return None
        read = self._cards.kept()
        changes = self._changes(self._token)
        if changes is None or changes.truncated:
            return None
        others = {r.href for r in changes.resources if not self._ours(r)}
        self._stale |= others
        for href in read - others:
            etag = self._cards.etag(href)
            if etag is not None:
                self._known.setdefault(href, etag)
        return self._known.get(key)

    def _load_etags(self) -> None:
        """The ETags after a listing that found no change (it sent none): list now, and
        take as changed-during-the-sync whatever changed since the engine's token."""
        since = self._token
        etags, token, _problems, _unreadable = self._full_listing()
        self._etags = etags
        if since is None or token == since:
            return
        changes = self._changes(since) if self._sync else None
        if changes is None or changes.truncated:
            self._stale |= set(etags)  # cannot tell: write nothing this session
        else:
            self._stale |= {r.href for r in changes.resources if not self._ours(r)}

    def _new_href(self, uid: str) -> str:
        stem = uid if _SAFE_UID.fullmatch(uid) else uuid.uuid4().hex
        if stem.lower().endswith(".vcf"):
            stem = stem[:-4] or uuid.uuid4().hex
        return dav.norm_href(self._loc.path + stem + ".vcf")

    def _write(
        self, method: str, key: str, data: bytes | None, headers: dict[str, str], what: str
    ) -> Reply:
        """Send one write of ``key``. A 5xx is this card's (ItemRejected) once one cheap
        request shows the address book still answers; else the store is unavailable."""
        try:
            return self._request(method, self._loc.at(key), data, headers=headers)
        except ServerFailed as err:
            self._check_book()
            log.info("%s: the server failed the %s of %s (%d)", self._name, what, key, err.status)
            raise failed_on_card(err, key, what) from err

    def _check_conditional(self, reply: Reply, key: str, what: str) -> None:
        if reply.status == 412:
            refused = card_refused(reply, key, what)
            if refused is not None:
                raise refused
            raise ItemRejected(
                f"{key} changed on the server since it was listed; the {what} was not made "
                "and the card was left as it is there; the next sync compares both versions",
                item=key,
            )
        if reply.status == 404:
            raise ItemVanished(f"{key} is no longer on the server", item=key)

    def _written_ok(self, reply: Reply, key: str, what: str) -> None:
        if 200 <= reply.status < 300:
            return
        if reply.status == 403:
            raise AccessRefused(
                f"The CardDAV server {self.client.server} does not let this account change "
                f"{self._name} (403). Check the account's permissions."
            )
        if reply.status in (400, 409, 413, 415, 422, 507):
            raise ItemRejected(
                f"{key}: the server refused the {what} ({reply.status}{reply.reason()})",
                item=key,
            )
        self._collection_status(reply)
        raise self._unexpected(reply, f"the {what} of {key}")

    def _record(self, key: str, reply: Reply) -> Written:
        """Remember what was written; the ETag from the answer, or asked for once (a server
        that rewrites a card sends none: its version is the one we keep)."""
        etag = reply.header("etag")
        if not etag or etag.startswith("W/"):
            etag = self._ask_etag(key)
        self._cards.drop(key)
        if self._etags is not None:
            self._etags[key] = etag
        else:
            self._known[key] = etag
        self._written[key] = etag
        return Written(key, etag)

    def _ask_etag(self, key: str) -> str:
        reply = self._request("PROPFIND", self._loc.at(key), dav.propfind("D:getetag"), depth="0")
        if reply.status == 207:
            for res in self._parse(reply).resources:
                etag = res.text(dav.DAV, "getetag")
                if etag:
                    return etag.strip()
        raise ItemRejected(
            f"{key} was written, but the server does not say its version; it is compared "
            "again at the next sync",
            item=key,
        )

    # -- requests -------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        *,
        depth: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if depth is not None:
            sent["Depth"] = depth
            sent["Content-Type"] = "application/xml; charset=utf-8"
        return self.client.request(method, url, headers=sent, body=body)

    def _parse(self, reply: Reply, *, keep_cr: bool = False) -> dav.Multistatus:
        try:
            return dav.parse_multistatus(reply.body, keep_cr=keep_cr)
        except dav.BadXml as err:
            raise StoreUnavailable(
                f"The CardDAV server {self.client.server} sent an answer that cannot be "
                f"used: {err}. Nothing was changed; check the server address, or tell the "
                "server's administrator."
            ) from err

    def _check_book(self) -> None:
        """One cheap request to the address book (a PROPFIND of its own resource type):
        raises StoreUnavailable when it does not answer as an address book should."""
        body = dav.propfind("D:resourcetype")
        reply = self._request("PROPFIND", self._url, body, depth="0")
        if reply.status != 207:
            self._collection_status(reply)
            raise self._unexpected(reply, "checking the address book")

    def _collection_status(self, reply: Reply) -> None:
        """Raise for what a status says about the whole address book."""
        if reply.status == 404:
            raise StoreUnavailable(
                f"The address book {self._url} does not exist on {self.client.server}. Was "
                "it removed or renamed? Check the address (or the account's address books)."
            )
        if reply.status == 403 and self._sync is False:
            raise AccessRefused(
                f"The CardDAV server {self.client.server} does not let this account use "
                f"{self._name} (403). Check the user name and the account's permissions."
            )

    def _unexpected(self, reply: Reply, what: str) -> StoreUnavailable:
        if reply.status == 403:
            return AccessRefused(
                f"The CardDAV server {self.client.server} refused {what} in {self._name} "
                "(403). Check the user name and the account's permissions."
            )
        return StoreUnavailable(
            f"The CardDAV server {self.client.server} answered {reply.status}"
            f"{reply.reason()} when {what} in {self._name}. Check the address book's address."
        )


# -- openers ---------------------------------------------------------------------------------


def open_store(
    url: str,
    *,
    user: str | None,
    password: str | None,
    ca_file: str | None = None,
    timeout: float = 30.0,
    name: str | None = None,
) -> CardDavStore:
    """The store for the address book collection at ``url`` (an account's book)."""
    loc = parse_location(url)
    client = DavClient(
        loc.url,
        user=user or loc.user,
        password=password if password is not None else loc.password,
        ca_file=ca_file,
        timeout=timeout,
    )
    return CardDavStore(client, loc, name)


def open_carddav_store(location: str) -> CardDavStore:
    """The store for ``carddav:URL``; a user name may be given in the URL
    (``http://alice@127.0.0.1:5232/alice/contacts/``), a password never should."""
    if not location.strip():
        raise StoreUnavailable("No address was given for the CardDAV address book.")
    loc = parse_location(location)
    return open_store(loc.url, user=loc.user, password=loc.password)
