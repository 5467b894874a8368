"""The safety net of every card reader: a failure that is not a :class:`BadItem` (a bug of
the codec) costs that card alone. It is logged with its traceback, naming the card by size,
content hash and UID (never its content), and becomes a BadItem."""

from __future__ import annotations

import logging

from syncgui.engine.errors import BadItem
from syncgui.engine.ids import content_hash

log = logging.getLogger(__name__)


def unexpected(raw: bytes, err: Exception, doing: str) -> BadItem:
    """The BadItem for ``err``, raised by the vCard reader while ``doing`` (e.g. "read a
    card"), logged with its traceback."""
    log.warning(
        "Could not %s (%d bytes, sha1 %s, UID %s)",
        doing,
        len(raw),
        content_hash(raw)[:16],
        _uid_for_log(raw),
        exc_info=err,
    )
    return BadItem(
        f"The card could not be read: an unexpected error in the vCard reader "
        f"({type(err).__name__}); it is left as it is."
    )


def _uid_for_log(raw: bytes) -> str:
    """The card's UID as far as a line scan finds it, shortened, for a log line."""
    from syncgui.providers.vcard.split import find_value  # (a card that broke the reader)

    try:
        uid = find_value(raw, "UID")
    except Exception:  # only for a log line: a failure here must not hide the first one
        return "unknown"
    return "none" if uid is None else repr(uid[:80])
