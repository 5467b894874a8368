"""Our libmtp binding (and its loading by the backend), without a phone.

* Loading: importing loads nothing; a missing library says what to install; the real
  library loads, every function has its declared signature, and detection on a machine
  without USB returns nothing (and does not crash).
* Against the header: the enums and constants equal ``libmtp.h``'s.
* Memory: error stacks and file lists built in C memory are copied and freed by the real
  libmtp the way the binding expects (a wrong order would crash here, not on a phone).
* Classifying: libmtp's error stacks become the backend's errors.

The backend over a stand-in for the library is tested in ``test_libmtp_backend.py``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from syncgui.providers.mtp.backend import (
    DeviceGone,
    MtpError,
    ObjectMissing,
    RawDevice,
    StorageFull,
    Unsupported,
)
from syncgui.providers.mtp.native import libmtp, libmtp_types
from syncgui.providers.mtp.native.libmtp import FileRecord, StackedError, classify
from syncgui.providers.mtp.native.libmtp_backend import LibmtpBackend
from syncgui.providers.mtp.native.libmtp_types import (
    HANDLER_RETURN_ERROR,
    DeviceCap,
    ErrorNumber,
    Filetype,
)

REPO = Path(__file__).resolve().parents[3]
STORAGE = 0x00010001
BIG = 2**31 + 5  # ids with the top bit set must stay positive


def real_lib() -> libmtp.Lib:
    try:
        return libmtp.load()
    except libmtp.LibmtpMissing as err:
        pytest.skip(f"libmtp is not installed here: {err}")


# -- loading ---------------------------------------------------------------------------------

IMPORT_CHECK = """
import ctypes, sys
opened = []
original = ctypes.CDLL.__init__
def spy(self, name, *args, **kwargs):
    opened.append(name)
    original(self, name, *args, **kwargs)
ctypes.CDLL.__init__ = spy
import syncgui.providers.mtp.native.libmtp as binding
import syncgui.providers.mtp.native.libmtp_types
import syncgui.providers.mtp.native.libmtp_backend as backend
backend.LibmtpBackend()
assert not binding.is_loaded()
assert opened == [], opened
if sys.platform.startswith("linux"):
    with open("/proc/self/maps") as maps:
        assert "libmtp" not in maps.read()
print("nothing loaded")
"""


def test_importing_the_binding_and_backend_loads_no_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "nothing loaded" in done.stdout


def test_a_missing_library_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(libmtp, "FALLBACK_NAMES", ("libmtp-absent-for-this-test.so.9",))
    monkeypatch.setattr(libmtp, "_loaded", [])  # as in a fresh process; restored afterwards
    with pytest.raises(libmtp.LibmtpMissing, match="install the libmtp9 package") as caught:
        libmtp.load()
    assert isinstance(caught.value, MtpError)
    assert not libmtp.is_loaded()
    with pytest.raises(libmtp.LibmtpMissing):  # not cached: a later call tries again
        LibmtpBackend().detect()


def test_detect_without_usb_finds_nothing_and_does_not_crash() -> None:
    real_lib()
    found = LibmtpBackend().detect()
    if not Path("/dev/bus/usb").is_dir():
        assert found == []
    assert all(isinstance(raw, RawDevice) for raw in found)


def test_opening_a_device_that_is_not_there_is_device_gone() -> None:
    real_lib()
    ghost = RawDevice(250, 250, 0x46F4, 0x0004, "QEMU", "Virtual MTP", "9-9")
    with pytest.raises(DeviceGone):
        LibmtpBackend().open(ghost)


def test_every_function_has_its_declared_signature() -> None:
    lib = real_lib()
    for name, (restype, argtypes) in libmtp_types.SIGNATURES.items():
        function = lib.function(name)
        assert function.restype is restype, name
        assert tuple(function.argtypes) == argtypes, name
    # Nothing else was fetched from the library without a signature...
    fetched = {k: v for k, v in vars(lib.mtp).items() if isinstance(v, ctypes._CFuncPtr)}
    assert set(fetched) == set(libmtp_types.SIGNATURES)
    assert all(f.argtypes is not None for f in fetched.values())
    # ...every function the binding calls is declared, and the crashing one is not used.
    source = Path(libmtp.__file__).read_text()
    called = set(re.findall(r'"(LIBMTP_\w+)"', source.partition("\nclass Lib:")[2]))
    assert called == set(libmtp_types.SIGNATURES)
    assert "LIBMTP_Dump_Errorstack" not in libmtp_types.SIGNATURES


def test_ids_and_owned_strings_have_the_right_c_types() -> None:
    signatures = libmtp_types.SIGNATURES
    assert signatures["LIBMTP_Create_Folder"][0] is ctypes.c_uint32  # not a signed int
    for name in ("Manufacturername", "Modelname", "Serialnumber"):
        assert signatures[f"LIBMTP_Get_{name}"][0] is ctypes.c_void_p  # copied, then freed


# -- against the header ------------------------------------------------------------------------


def _header() -> str:
    folders = []
    if shutil.which("pkg-config"):
        done = subprocess.run(
            ["pkg-config", "--variable=includedir", "libmtp"],
            capture_output=True,
            text=True,
            check=False,
        )
        folders.append(done.stdout.strip())
    folders += ["/usr/include", "/usr/local/include", "/opt/homebrew/include"]
    for folder in filter(None, folders):
        header = Path(folder, "libmtp.h")
        if header.is_file():
            return header.read_text()
    pytest.skip("libmtp.h is not installed (Debian/Ubuntu: apt install libmtp-dev)")


def _enum(header: str, type_name: str, prefix: str) -> dict[str, int]:
    header = re.sub(r"/\*.*?\*/|//[^\n]*", "", header, flags=re.S)
    body = re.search(r"typedef enum\s*\{([^{}]*)\}\s*" + type_name + r"\s*;", header)
    assert body is not None, type_name
    values, value = {}, -1
    for entry in filter(None, (e.strip() for e in body.group(1).split(","))):
        name, _, explicit = (part.strip() for part in entry.partition("="))
        value = int(explicit, 0) if explicit else value + 1
        values[name.removeprefix(prefix)] = value
    return values


@pytest.mark.parametrize(
    ("enum", "type_name", "prefix"),
    [
        (Filetype, "LIBMTP_filetype_t", "LIBMTP_FILETYPE_"),
        (ErrorNumber, "LIBMTP_error_number_t", "LIBMTP_ERROR_"),
        (DeviceCap, "LIBMTP_devicecap_t", "LIBMTP_DEVICECAP_"),
    ],
)
def test_enums_match_the_header(enum: Any, type_name: str, prefix: str) -> None:
    assert {m.name: m.value for m in enum} == _enum(_header(), type_name, prefix)


def test_vcard_filetypes_are_the_headers() -> None:
    values = _enum(_header(), "LIBMTP_filetype_t", "LIBMTP_FILETYPE_")
    assert values["FOLDER"] == 0
    assert (values["VCARD2"], values["VCARD3"]) == (Filetype.VCARD2, Filetype.VCARD3) == (23, 24)


def test_constants_match_the_header() -> None:
    defines = dict(re.findall(r"#define LIBMTP_(\w+)\s+(0x[0-9A-Fa-f]+|\d+)\b", _header()))
    for name in (
        "FILES_AND_FOLDERS_ROOT",
        "STORAGE_SORTBY_NOTSORTED",
        "HANDLER_RETURN_OK",
        "HANDLER_RETURN_ERROR",
        "HANDLER_RETURN_CANCEL",
        "DEBUG_NONE",
        "DEBUG_PTP",
        "DEBUG_USB",
        "DEBUG_DATA",
        "DEBUG_ALL",
    ):
        assert getattr(libmtp_types, name) == int(defines[name], 0), name


# -- memory: the real libmtp frees what the binding reads ----------------------------------------


@pytest.fixture
def c_memory() -> Any:
    """libc's strdup/malloc (the allocator libmtp frees with), on a private handle."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
    libc.strdup.restype, libc.strdup.argtypes = ctypes.c_void_p, (ctypes.c_char_p,)
    return libc


def test_take_errors_copies_then_clears_a_real_error_stack(c_memory: Any) -> None:
    lib = real_lib()
    head = 0
    for number, message in reversed(
        [(2, b"PTP Layer error 2009: LIBMTP_Delete_Object(): could not delete object."),
         (2, "Error 2009: PTP Invalid Object Handle – ünïcødé".encode())]
    ):  # fmt: skip
        node = c_memory.malloc(ctypes.sizeof(libmtp_types.LIBMTP_error_t))
        entry = libmtp_types.LIBMTP_error_t.from_address(node)
        entry.errornumber = number
        text_field = node + libmtp_types.LIBMTP_error_t.error_text.offset
        ctypes.c_void_p.from_address(text_field).value = c_memory.strdup(message)
        entry.next = ctypes.cast(head, ctypes.POINTER(libmtp_types.LIBMTP_error_t))
        head = node
    device = libmtp_types.LIBMTP_mtpdevice_t()
    device.errorstack = ctypes.cast(head, ctypes.POINTER(libmtp_types.LIBMTP_error_t))
    errors = lib.take_errors(ctypes.pointer(device))
    assert [(e.number, e.ptp_code) for e in errors] == [(2, 0x2009), (2, 0x2009)]
    assert errors[1].text.endswith("ünïcødé")
    assert not device.errorstack  # libmtp freed the stack and reset the pointer
    assert lib.take_errors(ctypes.pointer(device)) == []
    assert isinstance(classify(errors, "delete object 7"), ObjectMissing)


def test_file_lists_are_copied_before_libmtp_frees_them(c_memory: Any) -> None:
    lib = real_lib()
    own = ctypes.CDLL(lib.name)  # a private handle: our restype does not touch the binding's
    own.LIBMTP_new_file_t.restype = ctypes.c_void_p
    head = 0
    for item_id, name in reversed([(BIG, "Contacts"), (3, "alice.vcf"), (4, None)]):
        node = own.LIBMTP_new_file_t()
        entry = libmtp_types.LIBMTP_file_t.from_address(node)
        entry.item_id, entry.parent_id, entry.storage_id = item_id, 0, STORAGE
        entry.filesize, entry.modificationdate = 42, 1_700_000_000
        entry.filetype = Filetype.FOLDER if item_id == BIG else Filetype.UNKNOWN
        if name is not None:
            name_field = node + libmtp_types.LIBMTP_file_t.filename.offset
            ctypes.c_void_p.from_address(name_field).value = c_memory.strdup(name.encode())
        entry.next = ctypes.cast(head, ctypes.POINTER(libmtp_types.LIBMTP_file_t))
        head = node
    records = lib._take_files(ctypes.cast(head, ctypes.POINTER(libmtp_types.LIBMTP_file_t)))
    assert [(r.item_id, r.filename, r.filetype) for r in records] == [
        (BIG, "Contacts", Filetype.FOLDER),
        (3, "alice.vcf", Filetype.UNKNOWN),
        (4, "", Filetype.UNKNOWN),
    ]
    assert records[1] == FileRecord(3, 0, STORAGE, "alice.vcf", 42, 1_700_000_000, 44)


# -- data callbacks ------------------------------------------------------------------------------


def test_download_sink_collects_chunks_and_reports_them_taken() -> None:
    chunks: list[bytes] = []
    sink = libmtp.data_sink(chunks)
    buffer = ctypes.create_string_buffer(b"BEGIN:VCARD\r\n")
    taken = ctypes.c_uint32(0)
    assert sink(None, None, 5, ctypes.addressof(buffer), ctypes.byref(taken)) == 0
    assert (chunks, taken.value) == ([b"BEGIN"], 5)
    assert sink(None, None, 0, None, ctypes.byref(taken)) == 0
    assert (chunks, taken.value) == ([b"BEGIN"], 0)


def test_upload_source_hands_over_what_is_asked_then_nothing() -> None:
    source = libmtp.data_source(b"abcdefg")
    buffer = ctypes.create_string_buffer(8)
    given = ctypes.c_uint32(0)
    handed = []
    for _ in range(3):
        assert source(None, None, 4, ctypes.addressof(buffer), ctypes.byref(given)) == 0
        handed.append(buffer.raw[: given.value])
    assert handed == [b"abcd", b"efg", b""]


def test_a_failing_callback_answers_error_instead_of_ok() -> None:
    sink = libmtp.data_sink([])
    buffer = ctypes.create_string_buffer(4)
    # NULL for the out-parameter: writing it raises inside the callback
    assert sink(None, None, 4, ctypes.addressof(buffer), None) == HANDLER_RETURN_ERROR
    source = libmtp.data_source(b"abc")
    assert source(None, None, 3, ctypes.addressof(buffer), None) == HANDLER_RETURN_ERROR


# -- classifying libmtp's error stack --------------------------------------------------------


def _ptp(code: int, where: str = "LIBMTP_Delete_Object(): could not delete object.") -> list:
    return [
        StackedError(ErrorNumber.PTP_LAYER, f"PTP Layer error {code:04x}: {where}"),
        StackedError(ErrorNumber.PTP_LAYER, f"Error {code:04x}: something"),
    ]


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (_ptp(0x2009), ObjectMissing),
        (_ptp(0x02FF), DeviceGone),  # PTP_ERROR_IO: the USB transfer failed
        (_ptp(0x02F9), DeviceGone),
        (_ptp(0x02FA), DeviceGone),
        (_ptp(0x2003), DeviceGone),  # session lost: the device was reset
        ([StackedError(ErrorNumber.USB_LAYER, "usb")], DeviceGone),
        ([StackedError(ErrorNumber.NO_DEVICE_ATTACHED, "gone")], DeviceGone),
        (_ptp(0x200C), StorageFull),
        (_ptp(0xA809), StorageFull),
        ([StackedError(ErrorNumber.STORAGE_FULL, "all device storage is full")], StorageFull),
        (_ptp(0x2005), Unsupported),
        (_ptp(0x200E), MtpError),
        (_ptp(0x02FE), MtpError),  # a bare response where data was due: refused, not gone
        (_ptp(0x02FD), MtpError),
        ([StackedError(ErrorNumber.CANCELLED, "Cancelled transfer.")], MtpError),
        ([StackedError(ErrorNumber.GENERAL, "Could not get object info.")], MtpError),
        ([], MtpError),
    ],
)
def test_classify(errors: list[StackedError], expected: type[MtpError]) -> None:
    error = classify(errors, "delete object 7")
    assert type(error) is expected
    if expected is DeviceGone:
        assert str(error) == "the device was disconnected"
    else:
        assert str(error).startswith("could not delete object 7: ")


def test_a_generic_error_keeps_libmtps_words_once() -> None:
    errors = [
        StackedError(1, "Could not get object info."),
        StackedError(1, "Could not get object info."),
    ]
    assert (
        str(classify(errors, "read object 9"))
        == "could not read object 9: Could not get object info."
    )
    assert "read-only" in str(classify(_ptp(0x200E), "write 'a.vcf'"))
