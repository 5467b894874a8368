"""``syncgui-cli devices``: connected phones, their state and storages, and what to do to
use them."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from syncgui.cli.exit_codes import EXIT_OK
from syncgui.cli.output import print_json

if TYPE_CHECKING:
    from syncgui.service import DeviceReport, SyncService


def devices(service: SyncService, args: argparse.Namespace) -> int:
    listing = service.list_devices()
    if args.json:
        print_json([d.to_json() for d in listing.devices])
        for note in listing.notes:
            print(f"syncgui-cli: note: {note}", file=sys.stderr)
        return EXIT_OK
    if not listing.devices:
        from syncgui.service import NO_DEVICES_HINT  # the device modules, only here

        print(f"No phones or devices found. {NO_DEVICES_HINT}")
    for d in listing.devices:
        _print_device(d)
    for note in listing.notes:
        print(f"Note: {note}")
    return EXIT_OK


_STATE_WORDS = {
    "ready": "ready",
    "locked": "locked",
    "busy": "busy",
    "no-permission": "not allowed to open it",
    "not-mtp": "not in file transfer mode",
}


def _print_device(d: DeviceReport) -> None:
    serial = f", serial {d.serial}" if d.serial else ""
    print(f"{d.name}{serial}: {_STATE_WORDS.get(d.state, d.state)}")
    for s in d.storages:
        print(f"    {s.description} ({s.id:#x}): {_size(s.free)} free of {_size(s.capacity)}")
    if d.hint:
        print(f"    {d.hint}")


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
