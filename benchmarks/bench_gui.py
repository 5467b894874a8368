"""Desktop app benchmark: how long the GUI event loop stalls during a big sync, and how long
`syncgui` takes from start to a shown window beside a bare PySide6 window.

Stall: the real app (the same objects `syncgui` builds: SyncService, AppController, the
main window, on the offscreen platform or the given display) syncs N generated contacts
(benchmarks/cards.py) from a folder into the virtual phone and then runs a no-op sync. A
timer due every 5 ms records how late each tick comes; the longest lateness is the longest
time the window could not answer. Target: under 50 ms for 10,000 contacts.

Start-up: under Xvfb, whole processes, from `Popen` until a visible window with the title
shows up (polled with xdotool every 5 ms), median of --runs: `python -m syncgui --demo` and
a bare `QApplication` + `QMainWindow`. Both get cached bytecode (PYTHONPYCACHEPREFIX, warmed
once): this machine sets PYTHONDONTWRITEBYTECODE. syncgui shows its window's frame before
the service loads; "ready" is when its views are built over the loaded service (the app's
"window ready" log line, read from its stderr as it comes). Targets: under 1 s; issue 15:
the window within 2x the bare window's time.

    .venv/bin/python benchmarks/bench_gui.py --contacts 10000 --runs 5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TICK_MS = 5


def _cards() -> Any:
    spec = importlib.util.spec_from_file_location("bench_cards", HERE / "cards.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_cards"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class StallResult:
    contacts: int
    first_sync_s: float
    first_status: str
    first_max_stall_ms: float
    first_p99_stall_ms: float
    noop_sync_s: float
    noop_max_stall_ms: float
    idle_max_stall_ms: float
    ticks: int


class StallMeter:
    """A timer due every TICK_MS; records how late each tick is."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.late: list[float] = []
        self._last = 0

    def start(self) -> None:
        self.late = []
        self.clock.start()
        self._last = 0
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return self.late

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.late.append(max(0.0, (now - self._last) / 1e6 - TICK_MS))
        self._last = now


def _wait(app: Any, condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the sync did not finish in time")
        app.processEvents()
        time.sleep(0.001)


def measure_stall(contacts: int, where: Path) -> StallResult:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    cards = _cards()
    from syncgui.gui.app import _attach, _frame, _make_app, _Running
    from syncgui.service.facade import SyncService
    from syncgui.service.paths import resolve_paths

    book, phone = where / "book", where / "phone"
    cards.write_vdir(book, cards.generate(contacts))
    (phone / "Contacts").mkdir(parents=True)
    paths = resolve_paths(where / "config", where / "data")
    SyncService(paths).add_partnership("bench", f"vdir:{book}", f"virtual:{phone}")

    app = _make_app([])
    running = _Running(app, _frame(app, paths, demo=False))
    running.window.show()
    _attach(running, paths, demo=False)
    controller = running.window.controller
    meter = StallMeter()

    meter.start()  # one second of the window doing nothing: the baseline
    idle_until = time.monotonic() + 1.0
    _wait(app, lambda: time.monotonic() > idle_until, 5)
    idle = meter.stop()

    def run_once() -> tuple[float, list[float]]:
        meter.start()
        started = time.perf_counter()
        controller.sync(["bench"])
        _wait(app, lambda: not controller.is_busy("bench"), 600)
        took = time.perf_counter() - started
        return took, meter.stop()

    first_s, first = run_once()
    row = controller.row("bench")
    status = row.last.status if row and row.last else "?"
    noop_s, noop = run_once()
    running.shutdown()
    first_sorted = sorted(first)
    return StallResult(
        contacts,
        round(first_s, 2),
        status,
        round(max(first), 1),
        round(first_sorted[int(len(first_sorted) * 0.99)], 1),
        round(noop_s, 2),
        round(max(noop), 1),
        round(max(idle), 1),
        len(first),
    )


@dataclass
class StartResult:
    runs: int
    syncgui_median_s: float
    syncgui_all_s: list[float]
    syncgui_ready_median_s: float
    syncgui_ready_all_s: list[float]
    bare_median_s: float
    bare_all_s: list[float]


BARE = (
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([])\n"
    "w = QMainWindow(); w.setWindowTitle('bare-window'); w.resize(900, 600); w.show()\n"
    "app.exec()\n"
)
READY = "window ready"  # syncgui's log line once the views are built (with -v, on stderr)


class _Lines:
    """When each line of a process's stderr arrived (read on a thread as it comes)."""

    def __init__(self, proc: subprocess.Popen[bytes], started: float) -> None:
        self.seen: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(proc, started), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[bytes], started: float) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            self.seen.append((time.perf_counter() - started, raw.decode(errors="replace")))

    def when(self, text: str) -> float | None:
        return next((t for t, line in list(self.seen) if text in line), None)

    def text(self) -> str:
        self._thread.join(5)
        return "".join(line for _t, line in self.seen)


def _time_to_window(
    session: Any, command: list[str], title: str, env: dict[str, str], ready: str | None = None
) -> tuple[float, float]:
    """Seconds from start to the window, and to the ``ready`` line (None: the window)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = _Lines(proc, started)
    shown: float | None = None
    try:
        while True:
            if shown is None and session.windows(title):
                shown = time.perf_counter() - started
            if shown is not None:
                at = shown if ready is None else lines.when(ready)
                if at is not None:
                    return shown, at
            if proc.poll() is not None:
                raise RuntimeError(f"{command} ended early: {lines.text()}")
            if time.perf_counter() - started > 30:
                raise TimeoutError(f"no window {title!r} (or {ready!r}) from {command}")
            time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait(10)


def measure_start(runs: int, where: Path) -> StartResult:
    sys.path.insert(0, str(ROOT))
    from tests.gui_e2e.xsession import x_session

    with x_session(where / "x") as session:
        env = session.env
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(where / "pycache")
        env["HOME"] = str(where / "home")
        app = [sys.executable, "-m", "syncgui", "--demo", "-v"]
        app += ["--config-dir", str(where / "cfg"), "--data-dir", str(where / "data")]
        bare = [sys.executable, "-c", BARE]
        # warm: bytecode cached, the demo profile created
        _time_to_window(session, app, "syncgui", env, READY)
        _time_to_window(session, bare, "bare-window", env)
        mine, ready, plain = [], [], []
        for _ in range(runs):
            shown, filled = _time_to_window(session, app, "syncgui", env, READY)
            mine.append(round(shown, 3))
            ready.append(round(filled, 3))
            plain.append(round(_time_to_window(session, bare, "bare-window", env)[0], 3))
    return StartResult(
        runs,
        statistics.median(mine),
        mine,
        statistics.median(ready),
        ready,
        statistics.median(plain),
        plain,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-start", action="store_true", help="no start-up timing")
    parser.add_argument("--skip-stall", action="store_true", help="no stall measurement")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    out: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="syncgui-bench-gui-", dir="/dev/shm") as tmp:
        if not args.skip_stall:
            stall = measure_stall(args.contacts, Path(tmp) / "stall")
            out["stall"] = asdict(stall)
            print(f"stall: {json.dumps(asdict(stall))}")
        if not args.skip_start:
            start = measure_start(args.runs, Path(tmp) / "start")
            out["start"] = asdict(start)
            print(f"start: {json.dumps(asdict(start))}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
