"""``syncgui-cli account add|list|remove``: accounts on CardDAV servers."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_OK
from syncgui.cli.output import count, print_json
from syncgui.service import ConfigError, parse_password_command

if TYPE_CHECKING:
    from syncgui.service import Account, SyncService


def account(service: SyncService, args: argparse.Namespace) -> int:
    if args.action == "add":
        return _add_account(service, args)
    if args.action == "remove":
        gone = service.remove_account(args.name)
        kept = " and its password" if gone.password_source == "keyring" else ""
        print(f"Removed the account {gone.name}{kept}. No contact was touched.")
        return EXIT_OK
    accounts = service.accounts()
    if args.json:
        print_json([_account_json(a) for a in accounts])
        return EXIT_OK
    if not accounts:
        print("No accounts yet. Add one with `syncgui-cli account add NAME URL --user USER`.")
    for a in accounts:
        print(f"{a.name}: {a.user or 'no user'} at {a.url} ({_source_text(a)})")
        width = max((len(b.name) for b in a.books), default=0)
        for b in a.books:
            print(f"    {b.name:<{width}}  carddav:{a.name}/{b.segment}")
    return EXIT_OK


def _account_json(a: Account) -> dict[str, Any]:
    out = a.to_json()
    out["books"] = [
        {"name": b.name, "url": b.url, "spec": f"carddav:{a.name}/{b.segment}"} for b in a.books
    ]
    return out


def _source_text(a: Account) -> str:
    if a.password_source == "command":
        return f"password from `{shlex.join(a.password_command or ())}`"
    return "password in the keyring" if a.password_source == "keyring" else "no password"


def _add_account(service: SyncService, args: argparse.Namespace) -> int:
    command = parse_password_command(args.password_command) if args.password_command else None
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigError("--password-stdin: standard input held no password")
    elif command is None and args.user:
        service.check_keyring()  # no keyring: say so before asking for the password
        if not sys.stdin.isatty():
            raise ConfigError(
                "give the password with --password-stdin or --password-command CMD "
                "(standard input is not a terminal to ask on)"
            )
        import getpass

        password = getpass.getpass(f"Password for {args.user} at {args.url}: ")
    added = service.add_account(
        args.name,
        args.url,
        args.user,
        password=password,
        password_command=command,
        ca_file=args.ca_file,
    )
    a = added.account
    verb = "Signed in again to" if added.replaced else "Signed in to"
    print(f"{verb} {a.url} as {a.user or 'no user'}; account {a.name} kept ({_source_text(a)}).")
    if not added.books:
        print("No address books were found there. Create one on the server, then add again.")
        return EXIT_OK
    print("Address books:")
    width = max(len(b.name) for b in added.books)
    for b in added.books:
        cards = "? cards" if b.count is None else count(b.count, "card", "cards")
        print(f"    {b.name:<{width}}  {cards:>10}  carddav:{a.name}/{b.segment}")
    first = f"carddav:{a.name}/{added.books[0].segment}"
    print(f"Sync one with e.g. `syncgui-cli partnership add NAME vdir:~/contacts {first}`.")
    return EXIT_OK
