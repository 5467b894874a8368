"""syncgui-cli: headless sync over the same service the desktop app uses.

Exit codes: 0 done; 1 failed or some items failed; 2 usage or configuration error;
3 done with conflicts left for you; 4 stopped by a safety guard, nothing written;
141 (128 + SIGPIPE) the output was cut short because its reader went away
(``syncgui-cli conflicts | head``): quietly, as ls and git do."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal

from syncgui.engine import (
    CancelToken,
    Direction,
    MatchLevel,
    Policy,
    SessionResult,
    Status,
    SyncError,
)
from syncgui.service import (
    ConfigError,
    ConflictDetail,
    ConflictView,
    FieldRow,
    SyncService,
    resolve_paths,
    run_demo,
    setup_logging,
)

if TYPE_CHECKING:
    from syncgui.service import DeviceReport, Partnership

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFLICTS, EXIT_BLOCKED = 0, 1, 2, 3, 4
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for ls or git cut short

Side = Literal["a", "b"]

_EPILOG = """\
store specs:
  vdir:PATH   a folder with one contact per .vcf file (khard, vdirsyncer, Evolution)
  vcf:PATH    one .vcf file holding many contacts (Google, iCloud and phone exports)

examples:
  syncgui-cli partnership add phone vdir:~/contacts vcf:~/Downloads/contacts.vcf
  syncgui-cli sync phone --dry-run      # see what would happen, write nothing
  syncgui-cli sync --all
  syncgui-cli conflicts                 # what needs your decision, field by field
  syncgui-cli resolve 3f2a9c1b --keep a
  syncgui-cli resolve 3f2a9c1b --keep merged --field NOTE=b

exit codes: 0 done, 1 failed (or some items failed), 2 usage or configuration error,
            3 done with conflicts left for you, 4 stopped by the deletion guard,
            141 output cut short by its reader (e.g. `| head`), as with ls or git
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
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
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    part = sub.add_parser("partnership", help="add, list or remove partnerships")
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

    co = sub.add_parser("conflicts", help="list conflicts waiting for your decision")
    co.add_argument("name", nargs="?", metavar="NAME", help="only this partnership")
    co.add_argument("--json", action="store_true", help="print JSON for scripts")
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

    hi = sub.add_parser("history", help="versions that syncs overwrote or deleted")
    hi.add_argument("name", nargs="?", metavar="NAME", help="only this partnership")
    hi.add_argument("--json", action="store_true", help="print JSON for scripts")
    re_ = sub.add_parser("restore", help="put a version from history back (it then syncs)")
    re_.add_argument("history_id", type=int, metavar="HISTORY_ID", help="as `history` shows it")

    dv = sub.add_parser(
        "devices", help="list connected phones: their state, storages and what to do to use them"
    )
    dv.add_argument("--json", action="store_true", help="print JSON for scripts")
    de = sub.add_parser("demo", help="create two sample address books and sync them")
    de.add_argument("--dir", help="where to create them (default: a new temporary folder)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Output cut short by a closed pipe (``| head``) ends it quietly
    with :data:`EXIT_PIPE_CLOSED`, whichever command was printing."""
    try:
        try:
            code = _run(argv)
        except SystemExit:  # --help and usage errors: their output may meet a closed pipe too
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # a reader that went away shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_PIPE_CLOSED


def _discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush of what is still
    buffered has nowhere to fail (and print no "Exception ignored" message)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by something without a file
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    paths = resolve_paths(args.config_dir, args.data_dir)
    setup_logging(paths.log_dir, args.verbose)
    service = SyncService(paths)
    try:
        return int(_dispatch(service, args))
    except ConfigError as err:
        print(f"syncgui-cli: {err.message}", file=sys.stderr)
        return EXIT_USAGE
    except SyncError as err:
        where = f"{err.item}: " if err.item else ""
        print(f"syncgui-cli: {where}{err.message}", file=sys.stderr)
        return EXIT_FAILED


def _dispatch(service: SyncService, args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "partnership":
        return _partnership(service, args)
    if cmd == "sync":
        return _sync(service, args)
    if cmd == "conflicts":
        return _conflicts(service, args)
    if cmd == "resolve":
        return _resolve(service, args)
    if cmd == "history":
        return _history(service, args)
    if cmd == "restore":
        entry = service.restore(args.history_id)
        r = entry.record
        print(f"Restored {r.label!r} in {r.store_name}; the next sync carries it on.")
        return EXIT_OK
    if cmd == "devices":
        return _devices(service, args)
    return run_demo(args.dir, print)


def _devices(service: SyncService, args: argparse.Namespace) -> int:
    listing = service.list_devices()
    if args.json:
        print(json.dumps([d.to_json() for d in listing.devices], indent=2, ensure_ascii=False))
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


def _partnership(service: SyncService, args: argparse.Namespace) -> int:
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
            print(json.dumps([p.to_json() for p in items], indent=2))
        elif not items:
            print("No partnerships yet. Add one with `syncgui-cli partnership add NAME A B`.")
        for p in [] if args.json else items:
            print(f"{p.name}: {p.a}  <->  {p.b}  ({_settings_text(p)})")
    return EXIT_OK


def _settings_text(p: Partnership) -> str:
    """ "two-way, merge, match people" (and how many matches were refused, if any)."""
    refused = len(p.refused_matches)
    text = f"{p.direction.value}, {p.policy.value}, match {p.match.value}"
    return text + (f", {_count(refused, 'match', 'matches')} refused" if refused else "")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _sync(service: SyncService, args: argparse.Namespace) -> int:
    names = [p.name for p in service.partnerships()] if args.all else list(args.names)
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
        print(json.dumps([_result_json(r) for r in results], indent=2, ensure_ascii=False))
    else:
        for r in results:
            _print_result(r)
    return _exit_code(results)


def _exit_code(results: Sequence[SessionResult]) -> int:
    statuses = {r.status for r in results}
    if statuses & {Status.FAILED, Status.CANCELLED}:
        return EXIT_FAILED
    if Status.BLOCKED in statuses:
        return EXIT_BLOCKED
    if Status.CONFLICTS in statuses:
        return EXIT_CONFLICTS
    return EXIT_OK


def _result_json(r: SessionResult) -> dict[str, Any]:
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


def _print_result(r: SessionResult) -> None:
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


# matches and possible duplicates listed in full up to this many; `--json` has them all
_LIST_LIMIT = 20
_NAME_WIDTH, _KEY_WIDTH = 24, 28


def _print_matches(r: SessionResult) -> None:
    """How many contacts were (a dry run: will be) combined, one line each (name, A's key,
    B's key), then the possible duplicates; each list cut at :data:`_LIST_LIMIT`."""
    if r.matched:
        n = len(r.matched)
        head = _count(n, "contact", "contacts") + " matched as the same person"
        if r.dry_run:
            head += " (will be combined)"
        else:
            head += " was combined" if n == 1 else " were combined"
        print(f"  {head}:")
        rows = [(m.a.label, m.a.key, m.b.key) for m in r.matched]
        _print_rows(rows)
    if r.possible_duplicates:
        print("  Possible duplicates (not combined; check them):")
        groups = [
            (d.label, ", ".join(c.key for c in d.a), ", ".join(c.key for c in d.b))
            for d in r.possible_duplicates
        ]
        _print_rows(groups)


def _print_rows(rows: Sequence[tuple[str, str, str]]) -> None:
    shown = rows[:_LIST_LIMIT]
    name_w = min(max(len(name) for name, _a, _b in shown), _NAME_WIDTH)
    key_w = min(max(len(a) for _n, a, _b in shown), _KEY_WIDTH)
    for name, a, b in shown:
        a_cell = _cell(a, key_w) if a else "-"
        print(f"    {_cell(name, name_w):<{name_w}}  A: {a_cell:<{key_w}}  B: {b or '-'}")
    if len(rows) > len(shown):
        print(f"    ... and {len(rows) - len(shown)} more (use --json for all)")


def _conflicts(service: SyncService, args: argparse.Namespace) -> int:
    details = service.conflict_details(args.name)
    if args.json:
        print(json.dumps([_conflict_json(d) for d in details], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not details:
        print("No conflicts.")
    for d in details:
        _print_conflict(d)
    if details:
        print("Settle one with `syncgui-cli resolve ID --keep a|b|both|merged [--field PROP=a|b]`.")
    return EXIT_OK


_LABEL_WIDTH, _VALUE_WIDTH = 16, 32


def _print_conflict(d: ConflictDetail) -> None:
    """A conflict's header, its sides' states, then a line per differing field with both
    values; ``!`` marks a field changed on both sides (``--keep merged`` needs a choice)."""
    v = d.view
    when = datetime.fromtimestamp(v.detected_at).strftime("%Y-%m-%d %H:%M")
    print(f"{v.id}  {v.partnership}  {v.item}  ({v.kind}, found {when})")
    print(f"    A {v.a_name}: {_side_state(v, 'a')}; B {v.b_name}: {_side_state(v, 'b')}")
    if v.a is None or v.b is None:  # deleted or unreachable: the line above says it
        return
    rows = [r for r in d.rows if r.state != "same"]
    if not rows:
        print("    (no shown field differs)")
        return
    width = min(max(len(r.label) for r in rows), _LABEL_WIDTH)
    for r in rows:
        mark = "!" if r.state == "clash" else " "
        a, b = _cell(r.a, _VALUE_WIDTH), _cell(r.b, _VALUE_WIDTH)
        print(f"  {mark} {_cell(r.label, width):<{width}}  A: {a:<{_VALUE_WIDTH}}  B: {b}")
    if d.clashes:
        needed = " ".join(f"--field {f}=a|b" for f in d.clashes)
        print(f"    ! changed on both sides; --keep merged needs {needed}")


def _cell(value: str | None, width: int) -> str:
    """``value`` on one line, shortened to ``width`` characters; None: the field is absent."""
    if value is None:
        return "(none)"
    text = " / ".join(part.strip() for part in value.splitlines() if part.strip())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _side_state(v: ConflictView, side: str) -> str:
    data = v.a if side == "a" else v.b
    if data is None and v.unreachable and v.held_by == side:
        return f"cannot be shown now ({v.unreachable})"
    return "deleted" if data is None else "changed"


def _text(data: bytes | None) -> dict[str, str | None]:
    return {"vcard": None if data is None else data.decode("utf-8", errors="replace")}


def _side_json(v: ConflictView, side: str) -> dict[str, str | None]:
    out = _text(v.a if side == "a" else v.b)
    if v.unreachable and v.held_by == side:
        out["unreachable"] = v.unreachable  # null here is not a delete
    return out


def _conflict_json(d: ConflictDetail) -> dict[str, Any]:
    v = d.view
    return {
        "id": v.id,
        "partnership": v.partnership,
        "kind": v.kind,
        "item": v.item,
        "uid": v.uid,
        "a": _side_json(v, "a"),
        "b": _side_json(v, "b"),
        "fields": [_field_json(r) for r in d.rows if r.state != "same"],
    }


def _field_json(r: FieldRow) -> dict[str, str | None]:
    return {"field": r.field, "label": r.label, "a": r.a, "b": r.b, "state": r.state}


def _field_choice(text: str) -> tuple[str, Side]:
    """``--field NOTE=b`` as ("NOTE", "b"); property names are matched case-insensitively."""
    prop, sep, side = text.partition("=")
    side = side.strip().lower()
    if not sep or not prop.strip() or side not in ("a", "b"):
        raise argparse.ArgumentTypeError(f"expected PROP=a or PROP=b (e.g. NOTE=b), not {text!r}")
    return prop.strip().upper(), "a" if side == "a" else "b"


def _resolve(service: SyncService, args: argparse.Namespace) -> int:
    prefer: dict[str, Side] | None = None
    partnership = None
    if args.field and args.keep != "merged":
        print("syncgui-cli: --field goes with --keep merged only", file=sys.stderr)
        return EXIT_USAGE
    if args.keep == "merged":
        detail = service.conflict_detail(args.conflict_id)
        prefer = _merge_choices(detail, args.field)
        if prefer is None:
            return EXIT_USAGE
        partnership = detail.view.partnership
    view = service.resolve(args.conflict_id, args.keep, prefer, partnership=partnership)
    chosen = "".join(f", {f} from {side.upper()}" for f, side in (prefer or {}).items())
    print(
        f"Resolved {view.item!r} in {view.partnership}: kept {args.keep}{chosen}. "
        f"The next sync of {view.partnership} carries it to both stores."
    )
    return EXIT_OK


def _merge_choices(d: ConflictDetail, fields: list[tuple[str, Side]]) -> dict[str, Side] | None:
    """A side for each field of ``d`` a merge cannot settle, from ``--field`` choices; None
    (and why, on stderr) when one is missing, unknown, not clashing or given twice."""
    clashing = {f.upper(): f for f in d.clashes}
    values = {r.field: r for r in d.rows if r.state == "clash"}
    chosen: dict[str, Side] = {}
    problems: list[str] = []
    for prop, side in fields:
        name = clashing.get(prop)
        if name is None:
            which = ", ".join(d.clashes) or "none does"
            problems.append(f"{prop} needs no choice in this conflict (fields that do: {which})")
        elif chosen.setdefault(name, side) != side:
            problems.append(f"{name} is given both sides; choose one")
    for name in d.clashes:
        if name not in chosen:
            row = values.get(name)
            problems.append(f"{name} needs a choice: add --field {name}=a or --field {name}=b")
            if row is not None:
                a, b = _cell(row.a, _VALUE_WIDTH), _cell(row.b, _VALUE_WIDTH)
                problems.append(f"    ({row.label}: A {a!r}, B {b!r})")
    for line in problems:
        print(line if line.startswith(" ") else f"syncgui-cli: {line}", file=sys.stderr)
    if problems:
        print("syncgui-cli: nothing was written", file=sys.stderr)
        return None
    return chosen


def _history(service: SyncService, args: argparse.Namespace) -> int:
    entries = service.history(args.name)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "partnership": e.record.partnership,
                        "store": e.record.store,
                        "item": e.record.label,
                        "uid": e.record.uid,
                        "reason": e.record.reason,
                        "at": datetime.fromtimestamp(e.record.at)
                        .astimezone()
                        .isoformat(timespec="seconds"),
                    }
                    for e in entries
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
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


if __name__ == "__main__":
    sys.exit(main())
