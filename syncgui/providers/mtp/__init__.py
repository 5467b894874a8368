"""Phones over the Media Transfer Protocol (and the built-in virtual phone).

What every part shares sits at the top: :mod:`.backend` (the ``MtpBackend``/``MtpDevice``
protocols, their value types and errors), :mod:`.virtual` (the virtual phone, a folder that
behaves as one) and :mod:`.hints` (what to tell the user). Below it, by kind:

* :mod:`.phone`: the phone as a store (the ``mtp:`` and ``virtual:`` providers);
* :mod:`.discovery`: which phones are connected, their state, hot-plug;
* :mod:`.helper`: the helper process that owns the USB device, and its client and protocol;
* :mod:`.props`: property bags and their codec (the helper's pipe, the state on a phone);
* :mod:`.native`: our ctypes binding of libmtp and the backend over it.

Nothing here loads libmtp at import: the binding is loaded when a real phone is used, in the
helper process (``python -m syncgui.providers.mtp.helper``)."""
