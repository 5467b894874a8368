"""``syncgui-cli log``: the sessions that ran, newest first, each with its id, what started
it, how it ended and what it wrote on each side (the app's Activity list)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_OK
from syncgui.cli.output import print_json

if TYPE_CHECKING:
    from syncgui.service import Counts, SessionRecord, SyncService

#: what started a session, in words
_TRIGGERS = {
    "manual": "by you",
    "cli": "syncgui-cli",
    "schedule": "timed",
    "device": "phone connected",
    "change": "file changed",
    "resolve": "after a resolve",
    "preview": "preview",
    "undo": "undo",
}


def log(service: SyncService, args: argparse.Namespace) -> int:
    records = service.sessions(args.name, limit=args.limit)
    if args.json:
        print_json([_record_json(r) for r in records])
        return EXIT_OK
    if not records:
        print("No session yet." if args.name is None else f"No session of {args.name} yet.")
        return EXIT_OK
    for r in records:
        when = datetime.fromtimestamp(r.started).strftime("%Y-%m-%d %H:%M")
        trigger = _TRIGGERS.get(r.trigger, r.trigger)
        print(f"{r.id:>5}  {when}  {r.partnership}  {r.status} ({trigger}): {_summary(r)}")
        for e in r.errors:
            print(f"         ! {e.text}")
    return EXIT_OK


def _counts(c: Counts) -> str:
    return f"{c.created} added, {c.updated} changed, {c.deleted} deleted"


def _summary(r: SessionRecord) -> str:
    parts = [f"A {_counts(r.to_a)}", f"B {_counts(r.to_b)}"]
    if r.undid is not None:
        parts.insert(0, f"undid session {r.undid}")
    if r.merged:
        parts.append(f"{r.merged} merged")
    if r.matched:
        parts.append(f"{r.matched} matched as the same person")
    if r.conflicts:
        parts.append(f"{r.conflicts} conflict(s) left")
    if r.blocked_store:
        parts.append(f"stopped before deleting {len(r.blocked_items)} in {r.blocked_store}")
    return "; ".join(parts)


def _record_json(r: SessionRecord) -> dict[str, Any]:
    data = asdict(r)
    del data["token"]  # internal: what names the session's writes in the history
    data["can_undo"] = r.can_undo
    for key in ("started", "finished"):
        data[key] = datetime.fromtimestamp(data[key]).astimezone().isoformat(timespec="seconds")
    return data
