"""Our typed ctypes binding of libmtp (:mod:`.libmtp_types` declares, :mod:`.libmtp` loads and
calls) and the :class:`~syncgui.providers.mtp.backend.MtpBackend` over it
(:mod:`.libmtp_backend`). Importing these modules loads no library; they are imported by
the helper process only (:mod:`syncgui.providers.mtp.helper`)."""
