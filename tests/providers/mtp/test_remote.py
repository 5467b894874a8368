"""The device helper process and its client: every MtpDevice call through a real helper
process, errors that keep their class, and a helper that crashes, hangs or exits taking
only the session down (DeviceGone), never the caller, and leaving no process behind."""

from __future__ import annotations

import gc
import io
import logging
import os
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncgui.providers.mtp.backend import (
    ROOT,
    DeviceBusy,
    DeviceGone,
    MtpError,
    NoPermission,
    ObjectInfo,
    ObjectMissing,
    StorageFull,
    Unsupported,
)
from syncgui.providers.mtp.helper import keys, server
from syncgui.providers.mtp.helper.protocol import (
    PROTOCOL_VERSION,
    error_from_bag,
    error_to_bag,
    frame,
    objects_from_table,
    objects_to_table,
    read_frame,
)
from syncgui.providers.mtp.helper.remote import GONE_MESSAGE, RemoteBackend
from syncgui.providers.mtp.helper.server import serve
from syncgui.providers.mtp.props.propbag import PropertyBag
from syncgui.providers.mtp.props.propcodec import decode, encode
from tests.providers.mtp import fake_backends as fake

MakeRemote = Callable[..., RemoteBackend]


@pytest.fixture
def remote() -> Iterator[MakeRemote]:
    """``remote("factory", timeout=...)``: a RemoteBackend on a fake backend, closed after."""
    made: list[RemoteBackend] = []

    def make(factory: str, timeout: float = 10.0) -> RemoteBackend:
        backend = RemoteBackend(f"{fake.MODULE}:{factory}", timeout=timeout)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def assert_reaped(pid: int | None) -> None:
    """The process is gone and was waited for (a zombie would still answer signal 0)."""
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_every_operation_round_trips(remote: MakeRemote) -> None:
    backend = remote("memory")
    assert backend.detect() == [fake.PHONE]
    device = backend.open(fake.PHONE)
    assert device.info == fake.INFO
    assert device.storages() == fake.MemoryDevice().storages()
    folder = device.create_folder(fake.INTERNAL, ROOT, "Kontakte – 連絡先 📇")
    assert folder > 2**31
    payloads = {
        "empty.vcf": b"",
        "all bytes.vcf": bytes(range(256)) * 40,
        "Zoë ✓.vcf": "BEGIN:VCARD\r\nFN:Zoë\r\nEND:VCARD\r\n".encode(),
    }
    uploaded = {
        name: device.upload(fake.INTERNAL, folder, name, data) for name, data in payloads.items()
    }
    for name, info in uploaded.items():
        assert (info.name, info.size, info.parent, info.storage) == (
            name,
            len(payloads[name]),
            folder,
            fake.INTERNAL,
        )
        assert info.mtime == 1.7e9 + 0.25
        assert not info.is_folder
        assert info.id > 2**32 - 100
    assert set(device.list_folder(fake.INTERNAL, folder)) == set(uploaded.values())
    assert device.list_folder(fake.INTERNAL, ROOT) == [
        ObjectInfo(folder, ROOT, fake.INTERNAL, "Kontakte – 連絡先 📇", 0, 1.7e9 + 0.25, True)
    ]
    for name, data in payloads.items():
        assert device.download(uploaded[name].id) == data
    zoe = uploaded["Zoë ✓.vcf"].id
    device.rename(zoe, "Zoë Ünïcødé.vcf")
    assert "Zoë Ünïcødé.vcf" in {o.name for o in device.list_folder(fake.INTERNAL, folder)}
    device.delete(zoe)
    assert zoe not in {o.id for o in device.list_folder(fake.INTERNAL, folder)}
    device.close()
    device.close()  # twice is fine
    backend.ping()  # the helper outlives the device


def test_backend_errors_keep_their_class_and_message(remote: MakeRemote) -> None:
    backend = remote("memory")
    with pytest.raises(DeviceBusy, match=r"^Another program is using the phone\.$") as busy:
        backend.open(fake.BUSY)
    assert busy.value.holder == "gvfsd-mtp"
    with pytest.raises(NoPermission, match=r"^You may not open the phone\.$"):
        backend.open(fake.FORBIDDEN)
    with pytest.raises(DeviceGone, match=r"^The phone was unplugged\.$"):
        backend.open(fake.UNPLUGGED)
    device = backend.open(fake.PHONE)
    with pytest.raises(ObjectMissing, match=r"^object 12345 is not on the phone$"):
        device.download(12345)
    with pytest.raises(ObjectMissing, match=r"^folder 77 is not on the phone$"):
        device.list_folder(fake.INTERNAL, 77)
    with pytest.raises(StorageFull, match=r"^The SD card is full\.$"):
        device.upload(fake.CARD, ROOT, "a.vcf", b"x")
    with pytest.raises(Unsupported, match=r"^This phone cannot rename files\.$"):
        device.rename(device.create_folder(fake.INTERNAL, ROOT, "x"), "!y")
    with pytest.raises(MtpError, match="ValueError: a bug in the backend") as bug:
        device.create_folder(fake.INTERNAL, ROOT, "boom")
    assert type(bug.value) is MtpError
    assert device.storages()  # none of it ended the session
    os.kill(backend.helper_pid or 0, 0)


def test_a_backend_that_cannot_load_fails_each_call(remote: MakeRemote) -> None:
    backend = remote("broken_factory")
    with pytest.raises(MtpError, match=r"OSError: libmtp\.so\.9"):
        backend.detect()
    backend.ping()  # the helper itself is fine


@pytest.mark.parametrize(
    ("factory", "call"),
    [
        ("segfault_on_download", lambda device: device.download(1)),
        ("segfault_on_open", None),
    ],
)
def test_a_segfault_ends_the_session_with_device_gone(
    remote: MakeRemote,
    caplog: pytest.LogCaptureFixture,
    factory: str,
    call: Callable[..., object] | None,
) -> None:
    caplog.set_level(logging.INFO)
    backend = remote(factory)
    backend.ping()
    pid = backend.helper_pid
    with pytest.raises(DeviceGone, match=f"^{GONE_MESSAGE}$"):
        device = backend.open(fake.PHONE)
        assert call is not None
        call(device)
    assert_reaped(pid)
    assert "helper ended with SIGSEGV" in caplog.text
    assert "Segmentation fault" in caplog.text  # faulthandler's report, forwarded
    with pytest.raises(DeviceGone, match=f"^{GONE_MESSAGE}$"):
        backend.detect()  # the session is over
    assert backend.helper_pid == pid  # and no new helper was started


def test_a_hang_ends_at_the_deadline(remote: MakeRemote, caplog: pytest.LogCaptureFixture) -> None:
    backend = remote("hang_on_list_folder", timeout=0.4)
    device = backend.open(fake.PHONE)
    pid = backend.helper_pid
    started = time.monotonic()
    with pytest.raises(DeviceGone, match=f"^{GONE_MESSAGE}$"):
        device.list_folder(fake.INTERNAL, ROOT)
    assert 0.3 < time.monotonic() - started < 3.0
    assert_reaped(pid)
    assert "did not answer list_folder within 0.4 s: helper ended with SIGKILL" in caplog.text
    with pytest.raises(DeviceGone):
        device.storages()


def test_an_exiting_helper_ends_the_session(
    remote: MakeRemote, caplog: pytest.LogCaptureFixture
) -> None:
    backend = remote("exit_on_delete")
    device = backend.open(fake.PHONE)
    pid = backend.helper_pid
    with pytest.raises(DeviceGone, match=f"^{GONE_MESSAGE}$"):
        device.delete(1)
    assert_reaped(pid)
    assert "closed its channel during delete: helper exited with code 3" in caplog.text


def test_close_after_a_failure_allows_a_new_session(remote: MakeRemote) -> None:
    backend = remote("exit_on_delete")
    with pytest.raises(DeviceGone):
        backend.open(fake.PHONE).delete(1)
    first = backend.helper_pid
    backend.close()
    backend.ping()
    assert backend.helper_pid not in (None, first)


def test_helper_logs_arrive_in_logging(
    remote: MakeRemote, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    backend = remote("memory")
    backend.open(fake.PHONE)
    pid = backend.helper_pid
    backend.close()  # the device is closed in the helper, and its stderr read to the end
    assert_reaped(pid)
    records = {(r.name, r.levelno, r.getMessage()) for r in caplog.records}
    assert (fake.MODULE, logging.INFO, "memory device closed") in records
    assert (
        "syncgui.providers.mtp.helper.remote",
        logging.DEBUG,
        f"MTP helper {pid} stopped: helper exited with code 0",
    ) in records
    forwarded = [r for r in caplog.records if getattr(r, "helper_pid", None) == pid]
    assert {r.name for r in forwarded} >= {fake.MODULE, "syncgui.providers.mtp.helper.server"}


def test_output_on_stdout_does_not_corrupt_the_channel(
    remote: MakeRemote, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    backend = remote("print_on_detect")
    assert backend.detect() == [fake.PHONE]
    backend.ping()
    backend.close()
    assert "libmtp says hello on stdout" in caplog.text
    assert "a C library printing to stdout" in caplog.text
    assert "raw garbage written to fd 1" in caplog.text


def test_opening_again_closes_the_previous_device(remote: MakeRemote) -> None:
    backend = remote("memory")
    first = backend.open(fake.PHONE)
    second = backend.open(fake.PHONE)
    with pytest.raises(DeviceGone, match="closed"):
        first.storages()
    assert second.storages()


def test_garbage_collection_and_exit_stop_the_helper() -> None:
    backend = RemoteBackend(f"{fake.MODULE}:memory", timeout=10.0)
    device = backend.open(fake.PHONE)
    pid = backend.helper_pid
    del backend, device
    gc.collect()
    assert_reaped(pid)


def process_ended(pid: int) -> bool:
    """Gone, or a zombie waiting for whoever adopted it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_a_helper_stuck_in_a_call_ends_when_its_client_is_killed() -> None:
    # The client prints the helper's pid, then a line when the helper's log record "about
    # to hang on list_folder" reaches it (through the helper's stderr, as every helper log
    # record does): from then on the helper is inside list_folder.
    inside = fake.about_to("hang", "list_folder")
    script = (
        "import logging, sys\n"
        "from syncgui.providers.mtp.helper.remote import RemoteBackend\n"
        f"from {fake.MODULE} import PHONE, INTERNAL\n"
        "class Announce(logging.Handler):\n"
        "    def emit(self, record):\n"
        f"        if record.getMessage() == {inside!r}:\n"
        "            sys.stdout.write('inside\\n')\n"
        "            sys.stdout.flush()\n"
        "logging.getLogger().addHandler(Announce())\n"
        f"backend = RemoteBackend('{fake.MODULE}:hang_on_list_folder', timeout=60)\n"
        "device = backend.open(PHONE)\n"
        "print(backend.helper_pid, flush=True)\n"
        "device.list_folder(INTERNAL, 0)\n"
    )
    root = Path(__file__).resolve().parents[3]
    client = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root
    )
    assert client.stdout is not None
    pid = int(client.stdout.readline())
    assert client.stdout.readline() == "inside\n", "the helper never got into list_folder"
    assert not process_ended(pid)
    client.kill()
    client.wait()
    deadline = time.monotonic() + 5.0
    while not process_ended(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_ended(pid)


def test_specs_and_interpreters_are_checked() -> None:
    for spec in ("", "nonsense", "module:", ":factory", "a b:c"):
        with pytest.raises(ValueError, match="backend spec"):
            RemoteBackend(spec)
    RemoteBackend("libmtp")  # accepted, and nothing starts until used
    missing = RemoteBackend(f"{fake.MODULE}:memory", python="/nonexistent/python3")
    with pytest.raises(DeviceGone, match=f"^{GONE_MESSAGE}$"):
        missing.detect()


# -- the protocol, in process -----------------------------------------------------------


def exchange(spec: str, *requests: PropertyBag | bytes) -> tuple[int, list[PropertyBag]]:
    """Run the server on in-memory streams; its exit code and the bags it sent."""
    frames_in = io.BytesIO(
        b"".join(r if isinstance(r, bytes) else frame(encode(r)) for r in requests)
    )
    frames_out = io.BytesIO()
    code = serve(spec, frames_in, frames_out)
    frames_out.seek(0)
    sent = []
    while (payload := read_frame(frames_out)) is not None:
        sent.append(decode(payload))
    return code, sent


def request(command: str, number: int = 1) -> PropertyBag:
    bag = PropertyBag()
    bag.set_string(keys.HELPER_COMMAND, command)
    bag.set_uint64(keys.HELPER_REQUEST_ID, number)
    return bag


def test_the_server_greets_answers_and_ends_at_eof() -> None:
    code, sent = exchange(f"{fake.MODULE}:memory", request("ping", 7), request("frobnicate", 8))
    assert code == 0
    hello, pong, unknown = sent
    assert hello.get_uint32(keys.HELPER_PROTOCOL) == PROTOCOL_VERSION
    assert hello.get_uint64(keys.HELPER_PROCESS_ID) == os.getpid()
    assert pong.get_uint64(keys.HELPER_REQUEST_ID) == 7
    assert keys.ERROR_KIND not in pong
    assert unknown.get_uint64(keys.HELPER_REQUEST_ID) == 8
    assert unknown.get_string(keys.ERROR_KIND) == "MtpError"
    assert "frobnicate" in unknown.get_string(keys.ERROR_MESSAGE)
    code, sent = exchange(f"{fake.MODULE}:memory", request("info"))
    assert "No device is open" in sent[1].get_string(keys.ERROR_MESSAGE)


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\x00\x00\x03abc", b"\x00\x00", b"\x00\x00\x00\x09abc", b"\xff\xff\xff\xff"],
    ids=["not-a-bag", "cut-header", "cut-frame", "huge-frame"],
)
def test_the_server_stops_on_garbage(garbage: bytes) -> None:
    code, sent = exchange(f"{fake.MODULE}:memory", request("ping"), garbage)
    assert code == 3
    assert len(sent) == 2  # the greeting and the ping's answer


def test_errors_travel_as_bags() -> None:
    bag = PropertyBag()
    error_to_bag(DeviceBusy("Busy.", "kdeconnectd"), bag)
    busy = error_from_bag(bag)
    assert type(busy) is DeviceBusy and str(busy) == "Busy." and busy.holder == "kdeconnectd"
    bag = PropertyBag()
    error_to_bag(DeviceBusy("Busy."), bag)
    assert keys.ERROR_HOLDER not in bag
    assert getattr(error_from_bag(bag), "holder", "x") is None


def test_the_helper_reads_its_options_and_refuses_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert server._options(["--backend", "libmtp"]) == ("libmtp", logging.INFO)
    assert server._options(["--log-level", "10", "--backend", "virtual:/a b"]) == (
        "virtual:/a b",
        10,
    )
    for argv in (
        [],
        ["--backend"],
        ["--log-level", "10"],
        ["--backend", "libmtp", "--log-level", "loud"],
        ["--backend", "libmtp", "--verbose", "1"],
    ):
        assert server.main(argv) == 2, argv
    assert "usage:" in capsys.readouterr().err


_OBJECTS = st.builds(
    ObjectInfo,
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
    st.text(st.characters(exclude_categories=()), max_size=20),
    st.integers(0, 2**64 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
)


@given(st.lists(_OBJECTS, max_size=6))
def test_objects_travel_as_one_table(infos: list[ObjectInfo]) -> None:
    assert objects_from_table(objects_to_table(infos)) == infos


def test_a_damaged_object_table_is_refused() -> None:
    table = objects_to_table([ObjectInfo(5, 1, 2, "a.vcf", 9, 1.5, False)] * 2)
    for cut in range(len(table)):
        with pytest.raises((ValueError, struct.error)):
            objects_from_table(table[:cut])
    folder_flag = 4 + 2 * 8 * 5  # after the count and five columns of numbers
    for bad in (
        table + b"\0",
        table[:folder_flag] + b"\x02" + table[folder_flag + 1 :],
        (3).to_bytes(4, "little") + table[4:],
    ):
        with pytest.raises((ValueError, struct.error)):
            objects_from_table(bad)


def test_an_answer_with_a_damaged_object_table_ends_the_session(remote: MakeRemote) -> None:
    backend = remote("memory")
    device = backend.open(backend.detect()[0])
    real_call = backend._call

    def damaging(command: str, request: PropertyBag, size: int = 0) -> PropertyBag:
        response = real_call(command, request, size)
        if keys.HELPER_OBJECTS in response:
            response.set_buffer(keys.HELPER_OBJECTS, response.get_buffer(keys.HELPER_OBJECTS)[:-1])
        return response

    backend._call = damaging  # type: ignore[method-assign]
    with pytest.raises(DeviceGone):
        device.list_folder(device.storages()[0].id, ROOT)
