"""The device helper process and both ends of the pipe to it.

A real phone is used from a separate process that loads libmtp and owns the USB device, so a
crash or hang in native code ends only that process. :mod:`.remote` (the client, an
:class:`~syncgui.providers.mtp.backend.MtpBackend`) starts :mod:`.server` as
``python -m syncgui.providers.mtp.helper``; :mod:`.protocol` is what crosses the pipe, in
property bags keyed by :mod:`.keys`."""
