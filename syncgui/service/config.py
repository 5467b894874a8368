"""Partnerships: two stores the user asked to keep in step, kept in the config directory."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from syncgui.engine.events import Direction, Policy
from syncgui.service.errors import ConfigError
from syncgui.service.files import write_atomically
from syncgui.service.stores import StoreSpec, parse_spec

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Partnership:
    name: str
    a: str
    b: str
    direction: Direction = Direction.TWO_WAY
    policy: Policy = Policy.MERGE

    @property
    def spec_a(self) -> StoreSpec:
        return parse_spec(self.a)

    @property
    def spec_b(self) -> StoreSpec:
        return parse_spec(self.b)

    def to_json(self) -> dict[str, str]:
        d = asdict(self)
        d["direction"] = self.direction.value
        d["policy"] = self.policy.value
        return d

    @classmethod
    def from_json(cls, d: dict[str, str]) -> Partnership:
        return cls(
            d["name"],
            d["a"],
            d["b"],
            Direction(d.get("direction", "two-way")),
            Policy(d.get("policy", "merge")),
        )


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
