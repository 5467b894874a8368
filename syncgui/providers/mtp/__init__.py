"""Phones over the Media Transfer Protocol (and the built-in virtual phone).

Nothing here loads libmtp at import: the binding is loaded when a real phone is used, in a
helper process that owns the USB device (``helper``/``remote``)."""
