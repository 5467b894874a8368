"""WebDAV and CardDAV XML: request bodies and multistatus parsing.

Responses are parsed with defusedxml, which refuses DTDs, entity declarations and external
references (a "billion laughs" or an ``<!ENTITY x SYSTEM "file:///etc/passwd">`` from a
hostile server). The caller caps the response size before it gets here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

DAV = "DAV:"
CARD = "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"
_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
_SAFE_PATH = "/@:+,;=!$&'()*~-._"


class BadXml(Exception):
    """A response that is not a multistatus we may read (malformed, hostile, wrong root)."""


def norm_href(href: str) -> str:
    """The path of ``href`` (absolute URL or path), percent-encoded one canonical way, so a
    server that encodes ``@`` and one that does not give the same key."""
    path = urlsplit(href.strip()).path or "/"
    return quote(unquote(path), safe=_SAFE_PATH)


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


@dataclass(frozen=True, slots=True)
class Resource:
    """One ``DAV:response``: its href, status (of the response or of the 200 propstat) and
    the properties found (qualified tag -> element)."""

    href: str
    status: int
    props: dict[str, Element] = field(default_factory=dict)

    def text(self, ns: str, name: str) -> str | None:
        found = self.props.get(_tag(ns, name))
        return None if found is None else (found.text or "")

    def has(self, ns: str, name: str) -> bool:
        return _tag(ns, name) in self.props

    def resource_types(self) -> set[str]:
        found = self.props.get(_tag(DAV, "resourcetype"))
        return set() if found is None else {child.tag for child in found}

    def is_addressbook(self) -> bool:
        return _tag(CARD, "addressbook") in self.resource_types()

    def is_collection(self) -> bool:
        return _tag(DAV, "collection") in self.resource_types()

    def inner_href(self, ns: str, name: str) -> str | None:
        """The first ``DAV:href`` inside a property (current-user-principal, home sets)."""
        found = self.props.get(_tag(ns, name))
        if found is None:
            return None
        inner = found.find(_tag(DAV, "href"))
        return None if inner is None or not (inner.text or "").strip() else inner.text


@dataclass(frozen=True, slots=True)
class Multistatus:
    resources: list[Resource]
    sync_token: str | None
    truncated: bool  # a 507 for the request itself: more changes with the new token


def _status_code(element: Element | None) -> int | None:
    if element is None or not element.text:
        return None
    parts = element.text.split()
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


def _resource(node: Element) -> Resource | None:
    href = node.find(_tag(DAV, "href"))
    if href is None or not (href.text or "").strip():
        return None
    status = _status_code(node.find(_tag(DAV, "status")))
    props: dict[str, Element] = {}
    for propstat in node.findall(_tag(DAV, "propstat")):
        code = _status_code(propstat.find(_tag(DAV, "status")))
        prop = propstat.find(_tag(DAV, "prop"))
        if code is not None and 200 <= code < 300 and prop is not None:
            props.update((child.tag, child) for child in prop)
            status = status or code
    return Resource(norm_href(href.text or ""), status or 200, props)


def parse_multistatus(body: bytes, *, keep_cr: bool = False) -> Multistatus:
    """The responses of a ``207 Multi-Status`` body; BadXml for anything else.

    ``keep_cr``: keep carriage returns in text (cards' CRLF line breaks), which an XML
    parser would otherwise turn into plain LF: a server that sends them raw (not as
    ``&#13;``) gets them back as sent. Not for bodies with CDATA sections."""
    if keep_cr and b"\r" in body and b"<![CDATA[" not in body:
        try:
            return parse_multistatus(_cr_as_reference(body))
        except BadXml:
            pass  # a carriage return inside markup: parse as sent
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise BadXml(f"it contains {type(err).__name__} (refused for safety)") from err
    except (ParseError, ValueError) as err:
        raise BadXml(f"it is not well-formed XML ({err})") from err
    if root.tag != _tag(DAV, "multistatus"):
        raise BadXml(f"it is not a WebDAV multistatus (root element {root.tag!r})")
    resources: list[Resource] = []
    truncated = False
    for node in root.findall(_tag(DAV, "response")):
        found = _resource(node)
        if found is None:
            continue
        if found.status == 507 and not found.props:
            truncated = True
            continue
        resources.append(found)
    token = root.find(_tag(DAV, "sync-token"))
    sync_token = (token.text or "").strip() if token is not None else None
    return Multistatus(resources, sync_token or None, truncated)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A ``DAV:error`` body (RFC 4918 section 16): the pre- or postconditions it names
    (qualified tags) and its ``responsedescription``, if any."""

    conditions: frozenset[str]
    description: str

    def names(self, ns: str, name: str) -> bool:
        return _tag(ns, name) in self.conditions


def parse_error(body: bytes) -> Refusal:
    """The conditions a ``DAV:error`` body names; none for any other body (empty, plain
    text, malformed or hostile XML)."""
    if b"error" not in body:
        return Refusal(frozenset(), "")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError):
        return Refusal(frozenset(), "")
    if root.tag != _tag(DAV, "error"):
        return Refusal(frozenset(), "")
    described = root.find(_tag(DAV, "responsedescription"))
    conditions = frozenset(c.tag for c in root if c is not described)
    text = " ".join((described.text or "").split()) if described is not None else ""
    return Refusal(conditions, text)


_ROOT_START = re.compile(rb"<[A-Za-z_][^>]*>")


def _cr_as_reference(body: bytes) -> bytes:
    """``body`` with each CR inside the root element written as ``&#13;``."""
    start = _ROOT_START.search(body)
    end = body.rfind(b"</")
    if start is None or end < start.end():
        return body
    inner = body[start.end() : end].replace(b"\r", b"&#13;")
    return body[: start.end()] + inner + body[end:]


# -- request bodies --------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def propfind(*props: str) -> bytes:
    """A PROPFIND body asking for ``props``, each ``"D:name"`` or ``"C:name"`` / ``"CS:name"``."""
    inner = "".join(f"<{p}/>" for p in props)
    return (
        f'{_HEAD}<D:propfind xmlns:D="{DAV}" xmlns:C="{CARD}" xmlns:CS="{CS}">'
        f"<D:prop>{inner}</D:prop></D:propfind>"
    ).encode()


def sync_collection(token: str | None) -> bytes:
    """An RFC 6578 ``sync-collection`` REPORT body (no token: the initial, full listing)."""
    value = _escape(token or "")
    return (
        f'{_HEAD}<D:sync-collection xmlns:D="{DAV}">'
        f"<D:sync-token>{value}</D:sync-token><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    ).encode()


def multiget(hrefs: list[str]) -> bytes:
    """An RFC 6352 ``addressbook-multiget`` REPORT body for ``hrefs`` (paths)."""
    inner = "".join(f"<D:href>{_escape(h)}</D:href>" for h in hrefs)
    return (
        f'{_HEAD}<C:addressbook-multiget xmlns:D="{DAV}" xmlns:C="{CARD}">'
        f"<D:prop><D:getetag/><C:address-data/></D:prop>{inner}</C:addressbook-multiget>"
    ).encode()


def mkcol_addressbook(name: str) -> bytes:
    """An extended MKCOL body (RFC 5689) making an address book called ``name``."""
    return (
        f'{_HEAD}<D:mkcol xmlns:D="{DAV}" xmlns:C="{CARD}"><D:set><D:prop>'
        "<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>"
        f"<D:displayname>{_escape(name)}</D:displayname></D:prop></D:set></D:mkcol>"
    ).encode()
