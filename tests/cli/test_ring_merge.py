"""Issue 11, part 5: merges in a ring of three stores plus one one-way session.

A folder (A), a ``.vcf`` file (B) and a second folder (C), each pair a partnership with policy
merge, plus a one-way partnership A -> B. NOTE is edited on A, TEL twice on C; the edits touch
different fields, so every merge must be silent and the ring must end with the new note and
only the latest number on every store, with no conflict left.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, card

BASE = card("ann", "Ann Example", "TEL:+1 555 0000", "NOTE:old note")


class Ring:
    def __init__(self, cli: Cli, root: Path) -> None:
        self.cli = cli
        self.a, self.b, self.c = root / "book", root / "export.vcf", root / "third"
        self.a.mkdir()
        self.c.mkdir()
        self.b.write_bytes(b"")
        (self.a / "ann.vcf").write_bytes(BASE.encode())
        spec = {"a": f"vdir:{self.a}", "b": f"vcf:{self.b}", "c": f"vdir:{self.c}"}
        for name, x, y in (("ab", "a", "b"), ("bc", "b", "c"), ("ca", "c", "a")):
            assert cli("partnership", "add", name, spec[x], spec[y], "--policy", "merge")[0] == 0
        one_way = ("partnership", "add", "a-to-b", spec["a"], spec["b"], "--policy", "merge")
        assert cli(*one_way, "--direction", "a-to-b")[0] == 0

    def file(self, store: str) -> Path:
        if store == "b":
            return self.b
        [found] = list((self.a if store == "a" else self.c).glob("*.vcf"))
        return found

    def text(self, store: str) -> str:
        return self.file(store).read_bytes().decode()

    def edit(self, store: str, prop: str, value: str) -> None:
        path = self.file(store)
        old = path.read_bytes().decode()
        new = re.sub(rf"^{prop}[;:][^\r\n]*", f"{prop}:{value}", old, count=1, flags=re.M)
        assert new != old
        path.write_bytes(new.encode())

    def values(self, store: str, prop: str) -> list[str]:
        return sorted(re.findall(rf"^{prop}[^:\r\n]*:([^\r\n]*)", self.text(store), flags=re.M))

    def sync(self, name: str) -> int:
        return self.cli("sync", name)[0]


@pytest.fixture
def ring(cli: Cli, tmp_path: Path) -> Ring:
    ring = Ring(cli, tmp_path)
    for name in ("ab", "bc", "ca"):
        assert ring.sync(name) == 0
    for store in "abc":
        assert ring.values(store, "TEL") == ["+1 555 0000"]
    return ring


def _converged(ring: Ring) -> None:
    for store in "abc":
        assert ring.values(store, "TEL") == ["+1 555 0002"], store
        assert ring.values(store, "NOTE") == ["new note"], store
    assert ring.cli.json("conflicts")[1] == []


def test_ring_with_a_one_way_merge_merges_note_and_second_tel_edit(ring: Ring) -> None:
    ring.edit("a", "NOTE", "new note")
    ring.edit("c", "TEL", "+1 555 0001")
    assert ring.sync("bc") == 0  # B: TEL 0001, old note
    assert ring.sync("a-to-b") == 0  # one-way merge into B: new note, TEL 0001
    ring.edit("c", "TEL", "+1 555 0002")
    assert ring.sync("ca") == 0  # A and C: new note, TEL 0002
    assert ring.sync("ab") == 0  # A: 0002 vs B: 0001; the base must say 0001 was replaced
    for _ in range(2):
        for name in ("ab", "bc", "ca"):
            assert ring.sync(name) == 0
    _converged(ring)


def test_ring_two_way_only_merges_note_and_second_tel_edit(ring: Ring) -> None:
    """The same edits and order without the one-way session converge silently."""
    ring.edit("a", "NOTE", "new note")
    ring.edit("c", "TEL", "+1 555 0001")
    assert ring.sync("bc") == 0
    assert ring.sync("ab") == 0
    ring.edit("c", "TEL", "+1 555 0002")
    assert ring.sync("ca") == 0
    assert ring.sync("ab") == 0
    for _ in range(2):
        for name in ("ab", "bc", "ca"):
            assert ring.sync(name) == 0
    _converged(ring)
