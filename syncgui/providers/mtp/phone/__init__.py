"""The phone as a store (:mod:`.store`): where the contacts are on it (:mod:`.location`), the
opened device in the store's terms (:mod:`.connection`), the folder and ``.vcf`` file shapes
(:mod:`.modes`), and the sync state and write journal kept on the phone (:mod:`.devicestate`,
:mod:`.statecodec`). Reaches a device only through an
:class:`~syncgui.providers.mtp.backend.MtpBackend`."""
