"""The command line: its commands, options, help text and usage errors (exit code 2)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal

from syncgui import __version__
from syncgui.cli.exit_codes import EXIT_USAGE
from syncgui.engine import Direction, MatchLevel, Policy

Side = Literal["a", "b"]  # the side a `--field PROP=a|b` choice names

_EPILOG = """\
store specs:
  vdir:FOLDER           a folder with one contact per .vcf file (khard, vdirsyncer,
                        Evolution); created when missing
  vcf:FILE              one .vcf file holding many contacts (Google, iCloud and phone
                        exports); created empty when missing
  mtp:DEVICE/STORAGE/PATH
                        a phone over USB: DEVICE its serial number or `first`, STORAGE a
                        storage's description or id (`syncgui-cli devices` shows both),
                        PATH a folder of cards or a .vcf file on it (a missing folder is
                        created), e.g. "mtp:first/Internal shared storage/Contacts"
  virtual:FOLDER[#PATH] the built-in virtual phone: a folder that behaves as a phone
                        (demo, tests); an empty or new one gets a Contacts folder
  carddav:URL           an online address book by its address (https://; http:// only for
                        a server on this computer)
  carddav:ACCOUNT/BOOK  an address book of an account (`account add`), by its name or the
                        end of its address, e.g. carddav:nextcloud/contacts

examples:
  syncgui-cli partnership add phone vdir:~/contacts vcf:~/Downloads/contacts.vcf
  syncgui-cli sync phone --dry-run      # see what would happen, write nothing
  syncgui-cli sync --all
  syncgui-cli conflicts                 # what needs your decision, field by field
  syncgui-cli resolve 3f2a9c1b --keep a
  syncgui-cli resolve 3f2a9c1b --keep merged --field NOTE=b
  syncgui-cli account add nextcloud https://cloud.example.org/remote.php/dav --user ann
  syncgui-cli partnership set phone --policy ask --every 30
  syncgui-cli restore 13 14             # put versions from `history` back
  syncgui-cli undo 42 --dry-run         # what undoing session 42 (from `log`) would do

exit codes: 0 done, 1 failed (or some items failed), 2 usage or configuration error,
            3 done with conflicts left for you, 4 stopped by the deletion guard,
            141 output cut short by its reader (e.g. `| head`), as with ls or git
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; for ``argv`` naming one command, with only that command's
    parser in it (building all 19 took 8 of a no-op sync's 130 ms), so that what it says
    (usage, errors) is what the whole parser says for ``argv``."""
    p = _Parser(
        prog="syncgui-cli",
        description="Keep contacts in step between stores.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--config-dir",
        help="settings folder (default: SYNCGUI_CONFIG_DIR or the platform's config folder)",
    )
    p.add_argument(
        "--data-dir", help="state folder (default: SYNCGUI_DATA_DIR or the platform's data folder)"
    )
    p.add_argument("-v", "--verbose", action="count", default=0, help="say more (-vv: debug)")
    p.add_argument("--version", action="version", version=f"syncgui-cli {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    wanted = None if argv is None else _command_in(argv)
    for name, add in _COMMANDS.items():
        if wanted is None or name == wanted:
            add(sub)
    return p


_GLOBAL_WITH_VALUE = ("--config-dir", "--data-dir")
_GLOBAL_WITH_EQUALS = tuple(option + "=" for option in _GLOBAL_WITH_VALUE)


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names after the global options; None when it names none or
    asks for more than one command's parser (help, the version, an abbreviated or unknown
    option, a command that does not exist): then all of them are built."""
    args = iter(argv)
    for arg in args:
        if arg in _GLOBAL_WITH_VALUE:
            next(args, None)
        elif not _global_flag(arg):
            return arg if arg in _COMMANDS else None
    return None


def _global_flag(arg: str) -> bool:
    """``-v``, ``-vv``…, ``--verbose``, or a global option with its value after ``=``."""
    verbose = len(arg) > 1 and arg == "-" + "v" * (len(arg) - 1)
    return verbose or arg == "--verbose" or arg.startswith(_GLOBAL_WITH_EQUALS)


def _add_partnership_parsers(sub: Any) -> None:
    """``partnership add|list|remove|set|reset``."""
    part = sub.add_parser("partnership", help="add, list, change, reset or remove partnerships")
    psub = part.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    add = psub.add_parser(
        "add",
        help="pair two stores",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("name", help="a name for the partnership, e.g. phone")
    add.add_argument("a", help="store A, e.g. vdir:~/contacts")
    add.add_argument("b", help="store B, e.g. vcf:~/contacts.vcf")
    add.add_argument(
        "--direction",
        choices=[d.value for d in Direction],
        default="two-way",
        help="two-way (default), or one way: a-to-b, b-to-a",
    )
    add.add_argument(
        "--policy",
        choices=[x.value for x in Policy],
        default="merge",
        help="how conflicts are settled (default merge: field by field, asking "
        "only when the same field changed on both sides)",
    )
    add.add_argument(
        "--match",
        choices=[m.value for m in MatchLevel],
        default=MatchLevel.PEOPLE.value,
        help="when the stores first meet, which contacts that are on both sides under "
        "different UIDs are combined into one instead of copied across: people (default: "
        "the same content, or the same name with a shared e-mail or phone, when only one "
        "contact fits), exact (the same content only) or none (only the same UID)",
    )
    lst = psub.add_parser("list", help="show partnerships")
    lst.add_argument("--json", action="store_true", help="print JSON for scripts")
    rm = psub.add_parser("remove", help="forget a partnership (stores are not touched)")
    rm.add_argument("name", help="the partnership to forget")
    _add_partnership_edits(psub)


def _add_sync_parser(sub: Any) -> None:
    sy = sub.add_parser("sync", help="sync partnerships now")
    sy.add_argument("names", nargs="*", metavar="NAME", help="partnerships to sync")
    sy.add_argument("--all", action="store_true", help="sync every partnership")
    sy.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would change and which contacts would be combined; write nothing",
    )
    sy.add_argument(
        "--yes",
        action="store_true",
        help="go ahead even when a sync would delete more than half of a store",
    )
    sy.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_conflicts_parser(sub: Any) -> None:
    co = sub.add_parser("conflicts", help="list conflicts waiting for your decision")
    co.add_argument("name", nargs="?", metavar="NAME", help="only this partnership")
    co.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_resolve_parser(sub: Any) -> None:
    rs = sub.add_parser("resolve", help="settle a conflict; the next sync spreads the result")
    rs.add_argument("conflict_id", metavar="CONFLICT_ID", help="as `conflicts` shows it")
    rs.add_argument(
        "--keep",
        required=True,
        choices=["a", "b", "both", "merged"],
        help="a or b: that side's version; both: keep a copy of each; merged: "
        "combine both, with a --field choice for each field changed on both sides",
    )
    rs.add_argument(
        "--field",
        action="append",
        default=[],
        type=_field_choice,
        metavar="PROP=a|b",
        help="with --keep merged: the side whose value to keep for a clashing field "
        "(marked ! by `conflicts`), e.g. --field NOTE=b; repeat for each",
    )


def _add_devices_parser(sub: Any) -> None:
    dv = sub.add_parser(
        "devices", help="list connected phones: their state, storages and what to do to use them"
    )
    dv.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_demo_parser(sub: Any) -> None:
    de = sub.add_parser("demo", help="create two sample address books and sync them")
    de.add_argument("--dir", help="where to create them (default: a new temporary folder)")


def _add_partnership_edits(psub: Any) -> None:
    """``partnership set`` and ``partnership reset``."""
    st = psub.add_parser(
        "set",
        help="change a partnership's name, direction, conflict policy or schedule",
        description="Change what is given; the rest stays. A new name keeps the "
        "partnership's conflicts, activity, history and schedule. Refused while it syncs. "
        "No contact is touched.",
    )
    st.add_argument("name", help="the partnership to change")
    st.add_argument("--name", dest="new_name", metavar="NEW", help="its new name")
    st.add_argument(
        "--direction",
        choices=[d.value for d in Direction],
        help="two-way, or one way: a-to-b, b-to-a",
    )
    st.add_argument("--policy", choices=[x.value for x in Policy], help="how conflicts are settled")
    st.add_argument(
        "--every",
        type=_minutes,
        metavar="MINUTES",
        help="the desktop app syncs it every MINUTES (0: never by the clock)",
    )
    rs = psub.add_parser(
        "reset",
        help="forget what was synced; the next sync matches contacts again (deletes none)",
        description="Forget the sync state of the partnership's stores, so that its next "
        "sync compares them as a first sync does: contacts on both sides are matched and "
        "combined again, the others copied. The reset deletes no contact and changes no "
        "store; run `sync NAME --dry-run` after it to see what the sync will do. A store "
        "that another partnership uses, or a phone (which keeps its own sync state), keeps "
        "its state. Refused while the partnership syncs.",
    )
    rs.add_argument("name", help="the partnership to reset")
    rs.add_argument("--yes", action="store_true", help="do not ask first")


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of minutes, not {text!r}")
    return value


# ``history``, ``log``, ``restore`` and ``undo``: what syncs did, and taking it back


def _add_history_parser(sub: Any) -> None:
    hi = sub.add_parser(
        "history",
        help="versions that syncs overwrote or deleted",
        description="List the versions that syncs overwrote or deleted, or (--usage) how "
        "many are kept and the space they take. How long they are kept: history_days and "
        "history_versions in settings.json.",
    )
    hi.add_argument("name", nargs="?", metavar="NAME", help="only this partnership")
    hi.add_argument(
        "--usage",
        action="store_true",
        help="how many versions are kept (of every partnership), their size on disk and "
        "the limits from settings.json",
    )
    hi.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_log_parser(sub: Any) -> None:
    lg = sub.add_parser(
        "log",
        help="the sessions that ran, newest first, with their ids",
        description="List the sessions that ran (by the app or syncgui-cli), newest first: "
        "each one's id, when, what started it, how it ended and what it wrote on side A and "
        "side B, with the contacts that could not be synced.",
    )
    lg.add_argument("name", nargs="?", metavar="NAME", help="only this partnership")
    lg.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N sessions (default 50)"
    )
    lg.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_restore_parser(sub: Any) -> None:
    re_ = sub.add_parser(
        "restore",
        help="put versions from history back (they then sync)",
        description="Put each version back into its store as a new local change, under the "
        "file name it had; the next sync carries it to the other stores. One that cannot be "
        "restored is reported and the others still are. Exit code: 0 every one restored, 1 "
        "one could not be written, 2 an id is not in history.",
    )
    re_.add_argument(
        "history_ids",
        type=int,
        nargs="+",
        metavar="HISTORY_ID",
        help="as `history` shows them, e.g. restore 13 14",
    )


def _add_undo_parser(sub: Any) -> None:
    un = sub.add_parser(
        "undo",
        help="take back everything one session did, in both stores",
        description="Undo a session (its id from `log`): the contacts it overwrote or deleted "
        "come back and the ones it added are removed, in both stores of its partnership, as "
        "new changes that then sync (other stores follow). Contacts changed since that "
        "session are listed and left alone unless --include-changed. What the undo replaces "
        "is kept in history, and the undo is a session of its own that can be undone. Exit "
        "code: 0 done, 1 a contact could not be written, 2 an unknown session or one that "
        "cannot be undone, 3 conflicts left for you, 4 stopped by the deletion guard.",
    )
    un.add_argument("session_id", type=int, metavar="SESSION_ID", help="as `log` shows it")
    un.add_argument(
        "--dry-run", action="store_true", help="say what the undo would do; write nothing"
    )
    un.add_argument(
        "--include-changed",
        action="store_true",
        help="undo the contacts changed since that session too (their later versions are "
        "kept in history)",
    )
    un.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_account_parser(sub: Any) -> None:
    acc = sub.add_parser("account", help="add, list or remove accounts on CardDAV servers")
    asub = acc.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    add = asub.add_parser(
        "add",
        help="sign in to a CardDAV server, list its address books, keep the account",
        description="Sign in, find the address books (with their card counts) and keep the "
        "account; its password goes to the OS keyring (never to a file), or is read from "
        "--password-command each time. Adding an account again (same server and user) "
        "replaces its password.",
    )
    add.add_argument("name", help="a name for the account, e.g. nextcloud")
    add.add_argument(
        "url",
        help="the server (https://HOST/remote.php/dav for Nextcloud, https://contacts.icloud.com,"
        " https://carddav.fastmail.com) or an address book's own address",
    )
    add.add_argument("--user", help="the user name to sign in with")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    secret.add_argument(
        "--password-command",
        metavar="CMD",
        help="a command that prints the password (e.g. 'pass show nextcloud'), run at every "
        "sign-in instead of keeping the password in the keyring",
    )
    add.add_argument("--ca-file", metavar="FILE", help="trust the server certificates of this CA")
    lst = asub.add_parser("list", help="show accounts and their address books")
    lst.add_argument("--json", action="store_true", help="print JSON for scripts")
    rm = asub.add_parser("remove", help="forget an account and its password")
    rm.add_argument("name", help="the account to forget")


def _field_choice(text: str) -> tuple[str, Side]:
    """``--field NOTE=b`` as ("NOTE", "b"); property names are matched case-insensitively."""
    prop, sep, side = text.partition("=")
    side = side.strip().lower()
    if not sep or not prop.strip() or side not in ("a", "b"):
        raise argparse.ArgumentTypeError(f"expected PROP=a or PROP=b (e.g. NOTE=b), not {text!r}")
    return prop.strip().upper(), "a" if side == "a" else "b"


# Every command, in the order `syncgui-cli --help` lists them, with what builds its parser.
_COMMANDS: dict[str, Callable[[Any], None]] = {
    "partnership": _add_partnership_parsers,
    "sync": _add_sync_parser,
    "conflicts": _add_conflicts_parser,
    "resolve": _add_resolve_parser,
    "account": _add_account_parser,
    "history": _add_history_parser,
    "log": _add_log_parser,
    "restore": _add_restore_parser,
    "undo": _add_undo_parser,
    "devices": _add_devices_parser,
    "demo": _add_demo_parser,
}
