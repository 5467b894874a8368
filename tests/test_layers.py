"""The headless parts never load Qt, and a no-op sync does not even load the vCard parser
library: checked in a fresh interpreter, as a user's process would start."""

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
    third_party = {m.split(".")[0] for m in loaded} & {"vobject", "platformdirs", "PySide6"}
    assert not third_party


def test_no_op_sync_loads_neither_qt_nor_vobject(tmp_path: Path) -> None:
    book, other = tmp_path / "a", tmp_path / "b"
    book.mkdir()
    (book / "x.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nFN:X\r\nEND:VCARD\r\n")
    base = ["--config-dir", str(tmp_path / "c"), "--data-dir", str(tmp_path / "d")]
    prelude = f"from syncgui.cli import main\nbase = {base!r}\n"
    subprocess.run(
        [
            sys.executable,
            "-c",
            prelude + f"main(base + ['partnership', 'add', 'p', 'vdir:{book}', 'vdir:{other}'])\n"
            "main(base + ['sync', 'p'])",
        ],
        check=True,
        capture_output=True,
    )
    loaded = _modules_after(prelude + "main(base + ['sync', 'p'])")
    assert "vobject" not in loaded
    assert not {m for m in loaded if m.startswith("PySide6")}
