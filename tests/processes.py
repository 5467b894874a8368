"""This test process's children, as Linux's /proc tells them (for tests of work forked into
child processes: none may be left behind)."""

from __future__ import annotations

import os
from pathlib import Path


def children() -> set[str]:
    """This process's children, running or ended and not yet waited for (zombies)."""
    return set(Path(f"/proc/self/task/{os.getpid()}/children").read_text().split())
