"""Printing helpers shared by the commands: JSON for scripts, plurals, one-line cells and
lists cut short with a pointer to ``--json``."""

from __future__ import annotations

import json
from collections.abc import Sequence

# matches and possible duplicates listed in full up to this many; `--json` has them all
LIST_LIMIT = 20
_NAME_WIDTH, _KEY_WIDTH = 24, 28


def print_json(data: object, *, ensure_ascii: bool = False) -> None:
    """``data`` indented, for scripts; non-ASCII text as itself unless ``ensure_ascii``."""
    print(json.dumps(data, indent=2, ensure_ascii=ensure_ascii))


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def cell(value: str | None, width: int) -> str:
    """``value`` on one line, shortened to ``width`` characters; None: the field is absent."""
    if value is None:
        return "(none)"
    text = " / ".join(part.strip() for part in value.splitlines() if part.strip())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def print_rows(rows: Sequence[tuple[str, str, str]]) -> None:
    """Rows of (name, A's key, B's key) in columns, cut at :data:`LIST_LIMIT`."""
    shown = rows[:LIST_LIMIT]
    name_w = min(max(len(name) for name, _a, _b in shown), _NAME_WIDTH)
    key_w = min(max(len(a) for _n, a, _b in shown), _KEY_WIDTH)
    for name, a, b in shown:
        a_cell = cell(a, key_w) if a else "-"
        print(f"    {cell(name, name_w):<{name_w}}  A: {a_cell:<{key_w}}  B: {b or '-'}")
    if len(rows) > len(shown):
        print(f"    ... and {len(rows) - len(shown)} more (use --json for all)")
