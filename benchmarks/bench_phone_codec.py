"""Time the per-item CPU work of a phone sync on the host: the saved state and the helper's
messages (issue 15).

* state        ``encode_state``/``decode_state`` of a state of N items (what a sync saves
               on the phone and every sync, a no-op too, reads back);
* uploads      N uploads of a 1.5 KB card through the device helper's protocol, in one
               process: the client's ``RemoteDevice.upload`` (request built and encoded), the
               server's per-frame work (frame read, decoded, handled by a device that only
               answers, the answer encoded) and the client reading the answer back. No pipe,
               no thread, no device: what is left is the protocol's CPU;
* listing      a listing of N objects through the same path (``RemoteDevice.list_folder``).

Best of ``--repeat``. ``--profile`` prints cProfile's top entries of each. Under the MTP test
guest's TCG, Python runs these about 20 times slower.

    python benchmarks/bench_phone_codec.py
    python benchmarks/bench_phone_codec.py --items 10000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from syncgui.engine.hosted import ReplicaState
from syncgui.engine.ids import Version, content_hash, gid_for_uid
from syncgui.engine.items import ItemMeta
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.metadata import ItemRow
from syncgui.providers.mtp.backend import DeviceInfo, ObjectInfo
from syncgui.providers.mtp.helper import remote, server
from syncgui.providers.mtp.helper.protocol import read_frame
from syncgui.providers.mtp.phone.statecodec import decode_state, encode_state
from syncgui.providers.mtp.props.propcodec import decode

PHONE, LAPTOP = bytes(range(16)), bytes(range(16, 32))
CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\n" + b"NOTE:" + b"x" * 1450 + b"\r\nEND:VCARD\r\n"
STORAGE, FOLDER = 0x00010001, 7


def make_state(count: int) -> ReplicaState:
    """A state like a first sync's from a laptop folder: every item made on the laptop,
    keyed by its file name on the phone, with its stamp and hash."""
    rows = []
    for i in range(count):
        uid = str(uuid.UUID(int=i * 7919 + 1))
        made = Version(LAPTOP, i + 1)
        meta = ItemMeta(gid_for_uid(uid), uid, f"Person {i}", made, made, False, 1.765e9 + i)
        stamp = f"{1400 + i % 300}:{1.765e9 + i!r}"
        rows.append(ItemRow(meta, f"{uid}.vcf", stamp, content_hash(uid.encode()), None))
    knowledge = Knowledge.empty().with_local_tick(LAPTOP, count).with_local_tick(PHONE, 3)
    return ReplicaState(PHONE, 9, knowledge, Knowledge.empty(), tuple(rows), os.urandom(16))


class _Device:
    """Answers the helper's upload and list requests without a device."""

    info = DeviceInfo("Bench", "Phone", "0")

    def __init__(self, listing: int) -> None:
        self.next_id = 1000
        self.objects = [
            ObjectInfo(i + 10, FOLDER, STORAGE, f"{uuid.UUID(int=i)}.vcf", 1500, 1.765e9, False)
            for i in range(listing)
        ]

    def upload(self, storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        self.next_id += 1
        return ObjectInfo(self.next_id, parent, storage, name, len(data), 1.765e9, False)

    def list_folder(self, storage: int, parent: int) -> Sequence[ObjectInfo]:
        return self.objects

    def close(self) -> None:
        pass


class _InProcessHelper:
    """Stands in for ``remote._Helper``: each frame sent is answered at once by the same
    per-frame work as ``server.serve``'s loop."""

    def __init__(self, device: _Device) -> None:
        self.server = server.Server("bench")
        self.server._device = device  # type: ignore[assignment]
        self.answers: list[bytes] = []
        self.pid = 0

    def send(self, data: bytes, deadline: float) -> None:
        out = io.BytesIO()
        payload = read_frame(io.BytesIO(data))
        assert payload is not None
        server._send(out, self.server.handle(decode(payload)))
        self.answers.append(out.getvalue())

    def receive(self, deadline: float) -> bytes | None:
        return read_frame(io.BytesIO(self.answers.pop()))

    def stop(self) -> None:
        pass


def remote_device(listing: int = 0) -> remote.RemoteDevice:
    backend = remote.RemoteBackend("libmtp")
    backend._helper = _InProcessHelper(_Device(listing))  # type: ignore[assignment]
    return remote.RemoteDevice(backend, _Device.info)


def best(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def cases(items: int) -> dict[str, Callable[[], Any]]:
    state = make_state(items)
    saved = encode_state(state, "Contacts")
    assert decode_state(saved) == state
    device = remote_device()
    names = [f"{uuid.UUID(int=i)}.vcf" for i in range(items)]

    def uploads() -> None:
        for name in names:
            device.upload(STORAGE, FOLDER, name, CARD)

    lister = remote_device(items)
    return {
        f"encode_state, {items} items": lambda: encode_state(state, "Contacts"),
        f"decode_state, {items} items ({len(saved) // 1024} KiB)": lambda: decode_state(saved),
        f"{items} uploads through the helper protocol": uploads,
        f"listing of {items} objects through the helper protocol": lambda: lister.list_folder(
            STORAGE, FOLDER
        ),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--items", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--profile", action="store_true", help="print cProfile's top entries")
    p.add_argument("--top", type=int, default=12)
    args = p.parse_args(argv)
    for items in args.items:
        for name, run in cases(items).items():
            seconds = best(run, args.repeat)
            print(f"{name:<55} {seconds * 1e3:9.1f} ms  {seconds / items * 1e6:7.1f} µs/item")
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(run)
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
                print("\n".join(out.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
