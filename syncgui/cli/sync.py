"""``syncgui-cli sync``: run partnerships, report each run as text or JSON, and the exit
code their outcomes add up to."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_BLOCKED, EXIT_CONFLICTS, EXIT_FAILED, EXIT_OK
from syncgui.cli.output import count, print_json, print_rows
from syncgui.engine import CancelToken, SessionResult, Status
from syncgui.service import ConfigError

if TYPE_CHECKING:
    from syncgui.service import SyncService


def sync(service: SyncService, args: argparse.Namespace) -> int:
    names = [p.name for p in service.partnerships()] if args.all else list(args.names)
    if args.all and not names:  # nothing to sync is not a failure (a scheduled --all)
        if args.json:
            print_json([])
        else:
            print("No partnerships yet: nothing to sync. Add one with "
                  "`syncgui-cli partnership add NAME A B`.")  # fmt: skip
        return EXIT_OK
    if not names:
        known = ", ".join(p.name for p in service.partnerships()) or "none yet"
        raise ConfigError(f"name the partnerships to sync, or use --all (partnerships: {known})")
    cancel = CancelToken()

    def on_interrupt(_sig: int, _frame: FrameType | None) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        print("Stopping after the current item (Ctrl-C again to abort)...", file=sys.stderr)
        cancel.cancel()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        results = service.sync(
            names, dry_run=args.dry_run, allow_mass_delete=args.yes, cancel=cancel
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        print_json([result_json(r) for r in results])
    else:
        for r in results:
            print_result(r)
    return exit_code(results)


def exit_code(results: Sequence[SessionResult]) -> int:
    statuses = {r.status for r in results}
    if statuses & {Status.FAILED, Status.CANCELLED}:
        return EXIT_FAILED
    if Status.BLOCKED in statuses:
        return EXIT_BLOCKED
    if Status.CONFLICTS in statuses:
        return EXIT_CONFLICTS
    return EXIT_OK


def result_json(r: SessionResult) -> dict[str, Any]:
    status = "failed" if r.status is Status.CANCELLED else r.status.value
    errors = [{"item": e.item, "message": e.message} for e in r.errors]
    if r.status is Status.CANCELLED:
        errors.append({"item": r.partnership, "message": "cancelled; the next sync resumes"})
    if r.status is Status.BLOCKED:
        errors.append({"item": r.blocked_store or r.partnership, "message": _blocked_text(r)})
    return {
        "partnership": r.partnership,
        "status": status,
        "dry_run": r.dry_run,
        "to_a": {"created": r.to_a.created, "updated": r.to_a.updated, "deleted": r.to_a.deleted},
        "to_b": {"created": r.to_b.created, "updated": r.to_b.updated, "deleted": r.to_b.deleted},
        "conflicts": r.conflicts,
        "merged": r.merged,
        "errors": errors,
        "matched": [
            {"name": m.a.label, "rule": m.rule.name.lower(), "a": m.a.key, "b": m.b.key}
            for m in r.matched
        ],
        "possible_duplicates": [
            {"name": d.label, "a": [c.key for c in d.a], "b": [c.key for c in d.b]}
            for d in r.possible_duplicates
        ],
    }


def _blocked_text(r: SessionResult) -> str:
    if r.emptied_store is not None:
        return (
            f"{r.emptied_store} now holds no contacts (it held {r.emptied_held} at the last "
            f"sync); nothing was deleted. Syncing would delete {len(r.blocked_items)} "
            f"contacts from {r.blocked_store}. If you emptied it on purpose, sync again "
            "with --yes"
        )
    return (
        f"would delete {len(r.blocked_items)} contacts from {r.blocked_store}; nothing was "
        "written. Check the other store (was a folder moved or a file emptied?), then run "
        "again with --yes if this is what you want"
    )


def print_result(r: SessionResult) -> None:
    head = f"{r.partnership}: " + ("would change" if r.dry_run else "synced")

    def counts(c: Any) -> str:
        return f"{c.created} added, {c.updated} changed, {c.deleted} deleted"

    if r.status is Status.BLOCKED:
        print(f"{r.partnership}: stopped: {_blocked_text(r)}.")
        for label in r.blocked_items[:20]:
            print(f"  - {label}")
        if len(r.blocked_items) > 20:
            print(f"  ... and {len(r.blocked_items) - 20} more")
        return
    print(
        f"{head}: A {counts(r.to_a)}; B {counts(r.to_b)}"
        + (f"; {r.merged} merged" if r.merged else "")
    )
    _print_matches(r)
    for e in r.errors:
        print(f"  ! {e.text}")
    if r.status is Status.CANCELLED:
        print("  Cancelled; what was done is kept and the next sync resumes.")
    if r.conflicts:
        print(f"  {r.conflicts} conflict(s) wait for you: `syncgui-cli conflicts {r.partnership}`")


def _print_matches(r: SessionResult) -> None:
    """How many contacts were (a dry run: will be) combined, one line each (name, A's key,
    B's key), then the possible duplicates; each list cut at
    :data:`syncgui.cli.output.LIST_LIMIT`."""
    if r.matched:
        n = len(r.matched)
        head = count(n, "contact", "contacts") + " matched as the same person"
        if r.dry_run:
            head += " (will be combined)"
        else:
            head += " was combined" if n == 1 else " were combined"
        print(f"  {head}:")
        rows = [(m.a.label, m.a.key, m.b.key) for m in r.matched]
        print_rows(rows)
    if r.possible_duplicates:
        print("  Possible duplicates (not combined; check them):")
        groups = [
            (d.label, ", ".join(c.key for c in d.a), ", ".join(c.key for c in d.b))
            for d in r.possible_duplicates
        ]
        print_rows(groups)
