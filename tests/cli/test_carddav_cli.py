"""``syncgui-cli`` end to end against real CardDAV servers, as a new user would use it.

Radicale with htpasswd sign-in (the password goes to a keyring: an in-memory one here) and
Xandikos without sign-in (tests/carddav/servers.py). An account is added, a folder is paired
with one of its address books, and the two are synced through edits and deletes on each
side, a conflict, a dry run and ``--json``; the server's side is changed and read by another
client (plain HTTP with ``If-Match``, as a phone or a web client would). After each step,
both sides hold the same contacts, each once.
"""

from __future__ import annotations

import io
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from syncgui.providers.carddav import dav
from syncgui.service.secrets import SERVICE
from tests.carddav.servers import Server
from tests.carddav.servers import radicale_auth as _radicale_auth  # noqa: F401 - a fixture
from tests.carddav.servers import xandikos as _xandikos  # noqa: F401 - a fixture
from tests.cli.conftest import Cli, card
from tests.keyrings import MemoryKeyring

_XML = {"Content-Type": "application/xml; charset=utf-8"}
_VCARD = {"Content-Type": "text/vcard; charset=utf-8"}


@dataclass
class Online:
    """An address book on a real server, seen by another client (plain HTTP)."""

    server: Server
    account: str  # the account name given to ``account add``
    url: str  # the book's URL
    segment: str  # its last path segment: the BOOK of carddav:ACCOUNT/BOOK

    @property
    def spec(self) -> str:
        return f"carddav:{self.account}/{self.segment}"

    def _http(self) -> httpx.Client:
        return httpx.Client(auth=self.server.auth(), timeout=30)

    def listing(self) -> dict[str, str]:
        """href -> ETag of every card in the book."""
        with self._http() as http:
            reply = http.request(
                "PROPFIND",
                self.url,
                content=dav.propfind("D:getetag"),
                headers={**_XML, "Depth": "1"},
            )
        assert reply.status_code == 207, reply.text
        path = httpx.URL(self.url).path
        return {
            r.href: (r.text(dav.DAV, "getetag") or "").strip()
            for r in dav.parse_multistatus(reply.content).resources
            if r.href.rstrip("/") != path.rstrip("/")
        }

    def cards(self) -> dict[str, str]:
        """UID -> the card's text, as the server holds it (a UID twice fails)."""
        found: dict[str, str] = {}
        with self._http() as http:
            for href in self.listing():
                text = http.get(self.server.base + href).text
                uid = _uid(text)
                assert uid not in found, f"duplicate contact {uid} on the server"
                found[uid] = text
        return found

    def href_of(self, uid: str) -> tuple[str, str]:
        """The href and ETag of the card with ``uid``."""
        with self._http() as http:
            for href, etag in self.listing().items():
                if _uid(http.get(self.server.base + href).text) == uid:
                    return href, etag
        raise AssertionError(f"{uid} is not on the server")

    def create(self, uid: str, text: str) -> None:
        with self._http() as http:
            reply = http.put(
                f"{self.url}{uid}.vcf",
                content=text.encode(),
                headers={**_VCARD, "If-None-Match": "*"},
            )
        assert reply.status_code in (201, 204), reply.text

    def edit(self, uid: str, text: str) -> None:
        """Another client changes a card, conditionally on the version it read."""
        href, etag = self.href_of(uid)
        with self._http() as http:
            reply = http.put(
                self.server.base + href,
                content=text.encode(),
                headers={**_VCARD, "If-Match": etag},
            )
        assert reply.status_code in (200, 201, 204), reply.text

    def delete(self, uid: str) -> None:
        href, etag = self.href_of(uid)
        with self._http() as http:
            reply = http.delete(self.server.base + href, headers={"If-Match": etag})
        assert reply.status_code in (200, 204), reply.text


def _uid(text: str) -> str:
    found = re.search(r"^UID:(.*?)\r?$", text, re.MULTILINE)
    assert found is not None, text
    return found.group(1).strip()


def _folder_cards(folder: Path) -> dict[str, str]:
    """UID -> the card's text, for every card in the folder (a UID twice fails)."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.vcf")):
        text = path.read_text(encoding="utf-8")
        uid = _uid(text)
        assert uid not in found, f"duplicate contact {uid} in the folder"
        found[uid] = text
    return found


def _file_of(folder: Path, uid: str) -> Path:
    return next(p for p in folder.glob("*.vcf") if _uid(p.read_text(encoding="utf-8")) == uid)


@pytest.fixture(params=["radicale_auth", "xandikos"])
def online(
    request: pytest.FixtureRequest,
    cli: Cli,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> Online:
    """An account added with ``account add`` and a fresh, empty address book in it."""
    server: Server = request.getfixturevalue(f"_{request.param}")
    url = server.new_book(f"Book {uuid.uuid4().hex[:6]}")
    segment = url.rstrip("/").rpartition("/")[2]
    account = "rad" if server.kind == "radicale" else "x"
    args = ["account", "add", account, f"{server.base}/"]
    if server.user:
        args += ["--user", server.user, "--password-stdin"]
        monkeypatch.setattr(sys, "stdin", io.StringIO(f"{server.password}\n"))
    code, out, err = cli(*args)
    assert code == 0, err
    assert f"Signed in to {server.base}/" in out
    assert re.search(rf"0 cards +carddav:{account}/{segment}\n", out), out
    if server.user:
        assert memory_keyring.items == {(SERVICE, account): server.password}
        assert "password in the keyring" in out
    return Online(server, account, url, segment)


def _synced(cli: Cli, *args: str) -> str:
    code, out, err = cli("sync", *args)
    assert code == 0, err + out
    return out


def _same_on_both_sides(folder: Path, online: Online) -> dict[str, str]:
    """Both sides hold the same contacts, each once; the folder's cards."""
    mine, theirs = _folder_cards(folder), online.cards()
    assert sorted(mine) == sorted(theirs)
    return mine


def test_a_folder_and_an_online_address_book_kept_in_step(
    cli: Cli, online: Online, tmp_path: Path
) -> None:
    folder = tmp_path / "contacts"
    folder.mkdir()
    for uid, name in (("ann", "Ann Example"), ("bob", "Bob Example"), ("cy", "Cy Example")):
        (folder / f"{uid}.vcf").write_text(card(uid, name, f"TEL:+1 555 01{len(uid)}"), newline="")
    online.create("dee", card("dee", "Dee Online", "EMAIL:dee@example.org"))

    code, out, err = cli("partnership", "add", "p", f"vdir:{folder}", online.spec)
    assert code == 0, err
    assert f"B = {online.spec}" in out

    out = _synced(cli, "p")
    assert out.startswith("p: synced: A 1 added, 0 changed, 0 deleted; B 3 added, 0 changed")
    cards = _same_on_both_sides(folder, online)
    assert sorted(cards) == ["ann", "bob", "cy", "dee"]
    assert "EMAIL:dee@example.org" in cards["dee"]
    assert _synced(cli, "p").startswith(
        "p: synced: A 0 added, 0 changed, 0 deleted; B 0 added, 0 changed, 0 deleted"
    )

    # an edit in the folder goes to the server
    (folder / "bob.vcf").write_text(card("bob", "Bob Example", "NOTE:met in Lyon"), newline="")
    assert "; B 0 added, 1 changed, 0 deleted" in _synced(cli, "p")
    assert "NOTE:met in Lyon" in online.cards()["bob"]

    # an edit on the server (another client, If-Match) comes to the folder
    online.edit("ann", card("ann", "Ann Example", "TEL:+1 555 013", "EMAIL:ann@example.org"))
    assert _synced(cli, "p").startswith("p: synced: A 0 added, 1 changed, 0 deleted; B 0 added")
    assert "EMAIL:ann@example.org" in _folder_cards(folder)["ann"]

    # deletes, one on each side
    (folder / "cy.vcf").unlink()
    online.delete("dee")
    out = _synced(cli, "p")
    assert "A 0 added, 0 changed, 1 deleted; B 0 added, 0 changed, 1 deleted" in out
    cards = _same_on_both_sides(folder, online)
    assert sorted(cards) == ["ann", "bob"]
    assert "NOTE:met in Lyon" in cards["bob"] and "EMAIL:ann@example.org" in cards["ann"]

    # nothing comes back, nothing is doubled
    assert "A 0 added, 0 changed, 0 deleted; B 0 added, 0 changed, 0 deleted" in _synced(cli, "p")
    assert sorted(_same_on_both_sides(folder, online)) == ["ann", "bob"]


def test_a_dry_run_writes_nothing_and_json_reports_what_the_sync_did(
    cli: Cli, online: Online, tmp_path: Path
) -> None:
    folder = tmp_path / "contacts"
    folder.mkdir()
    for i in range(4):
        (folder / f"p{i}.vcf").write_text(card(f"p{i}", f"Person {i}"), newline="")
    assert cli("partnership", "add", "p", f"vdir:{folder}", online.spec)[0] == 0
    code, [first] = cli.json("sync", "p")
    assert code == 0
    assert first["status"] == "ok" and first["dry_run"] is False
    assert first["to_b"] == {"created": 4, "updated": 0, "deleted": 0}
    assert first["to_a"] == {"created": 0, "updated": 0, "deleted": 0}
    assert first["errors"] == []

    (folder / "p0.vcf").write_text(card("p0", "Person 0", "NOTE:from the folder"), newline="")
    (folder / "p1.vcf").unlink()
    online.edit("p2", card("p2", "Person 2", "NOTE:from the server"))
    online.create("new", card("new", "New Online"))
    before_folder, before_server = _folder_cards(folder), online.cards()

    code, out, err = cli("sync", "p", "--dry-run")
    assert code == 0, err
    assert out.startswith(
        "p: would change: A 1 added, 1 changed, 0 deleted; B 0 added, 1 changed, 1 deleted"
    )
    assert _folder_cards(folder) == before_folder
    assert online.cards() == before_server  # not a byte changed on the server

    code, [planned] = cli.json("sync", "p", "--dry-run")
    assert planned["dry_run"] is True
    code, [done] = cli.json("sync", "p")
    assert code == 0 and done["status"] == "ok" and done["errors"] == []
    for side in ("to_a", "to_b"):
        assert done[side] == planned[side]  # the dry run predicted the sync
    assert done["to_a"] == {"created": 1, "updated": 1, "deleted": 0}
    assert done["to_b"] == {"created": 0, "updated": 1, "deleted": 1}
    cards = _same_on_both_sides(folder, online)
    assert sorted(cards) == ["new", "p0", "p2", "p3"]
    assert "NOTE:from the folder" in cards["p0"] and "NOTE:from the server" in cards["p2"]


def test_a_conflict_waits_for_the_user_and_the_choice_reaches_both_sides(
    cli: Cli, online: Online, tmp_path: Path
) -> None:
    folder = tmp_path / "contacts"
    folder.mkdir()
    base = card("ann", "Ann Example", "TEL:+1 555 0100", "NOTE:base note")
    (folder / "ann.vcf").write_text(base, newline="")
    (folder / "bob.vcf").write_text(card("bob", "Bob Example"), newline="")
    assert cli("partnership", "add", "p", f"vdir:{folder}", online.spec)[0] == 0
    _synced(cli, "p")

    # the same field changed on both sides; the number only in the folder
    ours = card("ann", "Ann Example", "TEL:+1 555 0199", "NOTE:from the folder")
    _file_of(folder, "ann").write_text(ours, newline="")
    online.edit("ann", card("ann", "Ann Example", "TEL:+1 555 0100", "NOTE:from the server"))
    (folder / "bob.vcf").write_text(card("bob", "Bob Example", "NOTE:no clash"), newline="")
    code, out, err = cli("sync", "p")
    assert code == 3, err + out  # done, with a conflict left for the user
    assert "1 conflict(s) wait for you: `syncgui-cli conflicts p`" in out
    assert "NOTE:no clash" in online.cards()["bob"]  # the rest of the sync went on

    code, [conflict] = cli.json("conflicts", "p")
    assert conflict["kind"] == "update-update" and conflict["item"] == "Ann Example"
    assert "NOTE:from the folder" in conflict["a"]["vcard"]
    assert "NOTE:from the server" in conflict["b"]["vcard"]
    assert "NOTE:from the server" in online.cards()["ann"]  # nothing overwritten yet
    assert "NOTE:from the folder" in _folder_cards(folder)["ann"]

    code, _out, err = cli("resolve", conflict["id"], "--keep", "merged", "--field", "NOTE=b")
    assert code == 0, err
    assert cli.json("conflicts", "p") == (0, [])
    _synced(cli, "p")
    cards = _same_on_both_sides(folder, online)
    for text in (cards["ann"], online.cards()["ann"]):
        assert "NOTE:from the server" in text and "from the folder" not in text
        assert "TEL:+1 555 0199" in text and "0100" not in text  # the folder's number kept
    assert "A 0 added, 0 changed, 0 deleted; B 0 added, 0 changed, 0 deleted" in _synced(cli, "p")


def test_an_address_book_given_by_its_url(
    cli: Cli, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``carddav:URL`` without an account: a server that needs no sign-in (Xandikos)."""
    server: Server = request.getfixturevalue("_xandikos")
    url = server.new_book("By URL")
    online = Online(server, "", url, "")
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "ann.vcf").write_text(card("ann", "Ann Example"), newline="")
    online.create("srv", card("srv", "On The Server"))
    code, out, err = cli("partnership", "add", "u", f"vdir:{folder}", f"carddav:{url}")
    assert code == 0, err
    assert f"B = carddav:{url}" in out
    assert _synced(cli, "u").startswith("u: synced: A 1 added, 0 changed, 0 deleted; B 1 added")
    assert sorted(_same_on_both_sides(folder, online)) == ["ann", "srv"]
    (folder / "ann.vcf").write_text(card("ann", "Ann Example", "NOTE:by url"), newline="")
    assert "B 0 added, 1 changed, 0 deleted" in _synced(cli, "u")
    assert "NOTE:by url" in online.cards()["ann"]
    code, [result] = cli.json("sync", "u")
    assert code == 0 and result["status"] == "ok"
    assert result["to_a"] == result["to_b"] == {"created": 0, "updated": 0, "deleted": 0}


def test_the_url_of_an_accounts_book_is_that_accounts_book(
    cli: Cli, online: Online, tmp_path: Path
) -> None:
    """``carddav:URL`` naming a book of an account signs in as that account (Radicale asks
    for the password in the keyring) and is the same store as ``carddav:ACCOUNT/BOOK``."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    (first / "ann.vcf").write_text(card("ann", "Ann Example"), newline="")
    assert cli("partnership", "add", "one", f"vdir:{first}", online.spec)[0] == 0
    code, out, err = cli("partnership", "add", "two", f"vdir:{second}", f"carddav:{online.url}")
    assert code == 0, err
    assert f"B = {online.spec}" in out
    assert "B 1 added" in _synced(cli, "one")
    assert _synced(cli, "two").startswith("two: synced: A 1 added, 0 changed, 0 deleted; B 0")
    assert _folder_cards(second).keys() == online.cards().keys() == {"ann"}
    (second / next(second.glob("*.vcf")).name).write_text(
        card("ann", "Ann Example", "NOTE:from the second folder"), newline=""
    )
    _synced(cli, "two")
    assert "A 0 added, 1 changed, 0 deleted" in _synced(cli, "one")
    assert "NOTE:from the second folder" in _folder_cards(first)["ann"]
    assert sorted(online.cards()) == ["ann"]
