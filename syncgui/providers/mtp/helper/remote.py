"""The client of the device helper process: an MtpBackend whose device lives in another process.

:class:`RemoteBackend` starts ``python -m syncgui.providers.mtp.helper`` on first use (one
helper per RemoteBackend, one open device at a time) and sends it requests as property bags
(see :mod:`.protocol`). Every call has a deadline (transfers get ``timeout + size / 1 MB/s``);
when it passes, or the helper's channel ends or breaks, the helper's process group is killed
and reaped, how it ended is logged (``helper ended with SIGSEGV``) and the call raises
``DeviceGone("the device stopped responding")``, as does every later call: the sync
session ends, and a new RemoteBackend starts a new helper. Errors of the helper's backend
arrive as the same backend.py classes with the same message.

The helper's stderr (its log records and whatever native code prints) is forwarded to
logging by a reader thread; another thread reads response frames, so the calling thread
only ever waits with a deadline. :meth:`RemoteBackend.close` ends the helper cleanly; so
does garbage collection of the backend, or the end of the interpreter. Linux and macOS
(process groups, ``select`` on pipes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final, NoReturn, TypeVar

import syncgui
from syncgui.providers.mtp.backend import (
    DeviceGone,
    DeviceInfo,
    MtpError,
    ObjectInfo,
    RawDevice,
    StorageInfo,
)
from syncgui.providers.mtp.helper import keys
from syncgui.providers.mtp.helper.protocol import (
    LOG_MARK,
    PROTOCOL_VERSION,
    FrameError,
    device_info_from_bag,
    error_from_bag,
    frame,
    objects_from_table,
    raw_device_from_bag,
    raw_device_to_bag,
    read_frame,
    storage_from_bag,
)
from syncgui.providers.mtp.props.propbag import PropertyBag
from syncgui.providers.mtp.props.propcodec import CodecError, decode, encode

_T = TypeVar("_T")
log = logging.getLogger(__name__)
helper_log = logging.getLogger("syncgui.providers.mtp.helper")

GONE_MESSAGE: Final = "the device stopped responding"
TRANSFER_RATE: Final = 1_000_000  # bytes per second a transfer's deadline allows for
STARTUP_TIMEOUT: Final = 15.0  # for the helper's greeting (interpreter start), at least
STOP_GRACE: Final = 2.0  # seconds a closing helper gets before it is killed
_SPEC = re.compile(r"libmtp|virtual:.+|[A-Za-z_][\w.]*:[A-Za-z_]\w*", re.DOTALL)


class _Deadline(Exception):
    """The helper did not answer in time."""


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "helper is still running"
    if returncode < 0:
        try:
            return f"helper ended with {signal.Signals(-returncode).name}"
        except ValueError:
            return f"helper ended with signal {-returncode}"
    return f"helper exited with code {returncode}"


def _helper_env() -> dict[str, str]:
    """The environment of the helper: ours, with the folder holding syncgui importable."""
    env = dict(os.environ)
    root = str(Path(syncgui.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _read_frames(stream: IO[bytes], frames: queue.Queue[bytes | None]) -> None:
    """Reader thread: response frames into ``frames``, then None at the end of the stream."""
    try:
        while (payload := read_frame(stream)) is not None:
            frames.put(payload)
    except (FrameError, OSError, ValueError) as exc:
        log.debug("helper channel ended: %s", exc)
    finally:
        frames.put(None)


def _forward_stderr(stream: IO[bytes], pid: int) -> None:
    """Reader thread: the helper's stderr lines into logging."""
    try:
        for raw in stream:
            _log_line(raw.decode("utf-8", "replace").rstrip("\r\n"), pid)
    except (OSError, ValueError):
        pass  # the pipe was closed under us: the helper is being stopped


def _log_line(line: str, pid: int) -> None:
    if line.startswith(LOG_MARK):
        try:
            level, name, text = line[len(LOG_MARK) :].split(" ", 2)
            message = json.loads(text)
            if isinstance(message, str):
                logging.getLogger(name).log(int(level), "%s", message, extra={"helper_pid": pid})
                return
        except ValueError:
            pass
    if line.strip():
        helper_log.info("helper %d: %s", pid, line)


class _Helper:
    """One helper process and the two threads that read its pipes."""

    def __init__(self, spec: str, python: str, log_level: int) -> None:
        command = [python, "-m", "syncgui.providers.mtp.helper", "--backend", spec]
        self.proc = subprocess.Popen(
            [*command, "--log-level", str(log_level)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed as a whole
            env=_helper_env(),
        )
        self.pid = self.proc.pid
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        self._stdin = self.proc.stdin
        os.set_blocking(self._stdin.fileno(), False)
        self.frames: queue.Queue[bytes | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=target, args=args, name=f"mtp-helper-{self.pid}-{what}")
            for what, target, args in (
                ("frames", _read_frames, (self.proc.stdout, self.frames)),
                ("stderr", _forward_stderr, (self.proc.stderr, self.pid)),
            )
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        self._lock = threading.Lock()
        self._reaped = False

    def send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        fd = self._stdin.fileno()
        with contextlib.suppress(BlockingIOError):
            # the pipe usually takes a whole request at once: no selector (an epoll file
            # descriptor made and closed) for those
            view = view[os.write(fd, view) :]
        if not view:
            return
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_WRITE)
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Deadline
                if not selector.select(remaining):
                    continue
                try:
                    view = view[os.write(fd, view) :]
                except BlockingIOError:
                    continue

    def receive(self, deadline: float) -> bytes | None:
        """The next frame; None if the helper closed its channel."""
        try:
            return self.frames.get(timeout=max(deadline - time.monotonic(), 0.001))
        except queue.Empty:
            raise _Deadline from None

    def kill(self, grace: float = 0.0) -> int | None:
        """Kill the helper's process group (after ``grace`` seconds for it to exit on its
        own), reap it, and return its exit status."""
        with self._lock:
            if not self._reaped:
                try:
                    self.proc.wait(grace)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(self.pid, signal.SIGKILL)
                    self.proc.wait()
                self._reaped = True
                self._close_pipes()
        return self.proc.returncode

    def stop(self) -> None:
        """End the helper cleanly: close its stdin, then kill it if it does not exit."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        returncode = self.kill(STOP_GRACE)
        log.debug("MTP helper %d stopped: %s", self.pid, describe_exit(returncode))

    def _close_pipes(self) -> None:
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(1.0)
        for stream in (self._stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class RemoteBackend:
    """An MtpBackend served by a helper process running the backend ``spec`` names
    (``libmtp``, ``virtual:ROOT`` or ``module.path:factory``; see :mod:`.server`)."""

    def __init__(self, spec: str, *, timeout: float = 30.0, python: str = sys.executable) -> None:
        if not _SPEC.fullmatch(spec):
            raise ValueError(f"backend spec {spec!r} is not libmtp, virtual:ROOT or module:factory")
        self.spec = spec
        self.timeout = timeout
        self.python = python
        self._helper: _Helper | None = None
        self._finalizer: weakref.finalize[[], RemoteBackend] | None = None
        self._gone = False
        self._request_id = 0
        # The open device, weakly: a device holds its backend, not the other way round, so
        # that dropping both stops the helper at once (no reference cycle to wait for).
        self._device_ref: weakref.ref[RemoteDevice] | None = None

    def __repr__(self) -> str:
        return f"RemoteBackend({self.spec!r})"

    def __enter__(self) -> RemoteBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def helper_pid(self) -> int | None:
        """The helper's process id, once started."""
        return None if self._helper is None else self._helper.pid

    def detect(self) -> Sequence[RawDevice]:
        response = self._call("detect", PropertyBag())
        return self._parse(response, lambda: [*map(raw_device_from_bag, self._bags(response))])

    def open(self, raw: RawDevice) -> RemoteDevice:
        previous = self._open_device()
        if previous is not None:
            log.warning("opening %s closes the device this helper had open", raw.product)
            previous.close()
        request = PropertyBag()
        request.set_bag(keys.HELPER_DEVICE, raw_device_to_bag(raw))
        response = self._call("open", request)
        info = self._parse(response, lambda: device_info_from_bag(self._result(response)))
        device = RemoteDevice(self, info)
        self._device_ref = weakref.ref(device)
        return device

    def ping(self) -> None:
        """Check that the helper answers (it does not touch the device)."""
        self._call("ping", PropertyBag())

    def close(self) -> None:
        """End the helper cleanly (closing its device); later calls start a new one."""
        self._forget_device()
        if self._finalizer is not None:
            self._finalizer()  # runs _Helper.stop once
        self._helper = self._finalizer = None
        self._gone = False

    # -- the exchange -------------------------------------------------------------------

    def _start(self) -> _Helper:
        level = min(logging.getLogger().getEffectiveLevel(), log.getEffectiveLevel())
        try:
            helper = _Helper(self.spec, self.python, level)
        except OSError as exc:
            self._gone = True
            log.error("the MTP helper could not be started with %s: %s", self.python, exc)
            raise DeviceGone(GONE_MESSAGE) from exc
        self._helper = helper
        self._finalizer = weakref.finalize(self, helper.stop)
        log.debug("started MTP helper %d for %s", helper.pid, self.spec)
        try:
            payload = helper.receive(time.monotonic() + max(self.timeout, STARTUP_TIMEOUT))
        except _Deadline:
            self._fail("did not greet in time", eof=False)
        if payload is None:
            self._fail("ended before greeting", eof=True)
        try:
            version = decode(payload).get_uint32(keys.HELPER_PROTOCOL)
        except (CodecError, KeyError, TypeError) as exc:
            self._fail(f"sent a garbled greeting ({exc})", eof=False)
        if version != PROTOCOL_VERSION:
            self._fail(f"speaks protocol {version}, not {PROTOCOL_VERSION}", eof=False)
        return helper

    def _call(self, command: str, request: PropertyBag, size: int = 0) -> PropertyBag:
        """Send ``command`` and return the response; re-raise the helper's error."""
        if self._gone:
            raise DeviceGone(GONE_MESSAGE)
        helper = self._helper or self._start()
        self._request_id += 1
        request.set_string(keys.HELPER_COMMAND, command)
        request.set_uint64(keys.HELPER_REQUEST_ID, self._request_id)
        allowed = self.timeout + size / TRANSFER_RATE
        deadline = time.monotonic() + allowed
        try:
            data = frame(encode(request))
        except FrameError as exc:
            raise MtpError(f"Too much data for one request to the device ({exc}).") from exc
        try:
            helper.send(data, deadline)
            payload = helper.receive(deadline)
        except _Deadline:
            self._fail(f"did not answer {command} within {allowed:.1f} s", eof=False)
        except OSError as exc:  # BrokenPipeError and kin: the helper is gone
            self._fail(f"stopped reading requests ({exc})", eof=True)
        if payload is None:
            self._fail(f"closed its channel during {command}", eof=True)
        try:
            response = decode(payload)
            answered = response.get_uint64(keys.HELPER_REQUEST_ID)
        except (CodecError, KeyError, TypeError) as exc:
            self._fail(f"sent a garbled answer to {command} ({exc})", eof=False)
        if answered != self._request_id:
            self._fail(f"answered request {answered} instead of {self._request_id}", eof=False)
        if keys.ERROR_KIND in response:
            raise self._parse(response, lambda: error_from_bag(response))
        return response

    def _fail(self, what: str, *, eof: bool) -> NoReturn:
        """End the helper for good and raise DeviceGone."""
        self._gone = True
        helper = self._helper
        if helper is not None:
            # A helper that closed its channel is usually dead already: give it a moment to
            # finish so that its own exit status (SIGSEGV, ...) is what gets logged.
            status = describe_exit(helper.kill(1.0 if eof else 0.0))
            log.error("MTP helper %d %s: %s", helper.pid, what, status)
        self._forget_device()
        raise DeviceGone(GONE_MESSAGE)

    def _open_device(self) -> RemoteDevice | None:
        device = None if self._device_ref is None else self._device_ref()
        return None if device is None or device.closed else device

    def _forget_device(self) -> None:
        device = self._open_device()
        if device is not None:
            device.closed = True
        self._device_ref = None

    def _parse(self, response: PropertyBag, parse: Callable[[], _T]) -> _T:
        try:
            return parse()
        except (KeyError, TypeError, ValueError) as exc:
            self._fail(f"sent an answer of the wrong shape ({exc!r})", eof=False)

    @staticmethod
    def _result(response: PropertyBag) -> PropertyBag:
        return response.get_bag(keys.HELPER_RESULT)

    @staticmethod
    def _bags(response: PropertyBag) -> list[PropertyBag]:
        return response.get_bags(keys.HELPER_RESULTS)

    @staticmethod
    def _objects(response: PropertyBag) -> list[ObjectInfo]:
        try:
            return objects_from_table(response.get_buffer(keys.HELPER_OBJECTS))
        except struct.error as exc:  # a table cut short: the wrong shape, as ValueError
            raise ValueError(str(exc)) from exc


def _one(objects: list[ObjectInfo]) -> ObjectInfo:
    if len(objects) != 1:
        raise ValueError(f"{len(objects)} objects where one was expected")
    return objects[0]


class RemoteDevice:
    """The device open in a RemoteBackend's helper (an MtpDevice)."""

    def __init__(self, backend: RemoteBackend, info: DeviceInfo) -> None:
        self._backend = backend
        self._info = info
        self._sizes: dict[int, int] = {}  # object sizes seen, for download deadlines
        self.closed = False

    def __repr__(self) -> str:
        return f"RemoteDevice({self._info.vendor} {self._info.model}, {self._backend.spec!r})"

    @property
    def info(self) -> DeviceInfo:
        return self._info

    def storages(self) -> Sequence[StorageInfo]:
        response = self._call("storages", PropertyBag())
        return self._parse(
            response, lambda: [*map(storage_from_bag, RemoteBackend._bags(response))]
        )

    def list_folder(self, storage: int, parent: int) -> Sequence[ObjectInfo]:
        request = PropertyBag()
        request.set_uint64(keys.MTP_STORAGE_ID, storage)
        request.set_uint64(keys.MTP_PARENT_HANDLE, parent)
        response = self._call("list_folder", request)
        listing = self._parse(response, lambda: RemoteBackend._objects(response))
        self._sizes.update((info.id, info.size) for info in listing)
        return listing

    def download(self, object_id: int) -> bytes:
        request = PropertyBag()
        request.set_uint64(keys.MTP_OBJECT_HANDLE, object_id)
        response = self._call("download", request, self._sizes.get(object_id, 0))
        return self._parse(response, lambda: response.get_buffer(keys.HELPER_DATA))

    def upload(self, storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        request = PropertyBag()
        request.set_uint64(keys.MTP_STORAGE_ID, storage)
        request.set_uint64(keys.MTP_PARENT_HANDLE, parent)
        request.set_string(keys.WPD_OBJECT_NAME, name)
        request.set_buffer(keys.HELPER_DATA, data)
        response = self._call("upload", request, len(data))
        info = self._parse(response, lambda: _one(RemoteBackend._objects(response)))
        self._sizes[info.id] = info.size
        return info

    def rename(self, object_id: int, name: str) -> None:
        request = PropertyBag()
        request.set_uint64(keys.MTP_OBJECT_HANDLE, object_id)
        request.set_string(keys.WPD_OBJECT_NAME, name)
        self._call("rename", request)

    def delete(self, object_id: int) -> None:
        request = PropertyBag()
        request.set_uint64(keys.MTP_OBJECT_HANDLE, object_id)
        self._call("delete", request)
        self._sizes.pop(object_id, None)

    def create_folder(self, storage: int, parent: int, name: str) -> int:
        request = PropertyBag()
        request.set_uint64(keys.MTP_STORAGE_ID, storage)
        request.set_uint64(keys.MTP_PARENT_HANDLE, parent)
        request.set_string(keys.WPD_OBJECT_NAME, name)
        response = self._call("create_folder", request)
        return self._parse(response, lambda: response.get_uint64(keys.MTP_OBJECT_HANDLE))

    def close(self) -> None:
        """Close the device in the helper (a no-op once closed, or once the helper is gone);
        the helper itself lives on until its RemoteBackend is closed."""
        if self.closed:
            return
        self.closed = True
        if not self._backend._gone and self._backend._helper is not None:
            self._backend._call("close", PropertyBag())

    def _call(self, command: str, request: PropertyBag, size: int = 0) -> PropertyBag:
        if self.closed:
            raise DeviceGone("the device was closed")
        return self._backend._call(command, request, size)

    def _parse(self, response: PropertyBag, parse: Callable[[], _T]) -> _T:
        return self._backend._parse(response, parse)
