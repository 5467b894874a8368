"""Finding address books on both servers, from the server root or a book's own URL."""

from __future__ import annotations

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.carddav import AddressBook, SignInFailed, discover, open_store
from syncgui.providers.carddav.discovery import may_follow
from tests.carddav.servers import Server
from tests.carddav.support import card


def test_discovery_from_the_server_root_finds_the_books_with_counts(
    server: Server, book: str
) -> None:
    store = open_store(book, user=server.user, password=None)
    store.list(None)
    for i in range(3):
        store.create(f"d{i}", card(f"d{i}", f"Person {i}"))
    store.close()

    found = discover(server.base + "/", user=server.user, password=None)

    mine = [b for b in found if b.url == book]
    assert mine == [AddressBook(book, "Contacts", 3)]


def test_a_book_url_is_found_as_itself(server: Server, book: str) -> None:
    assert discover(book, user=server.user, password=None) == [AddressBook(book, "Contacts", 0)]


def test_a_wrong_password_is_a_sign_in_failure(radicale_auth: Server) -> None:
    with pytest.raises(SignInFailed, match="user name or password"):
        discover(radicale_auth.base + "/", user="alice", password="wrong")
    url = radicale_auth.new_book("Work")
    found = discover(radicale_auth.base + "/", user="alice", password="s3cret")
    assert AddressBook(url, "Work", 0) in found
    store = open_store(url, user="alice", password="s3cret")
    assert store.list(None).entries == []
    store.close()
    with pytest.raises(SignInFailed):
        open_store(url, user="alice", password="nope").list(None)


def test_plain_http_is_refused_off_this_computer() -> None:
    with pytest.raises(StoreUnavailable, match="https"):
        discover("http://dav.example.org/", user="a", password="b")


@pytest.mark.parametrize(
    ("origin", "target", "allowed"),
    [
        ("https://contacts.icloud.com/", "https://p42-contacts.icloud.com/123/", True),
        ("https://dav.example.org/", "https://dav.example.org:8443/x/", True),
        ("https://dav.example.org/", "https://evil.example.net/", False),
        ("https://example.co.uk/", "https://evil.co.uk/", False),
        ("http://127.0.0.1:5232/", "http://127.0.0.1:5232/alice/", True),
        ("https://dav.example.org/", "http://dav.example.org/", False),
    ],
)
def test_credentials_follow_redirects_only_within_a_site(
    origin: str, target: str, allowed: bool
) -> None:
    assert may_follow(origin, target) is allowed
