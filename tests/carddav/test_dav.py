"""Multistatus parsing and small helpers, without a server."""

from __future__ import annotations

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.carddav.client import retry_after
from syncgui.providers.carddav.dav import CARD, BadXml, norm_href, parse_multistatus
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
