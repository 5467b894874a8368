"""Multistatus parsing and small helpers, without a server."""

from __future__ import annotations

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.carddav.client import Reply, retry_after
from syncgui.providers.carddav.dav import CARD, BadXml, norm_href, parse_error, parse_multistatus
from syncgui.providers.carddav.location import parse_location
from tests.carddav.proxy import BILLION_LAUGHS

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>&x;</D:href></D:response></D:multistatus>"""

CARD_WITH_CR = (
    b'<?xml version="1.0"?>\r\n<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:'
    b'ns:carddav">\r\n<D:response><D:href>/a/b%40c.vcf</D:href><D:propstat><D:prop>'
    b'<D:getetag>"1"</D:getetag><C:address-data>BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n'
    b"</C:address-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    b"</D:response>\r\n</D:multistatus>\r\n"
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL])
def test_entities_are_refused(body: bytes) -> None:
    with pytest.raises(BadXml, match="refused for safety"):
        parse_multistatus(body)


@pytest.mark.parametrize("body", [b"", b"<html>oops</html>", b"<D:multistatus xmlns:D='DAV:'>"])
def test_what_is_not_a_multistatus_is_refused(body: bytes) -> None:
    with pytest.raises(BadXml):
        parse_multistatus(body)


def test_card_line_breaks_survive_the_xml_parser() -> None:
    plain = parse_multistatus(CARD_WITH_CR).resources[0]
    kept = parse_multistatus(CARD_WITH_CR, keep_cr=True).resources[0]
    assert plain.text(CARD, "address-data") == "BEGIN:VCARD\nFN:A\nEND:VCARD\n"
    assert kept.text(CARD, "address-data") == "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n"
    assert kept.href == "/a/b@c.vcf" == norm_href("http://h:1/a/b@c.vcf")


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_locations() -> None:
    loc = parse_location("carddav:HTTP://Alice:pw@LOCALHOST:80/x/y")
    assert (loc.url, loc.user, loc.password) == ("http://localhost/x/y/", "Alice", "pw")
    assert parse_location("http://[::1]:5232/a/").url == "http://[::1]:5232/a/"
    assert parse_location("https://dav.example.org:443/a").url == "https://dav.example.org/a/"
    for bad in ("http://dav.example.org/a/", "ftp://x/", "dav.example.org/a/", "https://h:x/"):
        with pytest.raises(StoreUnavailable):
            parse_location(bad)


XANDIKOS_412 = (
    b'<ns0:error xmlns:ns0="DAV:" xmlns:ns1="urn:ietf:params:xml:ns:carddav">'
    b"<ns1:valid-address-data /><ns0:responsedescription>Not a valid vCard file: At line 15: "
    b"Failed to parse line: =36=34</ns0:responsedescription></ns0:error>"
)


def test_a_dav_error_names_its_conditions() -> None:
    refusal = parse_error(XANDIKOS_412)
    assert refusal.names(CARD, "valid-address-data")
    assert not refusal.names(CARD, "supported-address-data")
    assert refusal.description.startswith("Not a valid vCard file: At line 15")


@pytest.mark.parametrize(
    "body", [b"", b"Precondition Failed", b"<D:error xmlns:D='DAV:'", BILLION_LAUGHS, CARD_WITH_CR]
)
def test_anything_else_names_no_condition(body: bytes) -> None:
    assert parse_error(body).conditions == frozenset()


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (
            500,
            b"500 Internal Server Error\n\nServer got itself in trouble",
            ": Internal Server Error",
        ),
        (400, b"Bad vCard\nmore", ": Bad vCard"),
        (500, b"", ""),
    ],
)
def test_a_plain_text_reason_is_quoted_without_its_status(
    status: int, body: bytes, reason: str
) -> None:
    reply = Reply(status, {"content-type": "text/plain; charset=utf-8"}, body, "http://h/")
    assert reply.reason() == reason
