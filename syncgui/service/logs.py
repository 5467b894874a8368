"""Logging set-up: a rotating log file in the user log directory, and the terminal."""

from __future__ import annotations

import logging
import os
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_dir: Path, verbosity: int = 0) -> None:
    """Log INFO and up to ``log_dir/syncgui.log``; the terminal gets WARNING, or more
    with ``verbosity`` (1: INFO, 2: DEBUG)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    # the HTTP client logs every request at INFO: that is debug detail here (and a URL
    # may carry a user name)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)
    console = logging.StreamHandler()
    console.setLevel([logging.WARNING, logging.INFO, logging.DEBUG][min(verbosity, 2)])
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "syncgui.log"
        _rotate(path)
        file_handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError as err:
        logging.getLogger(__name__).warning("cannot write a log file in %s: %s", log_dir, err)
        return
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(file_handler)


def _rotate(path: Path, limit: int = 2_000_000, keep: int = 3) -> None:
    """Start a new log file when the current one is over ``limit`` bytes, keeping ``keep``
    old ones (rotating at start-up spares every run the import of logging.handlers)."""
    try:
        if path.stat().st_size < limit:
            return
    except FileNotFoundError:
        return
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))
