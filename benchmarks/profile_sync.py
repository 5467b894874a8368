"""Profile one ``syncgui-cli`` run in-process, every thread included.

``python -m cProfile $(which syncgui-cli) ...`` sees only the main thread, and change
detection runs in worker threads; this script gives each new thread its own profiler and
merges them all into one stats file.

    python benchmarks/profile_sync.py -o noop.prof -- --config-dir C --data-dir D sync bench
    python -m pstats noop.prof        # or: --top 30 to print the top entries here
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any


def profile_main(argv: Sequence[str], out: str, top: int) -> int:
    from syncgui.cli import main as cli_main  # imported outside the profile, as at start-up

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread(_frame: FrameType, _event: str, _arg: Any) -> None:
        # Called for the first event of each new thread: swap in a real profiler there.
        profiler = cProfile.Profile()
        with lock:
            profiles.append(profiler)
        profiler.enable()

    threading.setprofile(start_thread)
    main_profile = cProfile.Profile()
    try:
        code = main_profile.runcall(cli_main, list(argv))
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
    stats = pstats.Stats(main_profile)
    for profiler in profiles:
        profiler.disable()
        stats.add(profiler)
    stats.dump_stats(out)
    if top:
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--out", default="syncgui.prof", help="stats file to write")
    p.add_argument("--top", type=int, default=0, help="print this many top entries")
    p.add_argument("cli_args", nargs=argparse.REMAINDER, help="-- then syncgui-cli arguments")
    args = p.parse_args(argv)
    cli_args = args.cli_args[1:] if args.cli_args[:1] == ["--"] else args.cli_args
    return profile_main(cli_args, args.out, args.top)


if __name__ == "__main__":
    sys.exit(main())
