"""``syncgui-cli partnership add|list|remove|set|reset``."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING

from syncgui.cli.exit_codes import EXIT_BLOCKED, EXIT_OK, EXIT_USAGE
from syncgui.cli.output import count, print_json
from syncgui.engine import Direction, MatchLevel, Policy

if TYPE_CHECKING:
    from syncgui.service import Partnership, SyncService


def partnership(service: SyncService, args: argparse.Namespace) -> int:
    if args.action == "add":
        p, notes = service.add_partnership(
            args.name,
            args.a,
            args.b,
            Direction(args.direction),
            Policy(args.policy),
            match=MatchLevel(args.match),
        )
        for note in notes:
            print(f"Note: {note}.")
        print(
            f"Added {p.name}: A = {p.a}, B = {p.b} ({p.direction.value}, policy "
            f"{p.policy.value}, match {p.match.value}). "
            f"Run `syncgui-cli sync {p.name} --dry-run` to preview."
        )
    elif args.action == "remove":
        service.remove_partnership(args.name)
        print(f"Removed {args.name}. The stores themselves were not touched.")
    elif args.action == "set":
        return _set(service, args)
    elif args.action == "reset":
        return _reset(service, args)
    else:
        items = service.partnerships()
        if args.json:
            # ASCII only, unlike the other commands' JSON: as this list has always printed
            print_json([p.to_json() for p in items], ensure_ascii=True)
        elif not items:
            print("No partnerships yet. Add one with `syncgui-cli partnership add NAME A B`.")
        for p in [] if args.json else items:
            print(f"{p.name}: {p.a}  <->  {p.b}  ({_settings_text(p)})")
    return EXIT_OK


def _settings_text(p: Partnership) -> str:
    """ "two-way, merge, match people" (and how many matches were refused, if any)."""
    refused = len(p.refused_matches)
    text = f"{p.direction.value}, {p.policy.value}, match {p.match.value}"
    return text + (f", {count(refused, 'match', 'matches')} refused" if refused else "")


def _set(service: SyncService, args: argparse.Namespace) -> int:
    """``partnership set NAME [--name NEW] [--direction D] [--policy P] [--every MINUTES]``."""
    if all(v is None for v in (args.new_name, args.direction, args.policy, args.every)):
        print(
            "syncgui-cli: nothing to change: give --name, --direction, --policy or --every",
            file=sys.stderr,
        )
        return EXIT_USAGE
    p = service.set_partnership(
        args.name,
        new_name=args.new_name,
        direction=None if args.direction is None else Direction(args.direction),
        policy=None if args.policy is None else Policy(args.policy),
    )
    if args.every is not None:
        schedule = service.schedule(p.name)
        service.set_schedule(p.name, dataclasses.replace(schedule, interval_minutes=args.every))
    renamed = f"Renamed {args.name} to {p.name}" if p.name != args.name else f"Changed {p.name}"
    print(f"{renamed}: {_settings_text(p)}{_every_text(service, p.name)}. No contact was touched.")
    return EXIT_OK


def _every_text(service: SyncService, name: str) -> str:
    minutes = service.schedule(name).interval_minutes
    if not minutes:
        return ", no timed syncs in the desktop app"
    return f", synced by the desktop app every {count(minutes, 'minute', 'minutes')}"


def _reset(service: SyncService, args: argparse.Namespace) -> int:
    """``partnership reset NAME [--yes]``: asks first unless ``--yes``."""
    service.schedule(args.name)  # an unknown name fails here, before the question
    question = (
        f"Reset {args.name}? Its next sync compares both stores as a first sync does and "
        "matches their contacts again. No contact is deleted. [y/N] "
    )
    if not args.yes and not _confirmed(question):
        print(f"{args.name} was not reset (answer y, or pass --yes).", file=sys.stderr)
        return EXIT_BLOCKED
    service.reset_partnership(args.name)
    print(
        f"Reset {args.name}: what was synced is forgotten; no contact was deleted. "
        f"Run `syncgui-cli sync {args.name} --dry-run` to see what its next sync will do."
    )
    return EXIT_OK


def _confirmed(question: str) -> bool:
    """The user's yes; no answer (no terminal, end of input) is a no."""
    print(question, end="", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    if not answer.endswith("\n"):
        print()
    return answer.strip().lower() in ("y", "yes")
