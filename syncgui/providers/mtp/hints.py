"""What to tell the user about phones in general: shown both when a store cannot reach its
phone (:mod:`.phone`) and when devices are listed (:mod:`.discovery`)."""

from __future__ import annotations

CONNECT_HINT = (
    "Connect the phone with a USB cable, unlock it and choose “File transfer” (MTP) in its USB "
    "notification."
)
ANDROID_HINT = (
    "Android phones do not show their address book over USB: export your contacts to a .vcf "
    "file on the phone (Contacts app → Settings → Export → .vcf file) and sync that file."
)
