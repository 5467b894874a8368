"""``syncgui-cli history`` (versions that syncs overwrote or deleted) and ``syncgui-cli
restore`` (put one back)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_OK
from syncgui.cli.output import print_json

if TYPE_CHECKING:
    from syncgui.service import HistoryEntry, SyncService


def history(service: SyncService, args: argparse.Namespace) -> int:
    entries = service.history(args.name)
    if args.json:
        print_json([_entry_json(e) for e in entries])
        return EXIT_OK
    if not entries:
        print("Nothing in history yet: no sync has overwritten or deleted anything.")
    for e in entries:
        r = e.record
        when = datetime.fromtimestamp(r.at).strftime("%Y-%m-%d %H:%M")
        print(f"{e.id:>5}  {when}  {r.partnership}  {r.label} ({r.reason} in {r.store_name})")
    if entries:
        print("Put one back with `syncgui-cli restore ID`.")
    return EXIT_OK


def _entry_json(e: HistoryEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "partnership": e.record.partnership,
        "store": e.record.store,
        "item": e.record.label,
        "uid": e.record.uid,
        "reason": e.record.reason,
        "at": datetime.fromtimestamp(e.record.at).astimezone().isoformat(timespec="seconds"),
    }


def restore(service: SyncService, args: argparse.Namespace) -> int:
    entry = service.restore(args.history_id)
    r = entry.record
    print(f"Restored {r.label!r} in {r.store_name}; the next sync carries it on.")
    return EXIT_OK
