"""Helpers for the service tests: cards, stores and services in temporary folders."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from syncgui.service import SyncService
from syncgui.service.paths import Paths, resolve_paths


def card(uid: str, name: str, *extra: str) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", *extra, "END:VCARD"]
    return "\r\n".join(lines) + "\r\n"


def write_cards(folder: Path, cards: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in cards.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


def profile(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "config", tmp_path / "data")


def desktop(tmp_path: Path, **kwargs: object) -> SyncService:
    """The service as the desktop app makes it, without USB phones (the virtual phone
    needs none)."""
    return SyncService(profile(tmp_path), real_backend=None, **kwargs)  # type: ignore[arg-type]


def cli_process(config: Path, data: Path, *args: str) -> str:
    """``syncgui-cli ARGS`` as its own process over the profile in ``config`` and ``data``
    (as a user runs it beside the app); its output. It must succeed."""
    command = [sys.executable, "-m", "syncgui.cli", "--config-dir", str(config)]
    command += ["--data-dir", str(data), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def database_dumps(data: Path) -> dict[str, list[str]]:
    """Every SQLite database under ``data`` (read-only), as SQL: what a step that must write
    nothing is compared by."""
    out = {}
    for path in sorted(data.rglob("*.sqlite")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        out[str(path.relative_to(data))] = list(db.iterdump())
        db.close()
    return out
