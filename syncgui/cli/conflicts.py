"""``syncgui-cli conflicts`` (what waits for a decision, field by field, as text or JSON)
and ``syncgui-cli resolve`` (settle one, with a side per clashing field for a merge)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_OK, EXIT_USAGE
from syncgui.cli.output import cell, print_json

if TYPE_CHECKING:
    from syncgui.cli.parser import Side
    from syncgui.service import ConflictDetail, ConflictView, FieldRow, SyncService


def conflicts(service: SyncService, args: argparse.Namespace) -> int:
    details = service.conflict_details(args.name)
    if args.json:
        print_json([_conflict_json(d) for d in details])
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
        a, b = cell(r.a, _VALUE_WIDTH), cell(r.b, _VALUE_WIDTH)
        print(f"  {mark} {cell(r.label, width):<{width}}  A: {a:<{_VALUE_WIDTH}}  B: {b}")
    if d.clashes:
        needed = " ".join(f"--field {f}=a|b" for f in d.clashes)
        print(f"    ! changed on both sides; --keep merged needs {needed}")


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


def resolve(service: SyncService, args: argparse.Namespace) -> int:
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
                a, b = cell(row.a, _VALUE_WIDTH), cell(row.b, _VALUE_WIDTH)
                problems.append(f"    ({row.label}: A {a!r}, B {b!r})")
    for line in problems:
        print(line if line.startswith(" ") else f"syncgui-cli: {line}", file=sys.stderr)
    if problems:
        print("syncgui-cli: nothing was written", file=sys.stderr)
        return None
    return chosen
