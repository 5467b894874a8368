"""The device's sync metadata as property bags (the same codec that crosses the helper
process boundary): the replica state object and the write journal.

Stored objects use :func:`~syncgui.providers.mtp.props.propcodec.encode_object`, whose checksum
turns a truncated object (a cable pulled mid-upload) into a clean CodecError.

State formats (``S_VERSION``): 1 kept each item as a nested bag (``S_ITEMS``); 2, written
since, keeps all items in one table of columns (``S_TABLE``, :mod:`.statetable`), which
decodes about 18 times faster. Both are read: a phone keeps the state its last sync wrote.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from syncgui.engine.hosted import ReplicaState
from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.metadata import ItemRow
from syncgui.providers.mtp.phone.statetable import decode_table, encode_table
from syncgui.providers.mtp.props.propbag import PropertyBag, PropertyKey
from syncgui.providers.mtp.props.propcodec import CodecError, decode_object, encode_object

FORMAT_VERSION = 2  # what encode_state writes
READABLE_VERSIONS = (1, 2)

# Our own property namespaces (fresh GUIDs, as WPD asks for custom keys).
NS_STATE = uuid.UUID("6b0e3d52-9c1f-4f0e-a3f4-2d8c6a51e7b1")
NS_ITEM = uuid.UUID("c4a1e2b7-5d3e-4a8f-9b61-7f2e0c9d4a36")
NS_JOURNAL = uuid.UUID("0f5d8a9e-2b47-4c6d-8e13-b9a7c5f2d104")


def _k(ns: uuid.UUID, pid: int) -> PropertyKey:
    return PropertyKey(ns, pid)


S_VERSION = _k(NS_STATE, 2)
S_REPLICA = _k(NS_STATE, 3)
S_TICK = _k(NS_STATE, 4)
S_KNOWLEDGE = _k(NS_STATE, 5)
S_FORGOTTEN = _k(NS_STATE, 6)
S_GENERATION = _k(NS_STATE, 7)
S_REPLICAS = _k(NS_STATE, 8)  # the 16-byte replica ids items refer to by index
S_ITEMS = _k(NS_STATE, 9)  # format 1: a bag per item (I_* keys)
S_PATH = _k(NS_STATE, 10)
S_TABLE = _k(NS_STATE, 11)  # format 2: every item in one table (statetable)
PAD = _k(NS_STATE, 99)  # filler, see _seal

# Format 1's item bags (read only).
I_GID = _k(NS_ITEM, 2)
I_KEY = _k(NS_ITEM, 3)
I_UID = _k(NS_ITEM, 4)
I_LABEL = _k(NS_ITEM, 5)
I_CREATED_BY = _k(NS_ITEM, 6)
I_CREATED_AT = _k(NS_ITEM, 7)
I_CHANGED_BY = _k(NS_ITEM, 8)
I_CHANGED_AT = _k(NS_ITEM, 9)
I_DELETED = _k(NS_ITEM, 10)
I_WHEN = _k(NS_ITEM, 11)
I_STAMP = _k(NS_ITEM, 12)
I_HASH = _k(NS_ITEM, 13)
I_OWN_UID = _k(NS_ITEM, 14)  # only for a contact matched to another store's (optional)

J_ENTRIES = _k(NS_JOURNAL, 2)
J_NAME = _k(NS_JOURNAL, 3)
J_KIND = _k(NS_JOURNAL, 4)
J_OLD = _k(NS_JOURNAL, 5)
J_SIZE = _k(NS_JOURNAL, 6)
J_HASH = _k(NS_JOURNAL, 7)


# An MTP data phase is a 12-byte container header plus the object, sent in 512-byte USB
# packets; by USB rules it ends with the first packet shorter than 512 bytes. Some responders
# get the end wrong: QEMU 7.2's usb-mtp takes any packet that is a multiple of 64 bytes for
# "more to come" (it then reads the next command as data and aborts) and stores an object
# damaged when the last packet is shorter than a header. Objects of our own are padded so
# their transfer never ends that way; cards are sent as they are.
_PACKET, _HEADER, _FULL_SPEED = 512, 12, 64


def awkward_size(size: int) -> bool:
    """Whether an object of ``size`` bytes ends its transfer in a packet such responders
    mishandle (see above)."""
    last = (size + _HEADER) % _PACKET
    return last < _HEADER or last % _FULL_SPEED == 0


def _seal(bag: PropertyBag) -> bytes:
    for pad in range(_PACKET):
        bag.set_buffer(PAD, bytes(pad))
        data = encode_object(bag)
        if not awkward_size(len(data)):
            return data
    raise AssertionError("no padding avoids a short last packet")  # pragma: no cover


class StateUnreadable(ValueError):
    """A saved object is truncated, corrupt or of an unknown version."""


def encode_state(state: ReplicaState, path: str) -> bytes:
    replicas: dict[bytes, int] = {}
    table = encode_table(state.items, replicas)
    bag = PropertyBag()
    bag.set_uint32(S_VERSION, FORMAT_VERSION)
    bag.set_guid(S_REPLICA, uuid.UUID(bytes=state.replica_id))
    bag.set_uint64(S_TICK, state.tick)
    bag.set_buffer(S_KNOWLEDGE, state.knowledge.serialize())
    bag.set_buffer(S_FORGOTTEN, state.forgotten.serialize())
    bag.set_buffer(S_GENERATION, state.generation)
    bag.set_buffer(S_REPLICAS, b"".join(replicas))
    bag.set_buffer(S_TABLE, table)
    bag.set_string(S_PATH, path)
    return _seal(bag)


def decode_state(data: bytes) -> ReplicaState:
    """The state in ``data``, of either format; StateUnreadable if it is not one."""
    try:
        bag = decode_object(data)
        version = bag.get_uint32(S_VERSION)
        if version not in READABLE_VERSIONS:
            raise StateUnreadable(f"sync state format {version} is not known to this version")
        packed = bag.get_buffer(S_REPLICAS)
        if len(packed) % 16:
            raise StateUnreadable("damaged replica table")
        replicas = [packed[i : i + 16] for i in range(0, len(packed), 16)]
        if version == 1:
            rows = tuple(_row_v1(b, replicas) for b in bag.get_bags(S_ITEMS))
        else:
            rows = decode_table(bag.get_buffer(S_TABLE), replicas)
        return ReplicaState(
            bag.get_guid(S_REPLICA).bytes,
            bag.get_uint64(S_TICK),
            Knowledge.deserialize(bag.get_buffer(S_KNOWLEDGE)),
            Knowledge.deserialize(bag.get_buffer(S_FORGOTTEN)),
            rows,
            bag.get_buffer(S_GENERATION),
        )
    except StateUnreadable:
        raise
    except (CodecError, KeyError, TypeError, ValueError, IndexError, struct.error) as err:
        raise StateUnreadable(f"damaged sync state: {err}") from err


def _row_v1(b: PropertyBag, replicas: list[bytes]) -> ItemRow:
    meta = ItemMeta(
        b.get_buffer(I_GID),
        b.get_string(I_UID),
        b.get_string(I_LABEL),
        Version(replicas[b.get_uint32(I_CREATED_BY)], b.get_uint64(I_CREATED_AT)),
        Version(replicas[b.get_uint32(I_CHANGED_BY)], b.get_uint64(I_CHANGED_AT)),
        b.get_bool(I_DELETED),
        b.get_float(I_WHEN),
    )
    return ItemRow(
        meta,
        b.get_string(I_KEY) if I_KEY in b else None,
        b.get_string(I_STAMP) if I_STAMP in b else None,
        b.get_string(I_HASH) if I_HASH in b else None,
        b.get_string(I_OWN_UID) if I_OWN_UID in b else None,
    )


# -- the write journal -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A write about to happen on the phone. ``old`` is what an update replaces (put back if
    the write is found cut short); ``size``/``hash`` describe the new bytes when known."""

    name: str
    kind: str  # "create" | "update"
    old: bytes | None = None
    size: int | None = None
    hash: str | None = None


def encode_journal(entries: list[JournalEntry]) -> bytes:
    bags = []
    for e in entries:
        b = PropertyBag()
        b.set_string(J_NAME, e.name)
        b.set_string(J_KIND, e.kind)
        if e.old is not None:
            b.set_buffer(J_OLD, e.old)
        if e.size is not None:
            b.set_uint64(J_SIZE, e.size)
        if e.hash is not None:
            b.set_string(J_HASH, e.hash)
        bags.append(b)
    bag = PropertyBag()
    bag.set_bags(J_ENTRIES, bags)
    return _seal(bag)


def decode_journal(data: bytes) -> list[JournalEntry]:
    try:
        out = []
        for b in decode_object(data).get_bags(J_ENTRIES):
            out.append(
                JournalEntry(
                    b.get_string(J_NAME),
                    b.get_string(J_KIND),
                    b.get_buffer(J_OLD) if J_OLD in b else None,
                    b.get_uint64(J_SIZE) if J_SIZE in b else None,
                    b.get_string(J_HASH) if J_HASH in b else None,
                )
            )
        return out
    except (CodecError, KeyError, TypeError, ValueError) as err:
        raise StateUnreadable(f"damaged journal: {err}") from err
