"""What a server's refusal of one card's write says, as the card's :class:`ItemRejected`.

A 412 to a conditional PUT usually means the condition failed (a card is there already, or
it changed since it was listed); but a server may also answer 412 with a CardDAV
precondition the card itself fails (RFC 6352 section 6.3.2.1; Xandikos names
``valid-address-data`` for a card it cannot parse). A 5xx to one card's write, while the
address book still answers, is the server failing on that card (Xandikos on a card it
cannot decode). Either way the card was refused and the next sync tries it again.
"""

from __future__ import annotations

from syncgui.engine.errors import ItemRejected
from syncgui.providers.carddav import dav
from syncgui.providers.carddav.client import Reply, ServerFailed

# the CardDAV preconditions of a PUT a card fails, and what each says of it
_CARD_PRECONDITIONS = {
    "valid-address-data": "not a valid vCard",
    "supported-address-data": "not in a vCard format it supports",
    "max-resource-size": "too large",
}
_QUOTED = 120  # characters of the server's description quoted


def card_refused(reply: Reply, key: str, what: str) -> ItemRejected | None:
    """The refusal of card ``key`` when ``reply`` (a 412) names a CardDAV precondition the
    card fails; None when it names none. ``what``: the write (``create``, ``update``)."""
    refusal = dav.parse_error(reply.body)
    for name, meaning in _CARD_PRECONDITIONS.items():
        if refusal.names(dav.CARD, name):
            said = refusal.description
            if len(said) > _QUOTED:
                said = said[: _QUOTED - 1] + "…"
            quoted = f': "{said}"' if said else ""
            return ItemRejected(
                f"{key}: the server refused the {what} ({reply.status}, {name}): it says the "
                f"card is {meaning}{quoted}. Nothing was written there, and the next sync "
                "tries again; to sync this contact, correct the card (saving it again in "
                "your contacts app may do)",
                item=key,
            )
    return None


def failed_on_card(err: ServerFailed, key: str, what: str) -> ItemRejected:
    """The refusal of card ``key`` when the server failed (5xx) its write ``what`` while
    the address book still answers."""
    return ItemRejected(
        f"{key}: the server refused the {what} ({err.status}{err.reply.reason()}): it failed "
        f"on this card while it answers other requests; the {what} is tried again at the "
        "next sync. If this persists, check the card, or tell the server's administrator",
        item=key,
    )
