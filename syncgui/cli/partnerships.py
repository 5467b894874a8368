"""``syncgui-cli partnership add|list|remove``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from syncgui.cli.exit_codes import EXIT_OK
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
