"""DeviceMonitor with fake scanners: polling, udev (a fake pyudev), and misbehaving parts."""

from __future__ import annotations

import queue
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence

import pytest

from syncgui.providers.mtp.discovery.devices import DeviceReport, State
from syncgui.providers.mtp.discovery.hotplug import DeviceEvent, DeviceMonitor

FAST = 0.02  # seconds between polls in these tests
WAIT = 5.0  # the longest any event may take to arrive


def _report(serial: str, state: State = "ready") -> DeviceReport:
    return DeviceReport("Google", "Pixel 7", serial, state, "", location=f"1-{len(serial)}")


class FakeScanner:
    """Returns whatever ``devices`` holds now; counts its calls."""

    def __init__(self, *devices: DeviceReport) -> None:
        self.devices = list(devices)
        self.calls = 0
        self.fail = False

    def __call__(self) -> Sequence[DeviceReport]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("scanner broke")
        return list(self.devices)


class Recorder:
    def __init__(self) -> None:
        self.events: queue.Queue[DeviceEvent] = queue.Queue()

    def __call__(self, event: DeviceEvent) -> None:
        self.events.put(event)

    def next(self) -> tuple[str, str]:
        event = self.events.get(timeout=WAIT)
        return event.kind, event.report.serial

    def quiet(self, seconds: float = 0.2) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@pytest.fixture
def monitors() -> Iterator[list[DeviceMonitor]]:
    made: list[DeviceMonitor] = []
    yield made
    for m in made:
        m.stop()


def _monitor(monitors: list[DeviceMonitor], scanner: FakeScanner, **kw: object) -> DeviceMonitor:
    kw.setdefault("interval", FAST)
    kw.setdefault("use_udev", False)
    m = DeviceMonitor(scanner, **kw)  # type: ignore[arg-type]
    monitors.append(m)
    return m


def test_polling_emits_added_then_removed(monitors: list[DeviceMonitor]) -> None:
    scanner = FakeScanner()
    monitor = _monitor(monitors, scanner)
    seen = Recorder()
    monitor.subscribe(seen)
    monitor.start()
    assert monitor.mode == "polling"

    scanner.devices = [_report("A1")]
    assert seen.next() == ("added", "A1")
    assert [d.serial for d in monitor.devices()] == ["A1"]
    scanner.devices = []
    assert seen.next() == ("removed", "A1")
    assert monitor.devices() == []


def test_devices_present_at_start_are_announced(monitors: list[DeviceMonitor]) -> None:
    monitor = _monitor(monitors, FakeScanner(_report("P1"), _report("P2")))
    seen = Recorder()
    monitor.subscribe(seen)
    monitor.start()
    assert {seen.next(), seen.next()} == {("added", "P1"), ("added", "P2")}
    assert seen.quiet()  # the same devices at every poll: nothing more


def test_a_state_change_is_announced(monitors: list[DeviceMonitor]) -> None:
    scanner = FakeScanner(_report("L1", "locked"))
    calls: list[int] = []

    def probe() -> str:  # never changes: only the recheck of a locked phone sees the unlock
        calls.append(1)
        return "same"

    monitor = _monitor(monitors, scanner, probe=probe)
    seen = Recorder()
    monitor.subscribe(seen)
    monitor.start()
    assert seen.next() == ("added", "L1")
    scanner.devices = [_report("L1", "ready")]
    event = seen.events.get(timeout=WAIT)
    assert (event.kind, event.report.state) == ("changed", "ready")
    scans = scanner.calls
    time.sleep(10 * FAST)
    assert scanner.calls == scans  # ready, probe unchanged: no more scans
    assert calls


def test_probe_change_triggers_a_scan(monitors: list[DeviceMonitor]) -> None:
    scanner = FakeScanner()
    bus = {"state": 1}
    monitor = _monitor(monitors, scanner, probe=lambda: bus["state"])
    seen = Recorder()
    monitor.subscribe(seen)
    monitor.start()
    time.sleep(10 * FAST)
    assert scanner.calls == 1  # the first scan only
    scanner.devices = [_report("N1")]
    bus["state"] = 2
    assert seen.next() == ("added", "N1")


def test_rescan_on_request(monitors: list[DeviceMonitor]) -> None:
    scanner = FakeScanner()
    monitor = _monitor(monitors, scanner, probe=lambda: 0, interval=60)
    seen = Recorder()
    monitor.subscribe(seen)
    monitor.start()
    scanner.devices = [_report("R1")]
    monitor.rescan()
    assert seen.next() == ("added", "R1")


def test_stop_is_prompt(monitors: list[DeviceMonitor]) -> None:
    monitor = _monitor(monitors, FakeScanner(), interval=60)
    monitor.start()
    time.sleep(0.05)
    started = time.monotonic()
    monitor.stop()
    assert time.monotonic() - started < 1.0
    assert not monitor.running


def test_a_raising_callback_does_not_kill_the_monitor(monitors: list[DeviceMonitor]) -> None:
    scanner = FakeScanner()
    monitor = _monitor(monitors, scanner)

    def broken(event: DeviceEvent) -> None:
        raise ValueError("subscriber bug")

    seen = Recorder()
    monitor.subscribe(broken)
    monitor.subscribe(seen)
    monitor.start()
    scanner.devices = [_report("C1")]
    assert seen.next() == ("added", "C1")
    scanner.devices = []
    assert seen.next() == ("removed", "C1")
    assert monitor.running


def test_a_failing_scan_keeps_what_was_known(monitors: list[DeviceMonitor]) -> None:
    scanner = FakeScanner(_report("F1"))
    monitor = _monitor(monitors, scanner)
    seen = Recorder()
    monitor.subscribe(seen)
    monitor.start()
    assert seen.next() == ("added", "F1")
    scanner.fail = True
    time.sleep(5 * FAST)
    assert seen.quiet(0.05) and monitor.running
    scanner.fail = False
    scanner.devices = []
    assert seen.next() == ("removed", "F1")


def test_unsubscribe(monitors: list[DeviceMonitor]) -> None:
    scanner = FakeScanner()
    monitor = _monitor(monitors, scanner)
    seen = Recorder()
    unsubscribe = monitor.subscribe(seen)
    monitor.start()
    unsubscribe()
    unsubscribe()  # twice is harmless
    scanner.devices = [_report("U1")]
    time.sleep(5 * FAST)
    assert seen.quiet(0.05)


# -- udev, with a fake pyudev ---------------------------------------------------------------


class FakeUdevMonitor:
    def __init__(self) -> None:
        self.events: queue.Queue[str] = queue.Queue()
        self.filters: list[dict[str, str]] = []
        self.started = False

    def filter_by(self, **kw: str) -> None:
        self.filters.append(kw)

    def start(self) -> None:
        self.started = True

    def poll(self, timeout: float | None = None) -> object:
        try:
            action = self.events.get(timeout=timeout)
        except queue.Empty:
            return None
        return types.SimpleNamespace(action=action)


@pytest.fixture
def fake_pyudev(monkeypatch: pytest.MonkeyPatch) -> FakeUdevMonitor:
    udev = FakeUdevMonitor()
    module = types.ModuleType("pyudev")
    module.Context = object  # type: ignore[attr-defined]
    module.Monitor = types.SimpleNamespace(from_netlink=lambda context: udev)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyudev", module)
    monkeypatch.setattr(sys, "platform", "linux")
    return udev


def test_udev_events_rescan_once_after_a_burst(
    monitors: list[DeviceMonitor], fake_pyudev: FakeUdevMonitor
) -> None:
    scanner = FakeScanner()
    monitor = _monitor(monitors, scanner, use_udev=None, debounce=0.2, interval=60)
    seen = Recorder()
    monitor.subscribe(seen)
    monitor.start()
    assert monitor.mode == "udev"
    assert fake_pyudev.started
    assert fake_pyudev.filters == [{"subsystem": "usb", "device_type": "usb_device"}]
    time.sleep(0.1)
    assert scanner.calls == 1

    scanner.devices = [_report("U2")]
    for action in ("remove", "add", "bind", "add"):  # a phone switching to MTP
        fake_pyudev.events.put(action)
    assert seen.next() == ("added", "U2")
    assert scanner.calls == 2  # one scan for the whole burst
    fake_pyudev.events.put("change")  # not an arrival or removal
    time.sleep(0.4)
    assert scanner.calls == 2


def test_without_pyudev_it_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyudev", None)  # import fails
    monitor = DeviceMonitor(FakeScanner(), interval=60)
    monitor.start()
    try:
        assert monitor.mode == "polling"
    finally:
        monitor.stop()


def test_callbacks_run_on_the_monitor_thread(monitors: list[DeviceMonitor]) -> None:
    threads: list[str] = []
    done = threading.Event()

    def note(event: DeviceEvent) -> None:
        threads.append(threading.current_thread().name)
        done.set()

    monitor = _monitor(monitors, FakeScanner(_report("T1")))
    monitor.subscribe(note)
    monitor.start()
    assert done.wait(WAIT)
    assert threads == ["syncgui-device-monitor"]
