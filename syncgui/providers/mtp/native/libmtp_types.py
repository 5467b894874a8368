"""The C side of our libmtp binding: ``libmtp.h`` 1.1's constants, enums, structures,
callback types and the signature of every function the binding calls.

Only declarations live here (defining a ctypes ``Structure`` or ``CFUNCTYPE`` loads no
library); :mod:`syncgui.providers.mtp.native.libmtp` loads the library and declares the functions
from :data:`SIGNATURES`.

* Every ``Structure`` mirrors ``libmtp.h`` 1.1.20 field for field and is named after its C
  type; ``tests/providers/mtp/test_libmtp_layout.py`` compiles a program against the
  installed header and compares every size and offset.
* Every function is declared once in :data:`SIGNATURES`: text goes to C as UTF-8 ``bytes``,
  ids come back as unsigned 32-bit integers, and strings that libmtp allocates come back as
  addresses so that they can be copied and freed (libc's ``free`` is in
  :data:`LIBC_SIGNATURES`).
"""

from __future__ import annotations

import ctypes
import enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctypes import _Pointer

# -- constants (the header's #define LIBMTP_...) ---------------------------------------------

FILES_AND_FOLDERS_ROOT = 0xFFFFFFFF  # the "parent" that lists the top of a storage
STORAGE_SORTBY_NOTSORTED = 0
HANDLER_RETURN_OK = 0
HANDLER_RETURN_ERROR = 1
HANDLER_RETURN_CANCEL = 2
DEBUG_NONE = 0x00
DEBUG_PTP = 0x01
DEBUG_PLST = 0x02
DEBUG_USB = 0x04
DEBUG_DATA = 0x08
DEBUG_ALL = 0xFF

# -- enums -----------------------------------------------------------------------------------

# LIBMTP_filetype_t, in header order from 0. FOLDER is 0 since libmtp 1.1, which pymtp missed:
# its "VCARD2" is really VCALENDAR2. (The test compares this list with the installed header.)
Filetype = enum.IntEnum(
    "Filetype",
    "FOLDER WAV MP3 WMA OGG AUDIBLE MP4 UNDEF_AUDIO WMV AVI MPEG ASF QT UNDEF_VIDEO JPEG "
    "JFIF TIFF BMP GIF PICT PNG VCALENDAR1 VCALENDAR2 VCARD2 VCARD3 WINDOWSIMAGEFORMAT "
    "WINEXEC TEXT HTML FIRMWARE AAC MEDIACARD FLAC MP2 M4A DOC XML XLS PPT MHT JP2 JPX "
    "ALBUM PLAYLIST UNKNOWN",
    start=0,
)


class ErrorNumber(enum.IntEnum):
    """``LIBMTP_error_number_t``."""

    NONE = 0
    GENERAL = 1
    PTP_LAYER = 2
    USB_LAYER = 3
    MEMORY_ALLOCATION = 4
    NO_DEVICE_ATTACHED = 5
    STORAGE_FULL = 6
    CONNECTING = 7
    CANCELLED = 8


class DeviceCap(enum.IntEnum):
    """``LIBMTP_devicecap_t``: optional operations a device may implement."""

    GetPartialObject = 0
    SendPartialObject = 1
    EditObjects = 2
    MoveObject = 3
    CopyObject = 4


# -- structures (named after their C types; the layout test relies on that) ----------------


class LIBMTP_device_entry_t(ctypes.Structure):  # noqa: N801
    """An entry of libmtp's device table; the strings are static in the library."""

    _fields_ = (
        ("vendor", ctypes.c_char_p),
        ("vendor_id", ctypes.c_uint16),
        ("product", ctypes.c_char_p),
        ("product_id", ctypes.c_uint16),
        ("device_flags", ctypes.c_uint32),
    )


class LIBMTP_raw_device_t(ctypes.Structure):  # noqa: N801
    """A device found on the bus; ``device_flags`` carry libmtp's per-device bug workarounds,
    which is why a device is always opened from a freshly detected entry."""

    _fields_ = (
        ("device_entry", LIBMTP_device_entry_t),
        ("bus_location", ctypes.c_uint32),
        ("devnum", ctypes.c_uint8),
    )


class LIBMTP_error_t(ctypes.Structure):  # noqa: N801
    """One entry of a device's error stack."""


LIBMTP_error_t._fields_ = (
    ("errornumber", ctypes.c_int),
    ("error_text", ctypes.c_char_p),
    ("next", ctypes.POINTER(LIBMTP_error_t)),
)


class LIBMTP_device_extension_t(ctypes.Structure):  # noqa: N801
    """A vendor extension the device announced (e.g. ``android.com``)."""


LIBMTP_device_extension_t._fields_ = (
    ("name", ctypes.c_char_p),
    ("major", ctypes.c_int),
    ("minor", ctypes.c_int),
    ("next", ctypes.POINTER(LIBMTP_device_extension_t)),
)


class LIBMTP_devicestorage_t(ctypes.Structure):  # noqa: N801
    """A storage; the list hanging off the device is rebuilt by every ``Get_Storage``."""


LIBMTP_devicestorage_t._fields_ = (
    ("id", ctypes.c_uint32),
    ("StorageType", ctypes.c_uint16),
    ("FilesystemType", ctypes.c_uint16),
    ("AccessCapability", ctypes.c_uint16),
    ("MaxCapacity", ctypes.c_uint64),
    ("FreeSpaceInBytes", ctypes.c_uint64),
    ("FreeSpaceInObjects", ctypes.c_uint64),
    ("StorageDescription", ctypes.c_char_p),
    ("VolumeIdentifier", ctypes.c_char_p),
    ("next", ctypes.POINTER(LIBMTP_devicestorage_t)),
    ("prev", ctypes.POINTER(LIBMTP_devicestorage_t)),
)


class LIBMTP_mtpdevice_t(ctypes.Structure):  # noqa: N801
    """An open device: 112 bytes on x86_64 (pymtp's 96 lacked the last three fields before
    ``next``)."""


LIBMTP_mtpdevice_t._fields_ = (
    ("object_bitsize", ctypes.c_uint8),
    ("params", ctypes.c_void_p),
    ("usbinfo", ctypes.c_void_p),
    ("storage", ctypes.POINTER(LIBMTP_devicestorage_t)),
    ("errorstack", ctypes.POINTER(LIBMTP_error_t)),
    ("maximum_battery_level", ctypes.c_uint8),
    ("default_music_folder", ctypes.c_uint32),
    ("default_playlist_folder", ctypes.c_uint32),
    ("default_picture_folder", ctypes.c_uint32),
    ("default_video_folder", ctypes.c_uint32),
    ("default_organizer_folder", ctypes.c_uint32),
    ("default_zencast_folder", ctypes.c_uint32),
    ("default_album_folder", ctypes.c_uint32),
    ("default_text_folder", ctypes.c_uint32),
    ("cd", ctypes.c_void_p),
    ("extensions", ctypes.POINTER(LIBMTP_device_extension_t)),
    ("cached", ctypes.c_int),
    ("next", ctypes.POINTER(LIBMTP_mtpdevice_t)),
)


class LIBMTP_file_t(ctypes.Structure):  # noqa: N801
    """A file or folder. Lists that libmtp returns are freed node by node with
    ``LIBMTP_destroy_file_t``; the one we build for an upload is ours."""


# time_t: ctypes.c_time_t exists from Python 3.12; before, long is time_t on Linux and macOS.
_c_time_t: Any = getattr(ctypes, "c_time_t", ctypes.c_long)

LIBMTP_file_t._fields_ = (
    ("item_id", ctypes.c_uint32),
    ("parent_id", ctypes.c_uint32),
    ("storage_id", ctypes.c_uint32),
    ("filename", ctypes.c_char_p),
    ("filesize", ctypes.c_uint64),
    ("modificationdate", _c_time_t),
    ("filetype", ctypes.c_int),
    ("next", ctypes.POINTER(LIBMTP_file_t)),
)

if TYPE_CHECKING:
    DevicePtr = _Pointer[LIBMTP_mtpdevice_t]
    FilePtr = _Pointer[LIBMTP_file_t]

# Data callbacks (MTPDataGetFunc and MTPDataPutFunc have the same C signature). The header's
# ``unsigned char *data`` is declared c_void_p (same ABI) so that they get a plain address.
_DATA_FUNC = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
MTPDataGetFunc = ctypes.CFUNCTYPE(ctypes.c_uint16, *_DATA_FUNC, ctypes.POINTER(ctypes.c_uint32))
MTPDataPutFunc = ctypes.CFUNCTYPE(ctypes.c_uint16, *_DATA_FUNC, ctypes.POINTER(ctypes.c_uint32))

# -- function signatures -------------------------------------------------------------------

_DEV = ctypes.POINTER(LIBMTP_mtpdevice_t)
_FILE = ctypes.POINTER(LIBMTP_file_t)
_U32 = ctypes.c_uint32

# name -> (restype, argtypes). Lib reaches the library only through these names.
SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "LIBMTP_Init": (None, ()),
    "LIBMTP_Set_Debug": (None, (ctypes.c_int,)),
    "LIBMTP_Detect_Raw_Devices": (
        ctypes.c_int,
        (ctypes.POINTER(ctypes.POINTER(LIBMTP_raw_device_t)), ctypes.POINTER(ctypes.c_int)),
    ),
    "LIBMTP_Open_Raw_Device_Uncached": (_DEV, (ctypes.POINTER(LIBMTP_raw_device_t),)),
    "LIBMTP_Release_Device": (None, (_DEV,)),
    # These three return strdup()ed strings: c_void_p so that we can free() them.
    "LIBMTP_Get_Manufacturername": (ctypes.c_void_p, (_DEV,)),
    "LIBMTP_Get_Modelname": (ctypes.c_void_p, (_DEV,)),
    "LIBMTP_Get_Serialnumber": (ctypes.c_void_p, (_DEV,)),
    "LIBMTP_Get_Storage": (ctypes.c_int, (_DEV, ctypes.c_int)),
    "LIBMTP_Get_Supported_Filetypes": (
        ctypes.c_int,
        (_DEV, ctypes.POINTER(ctypes.POINTER(ctypes.c_uint16)), ctypes.POINTER(ctypes.c_uint16)),
    ),
    "LIBMTP_Check_Capability": (ctypes.c_int, (_DEV, ctypes.c_int)),
    "LIBMTP_Get_Errorstack": (ctypes.POINTER(LIBMTP_error_t), (_DEV,)),
    "LIBMTP_Clear_Errorstack": (None, (_DEV,)),
    "LIBMTP_Get_Files_And_Folders": (_FILE, (_DEV, _U32, _U32)),
    "LIBMTP_Get_Filemetadata": (_FILE, (_DEV, _U32)),
    "LIBMTP_destroy_file_t": (None, (_FILE,)),
    "LIBMTP_Get_File_To_Handler": (
        ctypes.c_int,
        (_DEV, _U32, MTPDataPutFunc, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p),
    ),
    "LIBMTP_Send_File_From_Handler": (
        ctypes.c_int,
        (_DEV, MTPDataGetFunc, ctypes.c_void_p, _FILE, ctypes.c_void_p, ctypes.c_void_p),
    ),
    "LIBMTP_Set_File_Name": (ctypes.c_int, (_DEV, _FILE, ctypes.c_char_p)),
    "LIBMTP_Delete_Object": (ctypes.c_int, (_DEV, _U32)),
    # char* (not const): libmtp may strip the name in place, so we pass a writable buffer.
    "LIBMTP_Create_Folder": (_U32, (_DEV, ctypes.c_char_p, _U32, _U32)),
}
LIBC_SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "free": (None, (ctypes.c_void_p,)),
}
