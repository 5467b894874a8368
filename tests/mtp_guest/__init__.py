"""A tiny QEMU guest with QEMU's emulated MTP device on its USB bus, for integration tests of
the real libmtp stack (no phone and no USB on CI). See :func:`run_in_guest`; pytest fixtures
are in :mod:`tests.mtp_guest.fixtures`.

How QEMU's MTP responder (``usb-mtp``, QEMU 7.2) differs from a phone, as seen through libmtp:

* Operations: no SetObjectPropValue (no rename), no MoveObject, no CopyObject, no
  GetObjectPropList; every file is format Undefined (0x3000); "Events supported: none",
  although it queues ObjectAdded/Removed on the interrupt endpoint.
* Object ids last one session: every open starts again from 0.
* Its object tree follows the folder through inotify, but only for folders listed (read)
  during the session. Files that the host (or the guest via 9p) adds to or removes from a
  listed folder while a session is open show up or go, but sizes are taken when a file
  appears and never again: a file written after it appeared lists, and downloads, with its
  old size (0 bytes for a new one). So edit device folders between boots, not during one.
  A file uploaded into a folder nobody listed yet is written to disk but listed only once
  that folder is listed; SendObjectInfo answers with the handle it expects the new object
  to get, which is right only if the folder was listed: list a folder before writing into it.
* Uploading into a parent id that does not exist wedges the bulk pipe (PTP I/O error; the
  next open needs a USB reset).
* Names are matched by prefix: a new file whose name is a prefix of a sibling's ("notes"
  beside "notes.txt") is written but never listed in that session, and the upload answers
  with the sibling's handle.
* Uploading over an existing name writes into the old file without truncating it.
* Deleting a folder that holds files fails (PTP 0x2012, partial deletion).
* Free space in the storage info is garbage (larger than the capacity).
* The end of an upload's data phase is judged by 64-byte (full-speed) packets: a last packet
  that is a multiple of 64 bytes (an object of 52, 116, ... bytes, or 500 + 512k) leaves it
  waiting for more, and it then takes the next command for data and aborts on an assertion
  in ``usb_mtp_get_data``; a last packet shorter than the 12-byte header stores the object
  damaged. ``syncgui.providers.mtp.phone.statecodec.awkward_size`` tells these sizes: syncgui pads
  its own objects clear of them, and tests give their cards other sizes.
* QEMU never calls setlocale: non-ASCII names list as "Oops" and uploading one kills QEMU
  (SIGSEGV). The harness preloads a one-line library that sets LC_CTYPE=C.UTF-8 into QEMU,
  after which non-ASCII names work both ways.
"""

from __future__ import annotations

from .build import GuestImage, GuestUnavailable, cache_root, ensure_image
from .guest import GuestError, GuestResult, check_host, run_in_guest

__all__ = [
    "GuestError",
    "GuestImage",
    "GuestResult",
    "GuestUnavailable",
    "cache_root",
    "check_host",
    "ensure_image",
    "run_in_guest",
]
