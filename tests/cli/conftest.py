"""Helpers for end-to-end CLI tests: run ``syncgui-cli`` in-process on temporary folders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from syncgui.cli import main


def card(uid: str | None, name: str, *extra: str, version: str = "3.0") -> str:
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if uid:
        lines.append(f"UID:{uid}")
    lines += [f"FN:{name}", *extra, "END:VCARD"]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Cli:
    """Runs the CLI with its own config and data folders; captures output."""

    root: Path
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            code = main(
                [
                    "--config-dir",
                    str(self.root / "config"),
                    "--data-dir",
                    str(self.root / "data"),
                    *args,
                ]
            )
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> tuple[int, Any]:
        code, out, _err = self(*args, "--json")
        return code, json.loads(out)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Path, Path]:
    """An address-book folder with three cards and an empty .vcf file beside it."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "ann.vcf").write_text(card("ann", "Ann Example", "TEL:+1 555 0100"), newline="")
    (book / "bob.vcf").write_text(card("bob", "Bob Example", "EMAIL:bob@example.org"), newline="")
    (book / "zoë.vcf").write_text(card(None, "Zoë Ünicode", "NOTE:no uid here"), newline="")
    export = tmp_path / "export.vcf"
    export.write_bytes(b"")
    return book, export
