"""Partnerships: two stores the user asked to keep in step, kept in the config directory."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from syncgui.engine.events import Direction, Policy
from syncgui.engine.matching import MatchLevel
from syncgui.engine.sqlite import connect
from syncgui.service.errors import ConfigError
from syncgui.service.files import write_atomically
from syncgui.service.paths import Paths
from syncgui.service.stores import StoreSpec, parse_spec

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")

Pair = tuple[bytes, bytes]  # (side A's item global id, side B's)


@dataclass(frozen=True, slots=True)
class Partnership:
    """Two stores kept in step. ``match``: how far contacts new to each other are matched
    when the stores meet; ``refused_matches``: matches the user refused (side A's global id,
    side B's), never matched again."""

    name: str
    a: str
    b: str
    direction: Direction = Direction.TWO_WAY
    policy: Policy = Policy.MERGE
    match: MatchLevel = MatchLevel.PEOPLE
    refused_matches: frozenset[Pair] = frozenset()

    @property
    def spec_a(self) -> StoreSpec:
        return parse_spec(self.a)

    @property
    def spec_b(self) -> StoreSpec:
        return parse_spec(self.b)

    def refusing(self, pairs: Iterable[Pair]) -> Partnership:
        """This partnership with ``pairs`` refused as well."""
        return replace(self, refused_matches=self.refused_matches | frozenset(pairs))

    def to_json(self) -> dict[str, Any]:
        """As kept in the partnerships file (refused pairs as hex, in a stable order)."""
        return {
            "name": self.name,
            "a": self.a,
            "b": self.b,
            "direction": self.direction.value,
            "policy": self.policy.value,
            "match": self.match.value,
            "refused_matches": [[a.hex(), b.hex()] for a, b in sorted(self.refused_matches)],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Partnership:
        """A partnership as :meth:`to_json` wrote it; a file from before matching (no
        ``match``, no ``refused_matches``) gets the defaults."""
        return cls(
            str(d["name"]),
            str(d["a"]),
            str(d["b"]),
            Direction(d.get("direction", "two-way")),
            Policy(d.get("policy", "merge")),
            MatchLevel(d.get("match", MatchLevel.PEOPLE.value)),
            frozenset(_pair(raw) for raw in d.get("refused_matches", [])),
        )


def _pair(raw: object) -> Pair:
    """A refused pair from the file: two hex strings (ValueError when it is not)."""
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise ValueError(f"a refused match is two ids, not {raw!r}")
    a, b = raw
    return bytes.fromhex(str(a)), bytes.fromhex(str(b))


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a usable partnership name: use letters, digits, space, . _ -"
            " (at most 64 characters, starting with a letter or digit)"
        )
    return name


class PartnershipBook:
    """The partnerships file (JSON, written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Partnership]:
        if not self.path.exists():
            return []
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            return [Partnership.from_json(d) for d in raw.get("partnerships", [])]
        except (ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"{self.path} is damaged ({err}); fix or remove it") from err

    def save(self, items: list[Partnership]) -> None:
        text = json.dumps({"partnerships": [p.to_json() for p in items]}, indent=2)
        write_atomically(self.path, text + "\n")

    def get(self, name: str) -> Partnership:
        for p in self.load():
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.load()) or "none yet"
        raise ConfigError(f"there is no partnership named {name!r} (partnerships: {known})")


def rename_in_database(path: Path, old: str, new: str) -> int:
    """In the SQLite database at ``path`` (if there is one), every row that belongs to the
    partnership ``old`` (by a column named ``partnership``, in whichever table has one: a
    store's conflicts, the session log, the history) belongs to ``new``, in one
    transaction. Returns how many rows moved."""
    if not path.exists():
        return 0
    db = connect(path)
    try:
        tables = [
            str(r[0])
            for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not str(r[0]).startswith("sqlite_")
        ]
        keyed = [
            t
            for t in tables
            if any(c[1] == "partnership" for c in db.execute(f'PRAGMA table_info("{t}")'))
        ]
        moved = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in keyed:
                cur = db.execute(
                    f'UPDATE "{table}" SET partnership=? WHERE partnership=?', (new, old)
                )
                moved += max(cur.rowcount, 0)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return moved
    finally:
        db.close()


def has_partnerships(paths: Paths) -> bool:
    """Whether the profile ``paths`` has any partnership: what the app asks to choose the
    demo profile, before the rest of the service loads (ConfigError: the file is damaged)."""
    return bool(PartnershipBook(paths.partnerships_file).load())
