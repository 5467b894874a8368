"""What the frozen executables run first (PyInstaller; packaging/syncgui.spec).

syncgui starts Python processes of its own as ``sys.executable -m MODULE ARGS``: the MTP
helper that owns USB (``-m syncgui.providers.mtp.helper``, also for the demo's virtual
phone), and the app itself (``-m syncgui``: Start at login, the demo's relaunch). In a
frozen build ``sys.executable`` is this executable, so it answers ``-m syncgui[.X]`` as the
interpreter would, and otherwise runs its own main."""

from __future__ import annotations

import runpy
import sys
from collections.abc import Callable


def run(main: Callable[[], int | None]) -> None:
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "-m" and args[1].partition(".")[0] == "syncgui":
        sys.argv = [sys.argv[0], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return
    raise SystemExit(main())
