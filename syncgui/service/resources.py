"""What a job touches, so the scheduler knows which jobs may run at the same time.

A resource is a kind and a key: a partnership by its name, a store on this computer by its
path, a phone by its identity (a virtual phone by its folder, a USB phone by its serial
number). A key of None stands for every resource of that kind (``mtp:first/...`` may be any
USB phone; a partnership not known yet may use any store). Two jobs that touch overlapping
resources run one after the other, in the order they were submitted."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from syncgui.engine.errors import SyncError
from syncgui.providers.mtp.phone.location import parse_mtp, parse_virtual
from syncgui.service.config import Partnership
from syncgui.service.devices import DeviceReport
from syncgui.service.stores import StoreSpec, parse_spec

__all__ = [
    "ANY_STORE",
    "Resource",
    "device_resources",
    "overlap",
    "partnership_resources",
    "store_resources",
    "unknown_partnership",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Resource:
    """One thing a job uses exclusively. ``key`` None: every one of this ``kind``."""

    kind: str  # "partnership", "store" (a file or folder here), "device", "usb"
    key: str | None = None

    def overlaps(self, other: Resource) -> bool:
        if self.kind != other.kind:
            return False
        return self.key is None or other.key is None or self.key == other.key


#: every store and phone: a job that may touch any of them
ANY_STORE: frozenset[Resource] = frozenset({Resource("store"), Resource("device"), Resource("usb")})


def overlap(a: Iterable[Resource], b: Iterable[Resource]) -> bool:
    """Whether any resource of ``a`` overlaps one of ``b``."""
    others = tuple(b)
    return any(r.overlaps(o) for r in a for o in others)


def store_resources(spec: StoreSpec | str) -> frozenset[Resource]:
    """The store ``spec``: a local path, or the phone it lives on."""
    try:
        spec = parse_spec(spec) if isinstance(spec, str) else spec
        if spec.scheme == "virtual":
            return frozenset({Resource("device", "virtual:" + parse_virtual(spec.location).device)})
        if spec.scheme == "mtp":
            serial = parse_mtp(spec.location).device
            return frozenset({Resource("usb", None if serial.lower() == "first" else serial)})
    except SyncError as err:  # a spec that does not parse: it may be anything
        log.debug("%s: %s", spec, err.message)
        return ANY_STORE
    return frozenset({Resource("store", str(spec))})


def partnership_resources(p: Partnership) -> frozenset[Resource]:
    """A partnership's session: the partnership itself and both its stores."""
    return (
        frozenset({Resource("partnership", p.name)}) | store_resources(p.a) | (store_resources(p.b))
    )


def unknown_partnership(name: str) -> frozenset[Resource]:
    """A partnership whose stores are not known here (added a moment ago): any store."""
    return frozenset({Resource("partnership", name)}) | ANY_STORE


def device_resources(report: DeviceReport) -> frozenset[Resource]:
    """The phone ``report`` names (browsing it, counting on it)."""
    if os.path.isabs(report.location):  # a virtual phone is found at its folder
        return frozenset({Resource("device", "virtual:" + os.path.abspath(report.location))})
    return frozenset({Resource("usb", report.serial or None)})
