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


_PUBLIC_ONLY = "The GUI and the CLI use the service and the engine by their public modules only"


def _submodules(package: str) -> set[str]:
    """Every module below ``package`` (sub-packages too), read from the source tree."""
    root = Path(__file__).resolve().parents[1]
    folder = root.joinpath(*package.split("."))
    found = set()
    for path in folder.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name != package:
            found.add(name)
    return found


def test_the_public_module_contract_lists_every_service_and_engine_submodule() -> None:
    """The import-linter contract that keeps the GUI and the CLI on ``syncgui.service`` and
    ``syncgui.engine`` names each submodule it forbids: a new one must be added to it."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    contracts = tomllib.loads(pyproject.read_text("utf-8"))["tool"]["importlinter"]["contracts"]
    [contract] = [c for c in contracts if c["name"] == _PUBLIC_ONLY]
    assert contract["type"] == "forbidden"
    assert set(contract["source_modules"]) == {"syncgui.gui", "syncgui.cli"}
    listed = set(contract["forbidden_modules"])
    wanted = _submodules("syncgui.service") | _submodules("syncgui.engine")
    assert not wanted - listed, f"add to the contract in pyproject.toml: {sorted(wanted - listed)}"
    assert not listed - wanted, f"gone, remove from the contract: {sorted(listed - wanted)}"


def test_the_public_modules_export_what_they_list() -> None:
    """``syncgui.service`` and ``syncgui.engine`` each name their public API in ``__all__``,
    and every name there is importable from the package itself."""
    import importlib

    for package in ("syncgui.service", "syncgui.engine"):
        module = importlib.import_module(package)
        names = module.__all__
        assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"
        missing = [n for n in names if not hasattr(module, n)]
        assert not missing, f"{package} does not define {missing}"


def test_importing_the_service_loads_no_native_code() -> None:
    """A phone's native code (our libmtp binding, the helper process) loads when a phone is
    first used, never because the public module was imported."""
    loaded = _modules_after("import syncgui.service, syncgui.cli")
    native = {m for m in loaded if m.startswith(("syncgui.providers.mtp.native", "ctypes"))}
    native |= {m for m in loaded if m.startswith("syncgui.providers.mtp.helper.remote")}
    assert not native, sorted(native)
