"""No module of syncgui imports itself back: no two modules import each other, and no longer
loop of imports either.

The graph is read from the source with :mod:`ast`, not by importing anything. An edge is an
import at module level (also inside ``try``/``if``/``with`` and class bodies) and an import
under ``if TYPE_CHECKING:`` as well: a module that needs another's types to be written
depends on it as much as one that calls it, and a cycle kept only for type checking is still
two modules that cannot be understood (or moved) one without the other. Imports inside
functions are left out: they are the deliberate lazy loads (a phone's backend, libmtp). The
sub-packages of :mod:`syncgui.providers.mtp` are also checked as units, lazy imports
included, so that none of them depends on another in a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "syncgui"

# pairs of modules allowed to import each other (none: every cycle is a defect)
KNOWN_CYCLES: set[frozenset[str]] = set()


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool  # inside a function

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _statements(body: Iterable[ast.stmt], lazy: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement reachable from ``body``, with whether it runs only inside a function."""
    for node in body:
        yield node, lazy
        inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, None) or ():
                if isinstance(child, ast.ExceptHandler | ast.match_case):
                    yield from _statements(child.body, inner)
                elif isinstance(child, ast.stmt):
                    yield from _statements([child], inner)


def _targets(node: ast.stmt, module: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name``, mod
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def module_edges(source: str, module: str, is_package: bool, known: set[str]) -> list[Edge]:
    """The imports of one module (its ``source``) of other modules in ``known``."""
    edges = []
    for node, lazy in _statements(ast.parse(source).body, False):
        for target in dict.fromkeys(_targets(node, module, is_package, known)):
            if target in known and target != module:
                edges.append(Edge(module, target, node.lineno, lazy))
    return edges


def import_graph() -> list[Edge]:
    modules = _modules()
    known = set(modules)
    return [
        edge
        for module, path in modules.items()
        for edge in module_edges(path.read_text("utf-8"), module, path.name == "__init__.py", known)
    ]


def _loose(edges: Iterable[Edge]) -> list[Edge]:
    """Module-level edges, but for those of the known cycles."""
    return [e for e in edges if not e.lazy and frozenset({e.source, e.target}) not in KNOWN_CYCLES]


def _cycles(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    succ: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in edges:
        if a != b:
            succ.setdefault(a, set()).add(b)
            succ.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return found


def test_the_graph_counts_type_checking_imports_and_marks_lazy_ones() -> None:
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
from . import sibling
from .pkg import name
if TYPE_CHECKING:
    from p.typed import T
try:
    import p.tried
except ImportError:
    pass
class C:
    from p.in_class import x
def f() -> None:
    from p.lazy import y
"""
    known = {"p", "p.m", "p.sibling", "p.pkg", "p.typed", "p.tried", "p.in_class", "p.lazy"}
    edges = {(e.target, e.lazy) for e in module_edges(source, "p.m", False, known)}
    assert edges == {
        ("p.sibling", False),
        ("p.pkg", False),
        ("p.typed", False),
        ("p.tried", False),
        ("p.in_class", False),
        ("p.lazy", True),
    }


def test_no_two_modules_import_each_other() -> None:
    edges = _loose(import_graph())
    pairs = {(e.source, e.target) for e in edges}
    both_ways = sorted(str(e) for e in edges if (e.target, e.source) in pairs)
    assert not both_ways, "modules that import each other:\n" + "\n".join(both_ways)


def test_no_longer_import_cycles() -> None:
    edges = _loose(import_graph())
    # (two modules that import each other are the test above's)
    cycles = [c for c in _cycles(_modules(), ((e.source, e.target) for e in edges)) if len(c) > 2]
    shown = [
        ", ".join(c)
        + ":\n    "
        + "\n    ".join(str(e) for e in edges if {e.source, e.target} <= set(c))
        for c in cycles
    ]
    assert not cycles, "modules that import each other around a loop:\n" + "\n".join(shown)


def _mtp_unit(module: str) -> str | None:
    """``phone``, ``helper``, ... for a module of the MTP provider; its top-level modules
    (``backend``, ``virtual``, ``hints``) are units of their own."""
    prefix = "syncgui.providers.mtp."
    return module.removeprefix(prefix).split(".")[0] if module.startswith(prefix) else None


def test_mtp_sub_packages_do_not_depend_on_each_other_in_a_circle() -> None:
    units = {}
    for e in import_graph():  # lazy imports count: a lazy load is still a dependency
        a, b = _mtp_unit(e.source), _mtp_unit(e.target)
        if a and b and a != b:
            units.setdefault((a, b), str(e))
    assert {"phone", "helper", "native", "discovery", "props"} <= {u for p in units for u in p}
    cycles = _cycles({u for pair in units for u in pair}, units)
    shown = [
        ", ".join(c) + ": " + "; ".join(units[p] for p in units if set(p) <= set(c)) for c in cycles
    ]
    assert not cycles, "MTP sub-packages in a circle:\n" + "\n".join(shown)
