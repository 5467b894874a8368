"""``syncgui-cli history`` (versions that syncs overwrote or deleted; ``--usage``: how many
are kept and the space they take) and ``syncgui-cli restore`` (put one back)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from syncgui.cli.output import print_json
from syncgui.engine import SyncError

if TYPE_CHECKING:
    from syncgui.service import HistoryEntry, HistoryUsage, SyncService


def history(service: SyncService, args: argparse.Namespace) -> int:
    if args.usage:
        return _usage(service, args)
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


def _usage(service: SyncService, args: argparse.Namespace) -> int:
    if args.name is not None:
        print(
            "syncgui-cli: history --usage counts the history of every partnership; leave out "
            f"{args.name!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    usage = service.history_usage()
    if args.json:
        print_json(_usage_json(usage))
    else:
        print(usage_line(usage))
    return EXIT_OK


def usage_line(u: HistoryUsage) -> str:
    """What the history keeps, in one line: "1,234 versions kept, 2.3 MB; kept 365 days, at
    most 20 versions per contact (settings.json: history_days, history_versions)"."""
    versions = f"{u.versions:,} version{'' if u.versions == 1 else 's'} kept"
    days = f"{u.days:g} day{'' if u.days == 1 else 's'}"
    per = f"{u.per_contact:,} version{'' if u.per_contact == 1 else 's'}"
    return (
        f"{versions}, {size_text(u.size)}; kept {days}, at most {per} per contact "
        "(settings.json: history_days, history_versions)"
    )


def size_text(size: int) -> str:
    """Bytes in decimal units, one decimal ("2.3 MB"), as the desktop app shows them."""
    if size < 1000:
        return f"{size} byte{'' if size == 1 else 's'}"
    units = ("kB", "MB", "GB", "TB")
    value, unit = size / 1000, 0
    while value >= 999.95 and unit < len(units) - 1:  # 999.95 kB reads 1.0 MB
        value, unit = value / 1000, unit + 1
    return f"{value:.1f} {units[unit]}"


def _usage_json(u: HistoryUsage) -> dict[str, Any]:
    oldest = None
    if u.oldest is not None:
        oldest = datetime.fromtimestamp(u.oldest).astimezone().isoformat(timespec="seconds")
    return {
        "versions": u.versions,
        "bytes": u.size,
        "oldest": oldest,
        "history_days": u.days,
        "history_versions": u.per_contact,
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
