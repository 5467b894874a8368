"""The layer rules, checked in a fresh interpreter as a user's process would start: the
headless parts never load Qt, the engine uses the standard library only, and each
third-party library has exactly one importer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _modules_after(code: str) -> set[str]:
    script = textwrap.dedent(code) + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return set(run.stdout.split())


def test_service_and_cli_never_load_qt() -> None:
    loaded = _modules_after("import syncgui.service, syncgui.cli, syncgui.engine")
    assert not {m for m in loaded if m.startswith("PySide6")}


def test_engine_imports_only_the_standard_library() -> None:
    loaded = _modules_after("import syncgui.engine")
    third_party = {m.split(".")[0] for m in loaded} & {"platformdirs", "PySide6"}
    assert not third_party


def test_each_third_party_library_is_imported_by_exactly_one_module_qt_by_the_gui_only() -> None:
    import ast

    root = Path(__file__).resolve().parents[1] / "syncgui"
    stdlib = sys.stdlib_module_names
    importers: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top != "syncgui":
                    importers.setdefault(top, set()).add(str(path.relative_to(root)))
    assert importers, "expected at least platformdirs"
    # Qt is the desktop app's toolkit: every module of the gui package uses it, no other may
    qt_users = importers.pop("PySide6", set())
    outside = sorted(m for m in qt_users if not m.startswith("gui/"))
    assert not outside, f"PySide6 is imported outside syncgui/gui: {outside}"
    for library, modules in importers.items():
        assert len(modules) == 1, f"{library} is imported by {sorted(modules)}"
