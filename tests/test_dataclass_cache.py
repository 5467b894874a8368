"""Dataclass methods compiled once: a second start of syncgui compiles none of its
dataclasses' methods, classes made from the cache behave exactly as without it, and a
damaged cache or a Python told to write no bytecode changes nothing but the speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# loads what a sync loads, then makes dataclasses of every kind and reports how they behave
PROBE = textwrap.dedent(
    """
    import json, sys
    if sys.argv[1] == "syncgui":
        import syncgui.service, syncgui.engine
        from syncgui.service import facade, running  # the sync's modules and their classes
        from syncgui.providers.vcard import folder, format
        from syncgui import dataclass_cache
        cache = dataclass_cache.installed()
        stats = {"compiled": cache.compiled, "known": len(cache.codes), "path": cache.path}
    else:
        stats = {}
    import dataclasses
    from dataclasses import InitVar, dataclass, field

    @dataclass(frozen=True, slots=True)
    class Point:
        x: int
        y: int = 2
        tags: tuple[str, ...] = ()

    @dataclass(order=True, kw_only=True)
    class Task:
        rank: int
        name: str = field(default="t", compare=False)
        items: list[int] = field(default_factory=list)
        scale: InitVar[int] = 1

        def __post_init__(self, scale: int) -> None:
            self.rank *= scale

    p = Point(1)
    try:
        p.x = 5
        frozen = "assigned"
    except dataclasses.FrozenInstanceError as err:
        frozen = type(err).__name__
    a, b = Task(rank=2, name="a", scale=3), Task(rank=6, name="b")
    print(json.dumps({
        "stats": stats,
        "behaviour": [
            repr(p), p == Point(1, 2), hash(p) == hash(Point(1)), frozen,
            repr(a), a == b, a < Task(rank=7), a.items is not b.items,
            sorted(Point.__init__.__annotations__.items()),
            sorted(Task.__init__.__annotations__),
            [f.name for f in dataclasses.fields(Task)],
        ],
    }, default=repr))
    """
)


def _run(cache_root: Path, mode: str = "syncgui", **env: str) -> dict[str, Any]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(cache_root)}
    environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user's Python: it writes bytecode
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_second_start_compiles_no_dataclass_method_and_nothing_behaves_differently(
    tmp_path: Path,
) -> None:
    plain = _run(tmp_path / "none", mode="plain")  # Python's own dataclasses, no cache
    first = _run(tmp_path / "pyc")
    assert first["stats"]["compiled"] > 100  # syncgui's own classes: several methods each
    path = Path(first["stats"]["path"])
    assert path.is_relative_to(tmp_path / "pyc") and path.exists()
    second = _run(tmp_path / "pyc")
    assert second["stats"]["compiled"] == 0
    assert second["stats"]["known"] > first["stats"]["known"]  # the probe's classes too
    assert first["behaviour"] == plain["behaviour"]
    assert second["behaviour"] == plain["behaviour"]


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"\x00" * 40,  # another interpreter's magic number
        MAGIC_NUMBER + b"\xff\x00garbage",  # not marshal data
        MAGIC_NUMBER + b"\xfb\x04\x00\x00\x00",  # cut off
        "marshal of a dict that maps texts to strings",
    ],
    ids=["empty", "other-magic", "garbage", "truncated", "wrong-values"],
)
def test_a_damaged_cache_is_ignored_and_written_anew(tmp_path: Path, damage: bytes | str) -> None:
    import marshal

    path = Path(_run(tmp_path / "pyc")["stats"]["path"])
    if isinstance(damage, str):
        texts = marshal.loads(path.read_bytes()[len(MAGIC_NUMBER) :])
        damage = MAGIC_NUMBER + marshal.dumps(dict.fromkeys(texts, "not code"))
    path.write_bytes(damage)
    again = _run(tmp_path / "pyc")
    assert again["stats"]["compiled"] > 100  # nothing was taken from the damaged file
    assert again["behaviour"] == _run(tmp_path / "none", mode="plain")["behaviour"]
    assert path.read_bytes().startswith(MAGIC_NUMBER)  # and it was written anew
    assert _run(tmp_path / "pyc")["stats"]["compiled"] == 0


def test_no_cache_is_written_when_python_writes_no_bytecode(tmp_path: Path) -> None:
    first = _run(tmp_path / "pyc", PYTHONDONTWRITEBYTECODE="1")
    assert not Path(first["stats"]["path"]).exists()
    assert _run(tmp_path / "pyc", PYTHONDONTWRITEBYTECODE="1")["stats"]["compiled"] > 100
