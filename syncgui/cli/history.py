"""``syncgui-cli history`` (versions that syncs overwrote or deleted) and ``syncgui-cli
restore`` (put one back)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from syncgui.cli.output import print_json
from syncgui.engine import SyncError

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
        print("Put versions back with `syncgui-cli restore ID [ID ...]`.")
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
    """Restore each id in turn; one that fails is reported and the others still go. Exit
    code: 0 when every one was restored, 1 when one could not be written, else 2 when an
    id is not in history."""
    from syncgui.service import ConfigError

    code, restored = EXIT_OK, 0
    for entry_id in args.history_ids:
        try:
            entry = service.restore(entry_id)
        except ConfigError as err:
            print(f"syncgui-cli: {entry_id}: {err.message}", file=sys.stderr)
            code = code or EXIT_USAGE
            continue
        except SyncError as err:
            where = f" ({err.item})" if err.item and err.item not in err.message else ""
            print(f"syncgui-cli: {entry_id}: not restored{where}: {err.message}", file=sys.stderr)
            code = EXIT_FAILED
            continue
        r = entry.record
        named = f" as {entry.key}" if entry.key else ""
        print(f"{entry_id}: restored {r.label!r}{named} in {r.store_name}.")
        restored += 1
    if restored:
        print("The next sync carries the restored contacts to the other stores.")
    return code
