"""syncgui-cli: headless sync over the same service the desktop app uses.

Exit codes: 0 done; 1 failed or some items failed; 2 usage or configuration error;
3 done with conflicts left for you; 4 stopped by a safety guard, nothing written;
141 (128 + SIGPIPE) the output was cut short because its reader went away
(``syncgui-cli conflicts | head``): quietly, as ls and git do.

Only the parser loads at start-up (``--help`` needs no more); the service and each
command's module load once the command line has been read."""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from syncgui.cli.exit_codes import (
    EXIT_BLOCKED,
    EXIT_CONFLICTS,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    EXIT_USAGE,
)
from syncgui.cli.parser import build_parser
from syncgui.engine import SyncError

if TYPE_CHECKING:
    from syncgui.service import SyncService

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_CONFLICTS",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PIPE_CLOSED",
    "EXIT_USAGE",
    "build_parser",
    "exit_now",
    "main",
    "run",
]


def run() -> NoReturn:
    """The ``syncgui-cli`` program (its console script, ``python -m syncgui.cli`` and the
    frozen executable): :func:`main`, then :func:`exit_now`.

    Young objects are collected every 20,000 allocations instead of 700: a sync makes
    millions of short-lived objects and few cycles, and a first sync of 10,000 contacts
    spent 55 ms in 234 collections (26 ms in 5 so). One program run is short, and what a
    cycle holds is freed at the next collection all the same."""
    gc.set_threshold(20_000, 10, 10)
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` without tearing the interpreter down.

    When a command returns, everything it opened is closed (databases, locks, the phone's
    helper) and its output is written; what a normal exit still does is free every object
    one by one and collect garbage a last time: 20 ms of a 0.2 s no-op sync. Like mypy, the
    CLI skips that: the exit handlers run (they flush the log files, close what was
    registered to be closed at exit and keep syncgui's start-up cache), stdout and stderr
    are flushed, and the process ends. While another thread that is not a daemon still runs,
    the exit is the normal one, which waits for it."""
    threading = sys.modules.get("threading")  # not loaded: no other thread was started
    if threading is not None and any(
        not t.daemon and t is not threading.main_thread() for t in threading.enumerate()
    ):
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # as Python's own exit says: 120
            code = code or 120
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Output cut short by a closed pipe (``| head``) ends it quietly
    with :data:`EXIT_PIPE_CLOSED`, whichever command was printing."""
    try:
        try:
            code = _run(argv)
        except SystemExit:  # --help and usage errors: their output may meet a closed pipe too
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # a reader that went away shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_PIPE_CLOSED


def _discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush of what is still
    buffered has nowhere to fail (and print no "Exception ignored" message)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by something without a file
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
    # only now: --help and usage errors need none of the service
    from syncgui.service import ConfigError, SyncService, resolve_paths, setup_logging

    paths = resolve_paths(args.config_dir, args.data_dir)
    setup_logging(paths.log_dir, args.verbose)
    service = SyncService(paths)
    try:
        return int(_dispatch(service, args))
    except ConfigError as err:
        print(f"syncgui-cli: {err.message}", file=sys.stderr)
        return EXIT_USAGE
    except SyncError as err:
        where = f"{err.item}: " if err.item else ""
        print(f"syncgui-cli: {where}{err.message}", file=sys.stderr)
        return EXIT_FAILED


def _dispatch(service: SyncService, args: argparse.Namespace) -> int:
    """Run the command ``args`` name, loading only its module."""
    cmd = args.command
    if cmd == "partnership":
        from syncgui.cli.partnerships import partnership

        return partnership(service, args)
    if cmd == "account":
        from syncgui.cli.accounts import account

        return account(service, args)
    if cmd == "sync":
        from syncgui.cli.sync import sync

        return sync(service, args)
    if cmd == "conflicts":
        from syncgui.cli.conflicts import conflicts

        return conflicts(service, args)
    if cmd == "resolve":
        from syncgui.cli.conflicts import resolve

        return resolve(service, args)
    if cmd == "history":
        from syncgui.cli.history import history

        return history(service, args)
    if cmd == "log":
        from syncgui.cli.log import log

        return log(service, args)
    if cmd == "restore":
        from syncgui.cli.history import restore

        return restore(service, args)
    if cmd == "undo":
        from syncgui.cli.undo import undo

        return undo(service, args)
    if cmd == "devices":
        from syncgui.cli.devices import devices

        return devices(service, args)
    from syncgui.service import run_demo

    return run_demo(args.dir, print)
