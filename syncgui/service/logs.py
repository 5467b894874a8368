"""Logging set-up: a rotating log file in the user log directory, and the terminal."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_dir: Path, verbosity: int = 0) -> None:
    """Log INFO and up to ``log_dir/syncgui.log``; the terminal gets WARNING, or more
    with ``verbosity`` (1: INFO, 2: DEBUG)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    console = logging.StreamHandler()
    console.setLevel([logging.WARNING, logging.INFO, logging.DEBUG][min(verbosity, 2)])
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / "syncgui.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as err:
        logging.getLogger(__name__).warning("cannot write a log file in %s: %s", log_dir, err)
        return
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(file_handler)
