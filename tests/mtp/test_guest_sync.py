"""A whole sync against a real MTP stack: ``syncgui-cli`` in the QEMU guest, real libmtp in
the helper process, QEMU's emulated MTP device, whose files live in a host folder (the
"phone"). Edits on the phone's side are made in that folder between boots, as a user edits
a phone while it is unplugged.

Four boots, shared by the tests of this module, in order:

1. ``devices``, a partnership between a vCard folder and ``mtp:first/FakePhone/Contacts``
   (created on the phone), the first sync;
2. after edits on both sides, a delete on the phone and the same card changed on both:
   the sync (one conflict), ``resolve``, the sync that carries it, a no-op sync — and the
   phone's sync state object, written in boot 1, read back after the reboot;
3. thirty large cards to send; the sync is killed (SIGKILL, with its helper) mid-transfer;
4. after reconnecting: the sync completes, with no duplicate and no half card.
"""

from __future__ import annotations

import json
import logging
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from syncgui.providers.mtp.phone.statecodec import awkward_size, decode_state
from tests.mtp_guest import GuestImage, GuestResult, run_in_guest
from tests.mtp_guest.guest import GuestError

pytestmark = pytest.mark.mtp
log = logging.getLogger(__name__)

DESC = "FakePhone"
SPEC = f"mtp:first/{DESC}/Contacts"


def card(uid: str, name: str, *extra: str) -> bytes:
    """A card of a size QEMU's responder can take (see ``awkward_size``: it mishandles a
    transfer whose last USB packet is a multiple of 64 bytes or shorter than 12)."""
    for pad in range(16):
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}{' ' * pad}", *extra]
        data = ("\r\n".join([*lines, "END:VCARD"]) + "\r\n").encode()
        if not awkward_size(len(data)):
            return data
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Boot:
    result: GuestResult
    out: Path

    def json(self, name: str) -> Any:
        path = self.out / name
        assert path.exists(), f"{name} missing; console:\n{self.result.output[-3000:]}"
        return json.loads(path.read_text())

    def code(self, name: str) -> int:
        return int((self.out / f"{name}.rc").read_text())


class World:
    """The host side: the phone's folder, the address book, the CLI's folders."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.phone = base / "phone"
        self.book = base / "book"
        self.phone.mkdir()
        self.book.mkdir()
        self.boots = 0

    def cli(self, *args: str, out: str) -> str:
        dirs = f"--config-dir {self.base / 'config'} --data-dir {self.base / 'data'}"
        cmd = " ".join(shlex.quote(a) for a in args)
        return f"syncgui-cli {dirs} {cmd} > out/{out} 2> out/{out}.err; echo $? > out/{out}.rc"

    def boot(self, image: GuestImage, lines: list[str]) -> Boot:
        self.boots += 1
        out = self.base / "out"
        if out.exists():
            for p in out.iterdir():
                p.unlink()
        out.mkdir(exist_ok=True)
        script = "\n".join([f"cd {shlex.quote(str(self.base))}", *lines])
        result = run_in_guest(
            script, workdir=self.base, device_dirs=[(self.phone, DESC)], image=image, timeout=600
        )
        log.info(
            "boot %d: %.1f s (%.1f s to boot)", self.boots, result.seconds, result.boot_seconds
        )
        (self.base / f"console-{self.boots}.txt").write_text(result.output)
        return Boot(result, out)

    def contacts(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((self.phone / "Contacts").iterdir())}

    def state_files(self, pattern: str) -> list[Path]:
        # QEMU's responder never lists dot-names, so the state lands in a visible folder
        return sorted(self.phone.glob(f".syncgui/{pattern}")) + sorted(
            self.phone.glob(f"syncgui/{pattern}")
        )

    def state_replica(self) -> bytes:
        states = self.state_files("*.state")
        assert len(states) == 1, states
        return decode_state(states[0].read_bytes()).replica_id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("phone-sync"))


@pytest.fixture(scope="module")
def boot1(mtp_guest_image: GuestImage, world: World) -> Boot:
    for uid, name in [("ann", "Ann"), ("bob", "Bob"), ("carol", "Carol"), ("fay", "Fay")]:
        (world.book / f"{uid}.vcf").write_bytes(card(uid, name, "TEL:+1 555 0100"))
    w = world
    return w.boot(
        mtp_guest_image,
        [
            w.cli("devices", "--json", out="devices.json"),
            w.cli("partnership", "add", "p", f"vdir:{w.book}", SPEC, "--policy", "ask", out="add"),
            w.cli("sync", "p", "--json", out="sync1.json"),
        ],
    )


@pytest.fixture(scope="module")
def boot2(mtp_guest_image: GuestImage, world: World, boot1: Boot) -> tuple[Boot, bytes]:
    w = world
    replica = w.state_replica()
    contacts = w.phone / "Contacts"
    (contacts / "ann.vcf").write_bytes(card("ann", "Ann", "TEL:+1 555 0199"))  # on the phone
    (contacts / "bob.vcf").unlink()
    (contacts / "dan.vcf").write_bytes(card("dan", "Dan From The Phone"))
    (w.book / "carol.vcf").write_bytes(card("carol", "Carol", "TEL:+1 555 0100", "NOTE:here"))
    (w.book / "eve.vcf").write_bytes(card("eve", "Eve From The Computer"))
    (contacts / "fay.vcf").write_bytes(card("fay", "Fay", "TEL:+1 555 0001"))
    (w.book / "fay.vcf").write_bytes(card("fay", "Fay", "TEL:+1 555 0002"))
    resolve = (
        "id=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))[0][\"id\"])'"
        " out/conflicts.json)"
    )
    boot = w.boot(
        mtp_guest_image,
        [
            w.cli("sync", "p", "--json", out="sync2.json"),
            w.cli("conflicts", "--json", out="conflicts.json"),
            resolve,
            w.cli("resolve", "$id", "--keep", "b", out="resolve").replace("'$id'", '"$id"'),
            w.cli("sync", "p", "--json", out="sync3.json"),
            w.cli("sync", "p", "--json", out="sync4.json"),
        ],
    )
    return boot, replica


def test_devices_lists_the_phone(boot1: Boot) -> None:
    (phone,) = boot1.json("devices.json")
    assert phone["vendor"] == "QEMU" and phone["state"] == "ready", phone
    assert phone["serial"] and phone["model"]
    (storage,) = phone["storages"]
    assert storage["description"] == DESC and storage["capacity"] > 0 and storage["free"] > 0


def test_first_sync_fills_the_phone_and_keeps_its_state_there(world: World, boot1: Boot) -> None:
    assert boot1.code("add") == 0, (boot1.out / "add.err").read_text()
    assert boot1.code("sync1.json") == 0, (boot1.out / "sync1.json.err").read_text()
    (run,) = boot1.json("sync1.json")
    assert run["to_b"]["created"] == 4 and run["errors"] == []
    assert world.contacts() == {p.name: p.read_bytes() for p in sorted(world.book.iterdir())}
    world.state_replica()  # exactly one readable state object in /.syncgui/


def test_edits_deletes_and_a_conflict_after_a_reboot(
    world: World, boot2: tuple[Boot, bytes]
) -> None:
    boot, replica_before = boot2
    assert boot.code("sync2.json") == 3, (boot.out / "sync2.json.err").read_text()
    (run,) = boot.json("sync2.json")
    assert run["conflicts"] == 1 and run["errors"] == [], run
    (conflict,) = boot.json("conflicts.json")
    assert "0002" in conflict["a"]["vcard"] and "0001" in conflict["b"]["vcard"]
    assert boot.code("resolve") == 0 and boot.code("sync3.json") == 0
    (noop,) = boot.json("sync4.json")
    assert noop["to_a"] == noop["to_b"] == {"created": 0, "updated": 0, "deleted": 0}
    book = {p.name: p.read_bytes() for p in sorted(world.book.iterdir())}
    assert b"0199" in book["ann.vcf"]  # the phone's edit
    assert "bob.vcf" not in book  # the phone's delete
    assert b"Dan From The Phone" in book["dan.vcf"]
    phone = world.contacts()
    assert b"NOTE:here" in phone["carol.vcf"] and b"Eve" in phone["eve.vcf"]
    assert b"0001" in book["fay.vcf"] and b"0001" in phone["fay.vcf"]  # kept the phone's
    assert phone == book
    # the device's sync state object survived the reboot: the same replica
    assert world.state_replica() == replica_before


@pytest.fixture(scope="module")
def boot3(mtp_guest_image: GuestImage, world: World, boot2: tuple[Boot, bytes]) -> Boot | None:
    """The killed sync; None when QEMU's MTP device itself died of the cut transfer (its
    responder asserts on a data phase cut short), which is a pulled cable all the same."""
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUJD" * 20000  # ~80 KB per card
    for i in range(30):
        (world.book / f"big{i:02}.vcf").write_bytes(card(f"big{i:02}", f"Big {i}", photo))
    w = world
    before = len(list((w.phone / "Contacts").iterdir()))
    contacts = shlex.quote(str(w.phone / "Contacts"))
    try:
        return w.boot(mtp_guest_image, _kill_mid_transfer(w, contacts, before))
    except GuestError as err:
        if not _qemu_gave_up(err):
            raise
        log.info("QEMU's MTP device died with the cut transfer: the cable was pulled")
        return None


def _qemu_gave_up(err: GuestError) -> bool:
    return "usb_mtp" in err.output and "Assertion" in err.output


def _kill_mid_transfer(w: World, contacts: str, before: int) -> list[str]:
    return [
        f"({w.cli('sync', 'p', '--json', out='killed.json')}) &",
        "pid=$!",
        # the phone folder is visible here too (host folder, shared): wait for uploads
        f"n=0; while [ $(ls {contacts} | wc -l) -lt {before + 3} ] && [ $n -lt 6000 ];"
        " do sleep 0.05; n=$((n+1)); done",
        "pkill -9 -f syncgui-cli; pkill -9 -f syncgui.providers.mtp.helper",
        f"ls {contacts} | wc -l > out/at-kill",
        "wait $pid",
    ]


def test_a_sync_killed_mid_transfer_completes_after_reconnecting(
    mtp_guest_image: GuestImage, world: World, boot3: Boot | None
) -> None:
    w = world
    if boot3 is not None:
        # 137: killed by SIGKILL before it could finish
        assert (boot3.out / "killed.json.rc").read_text().strip() == "137", "not interrupted"
        at_kill = int((boot3.out / "at-kill").read_text())
        log.info("killed with %d of %d cards on the phone", at_kill, len(list(w.book.iterdir())))
    boot4 = w.boot(mtp_guest_image, [w.cli("sync", "p", "--json", out="after.json")])
    assert boot4.code("after.json") == 0, (boot4.out / "after.json.err").read_text()
    (run,) = boot4.json("after.json")
    assert run["errors"] == [] and run["conflicts"] == 0, run
    book = {p.name: p.read_bytes() for p in sorted(w.book.iterdir())}
    assert w.contacts() == book  # every card once, whole; nothing else
    assert not w.state_files("*.journal")
    w.state_replica()
