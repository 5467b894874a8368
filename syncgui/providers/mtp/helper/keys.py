"""Well-known property keys: WPD's own, and syncgui's namespaces.

WPD keys and their VARTYPEs are from the Windows SDK header ``PortableDevice.h`` as
recompiled in ``microsoft/win32metadata``
(``generation/WinSDK/RecompiledIdlHeaders/um/PortableDevice.h``, sections
``WPD_OBJECT_PROPERTIES_V1``, ``WPD_STORAGE_OBJECT_PROPERTIES_V1``, ``WPD_DEVICE_PROPERTIES_V1``)
and, for the legacy object properties that section leaves out (ID, PARENT_ID, NAME, ...),
the bindings generated from the same metadata in ``ynkdir/py-win32more``
(``Windows/Win32/Devices/PortableDevices/__init__.py``). The VARTYPE each key holds in WPD
is noted on its line; our bags use the same types.

syncgui's own namespaces are random GUIDs made once for this project (never change them:
they are stored on devices).
"""

from __future__ import annotations

import uuid
from typing import Final

from syncgui.providers.mtp.props.propbag import PropertyKey

# -- WPD object properties (WPD_OBJECT_PROPERTIES_V1) -----------------------------------

WPD_OBJECT_PROPERTIES_V1: Final = uuid.UUID("EF6B490D-5CD8-437A-AFFC-DA8B60EE4A3C")
WPD_OBJECT_ID: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 2)  # VT_LPWSTR
WPD_OBJECT_PARENT_ID: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 3)  # VT_LPWSTR
WPD_OBJECT_NAME: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 4)  # VT_LPWSTR
WPD_OBJECT_PERSISTENT_UNIQUE_ID: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 5)  # VT_LPWSTR
WPD_OBJECT_FORMAT: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 6)  # VT_CLSID
WPD_OBJECT_CONTENT_TYPE: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 7)  # VT_CLSID
WPD_OBJECT_ISHIDDEN: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 9)  # VT_BOOL
WPD_OBJECT_ISSYSTEM: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 10)  # VT_BOOL
WPD_OBJECT_SIZE: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 11)  # VT_UI8
WPD_OBJECT_ORIGINAL_FILE_NAME: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 12)  # VT_LPWSTR
WPD_OBJECT_REFERENCES: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 14)  # VT_UNKNOWN
WPD_OBJECT_SYNC_ID: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 16)  # VT_LPWSTR
WPD_OBJECT_DATE_CREATED: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 18)  # VT_DATE
WPD_OBJECT_DATE_MODIFIED: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 19)  # VT_DATE
WPD_OBJECT_CAN_DELETE: Final = PropertyKey(WPD_OBJECT_PROPERTIES_V1, 26)  # VT_BOOL

# Values of WPD_OBJECT_CONTENT_TYPE (PortableDevice.h, "WPD Content Types").
WPD_CONTENT_TYPE_FOLDER: Final = uuid.UUID("27E2E392-A111-48E0-AB0C-E17705A05F85")
WPD_CONTENT_TYPE_GENERIC_FILE: Final = uuid.UUID("0085E0A6-8D34-45D7-BC5C-447E59C73D48")

# -- WPD storage properties (WPD_STORAGE_OBJECT_PROPERTIES_V1) --------------------------

WPD_STORAGE_OBJECT_PROPERTIES_V1: Final = uuid.UUID("01A3057A-74D6-4E80-BEA7-DC4C212CE50A")
WPD_STORAGE_TYPE: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 2)  # VT_UI4
WPD_STORAGE_FILE_SYSTEM_TYPE: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 3)  # LPWSTR
WPD_STORAGE_CAPACITY: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 4)  # VT_UI8
WPD_STORAGE_FREE_SPACE_IN_BYTES: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 5)  # UI8
WPD_STORAGE_DESCRIPTION: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 7)  # VT_LPWSTR
WPD_STORAGE_SERIAL_NUMBER: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 8)  # LPWSTR
WPD_STORAGE_MAX_OBJECT_SIZE: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 9)  # VT_UI8
WPD_STORAGE_ACCESS_CAPABILITY: Final = PropertyKey(WPD_STORAGE_OBJECT_PROPERTIES_V1, 11)  # UI4

# Values of WPD_STORAGE_ACCESS_CAPABILITY (enum WPD_STORAGE_ACCESS_CAPABILITY_VALUES).
WPD_STORAGE_ACCESS_CAPABILITY_READWRITE: Final = 0
WPD_STORAGE_ACCESS_CAPABILITY_READ_ONLY_WITHOUT_OBJECT_DELETION: Final = 1
WPD_STORAGE_ACCESS_CAPABILITY_READ_ONLY_WITH_OBJECT_DELETION: Final = 2

# -- WPD device properties (WPD_DEVICE_PROPERTIES_V1) ------------------------------------

WPD_DEVICE_PROPERTIES_V1: Final = uuid.UUID("26D4979A-E643-4626-9E2B-736DC0C92FDC")
WPD_DEVICE_SYNC_PARTNER: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 2)  # VT_LPWSTR
WPD_DEVICE_FIRMWARE_VERSION: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 3)  # VT_LPWSTR
WPD_DEVICE_POWER_LEVEL: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 4)  # VT_UI4
WPD_DEVICE_PROTOCOL: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 6)  # VT_LPWSTR
WPD_DEVICE_MANUFACTURER: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 7)  # VT_LPWSTR
WPD_DEVICE_MODEL: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 8)  # VT_LPWSTR
WPD_DEVICE_SERIAL_NUMBER: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 9)  # VT_LPWSTR
WPD_DEVICE_DATETIME: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 11)  # VT_DATE
WPD_DEVICE_FRIENDLY_NAME: Final = PropertyKey(WPD_DEVICE_PROPERTIES_V1, 12)  # VT_LPWSTR

# -- syncgui: MTP handles and USB addresses ---------------------------------------------
# WPD names objects by strings (WPD_OBJECT_ID); MTP by 32-bit handles. The handles travel
# here, as VT_UI8 so that no backend's number is ever cut.

SYNCGUI_MTP: Final = uuid.UUID("12A83B4E-8A39-44C7-911D-0F3954B03D92")
MTP_OBJECT_HANDLE: Final = PropertyKey(SYNCGUI_MTP, 2)  # VT_UI8
MTP_PARENT_HANDLE: Final = PropertyKey(SYNCGUI_MTP, 3)  # VT_UI8 (backend.ROOT at the top)
MTP_STORAGE_ID: Final = PropertyKey(SYNCGUI_MTP, 4)  # VT_UI8
MTP_USB_BUS: Final = PropertyKey(SYNCGUI_MTP, 5)  # VT_UI8
MTP_USB_DEVNUM: Final = PropertyKey(SYNCGUI_MTP, 6)  # VT_UI8
MTP_USB_VENDOR_ID: Final = PropertyKey(SYNCGUI_MTP, 7)  # VT_UI8
MTP_USB_PRODUCT_ID: Final = PropertyKey(SYNCGUI_MTP, 8)  # VT_UI8
MTP_LOCATION: Final = PropertyKey(SYNCGUI_MTP, 9)  # VT_LPWSTR: where the backend finds it

# -- syncgui: helper process commands ----------------------------------------------------
# A request holds COMMAND, REQUEST_ID and the command's arguments (MTP_* handles,
# WPD_OBJECT_NAME, DATA, DEVICE); a response echoes REQUEST_ID and holds RESULT, RESULTS,
# OBJECTS, DATA or MTP_OBJECT_HANDLE, or the ERROR_* keys.

SYNCGUI_HELPER: Final = uuid.UUID("5773CB27-D67F-45CB-B66A-35CEF1DB0132")
HELPER_COMMAND: Final = PropertyKey(SYNCGUI_HELPER, 2)  # VT_LPWSTR: "list_folder", ...
HELPER_REQUEST_ID: Final = PropertyKey(SYNCGUI_HELPER, 3)  # VT_UI8
HELPER_PROTOCOL: Final = PropertyKey(SYNCGUI_HELPER, 4)  # VT_UI4, in the helper's greeting
HELPER_PROCESS_ID: Final = PropertyKey(SYNCGUI_HELPER, 5)  # VT_UI8, in the helper's greeting
HELPER_DEVICE: Final = PropertyKey(SYNCGUI_HELPER, 6)  # VT_UNKNOWN: a RawDevice bag
HELPER_DATA: Final = PropertyKey(SYNCGUI_HELPER, 7)  # VT_VECTOR|VT_UI1: file contents
HELPER_RESULT: Final = PropertyKey(SYNCGUI_HELPER, 8)  # VT_UNKNOWN: one result
HELPER_RESULTS: Final = PropertyKey(SYNCGUI_HELPER, 9)  # VT_VECTOR|VT_UNKNOWN: a list
# VT_VECTOR|VT_UI1: ObjectInfos as one table of columns (protocol.objects_to_table)
HELPER_OBJECTS: Final = PropertyKey(SYNCGUI_HELPER, 10)

# -- syncgui: errors --------------------------------------------------------------------

SYNCGUI_ERROR: Final = uuid.UUID("8E8BF64B-552A-432E-8DC8-CFC3E347B6B4")
ERROR_KIND: Final = PropertyKey(SYNCGUI_ERROR, 2)  # VT_LPWSTR: class name, e.g. "DeviceBusy"
ERROR_MESSAGE: Final = PropertyKey(SYNCGUI_ERROR, 3)  # VT_LPWSTR: str(error)
ERROR_HOLDER: Final = PropertyKey(SYNCGUI_ERROR, 4)  # VT_LPWSTR: DeviceBusy.holder, if known

# -- syncgui: sync metadata (pids are assigned where the metadata is defined) ------------

SYNCGUI_SYNC: Final = uuid.UUID("09FECCA0-E442-45B7-8A79-A7CD34D2AF35")
