"""A virtual phone whose helper process dies (or hangs) in the middle of an upload: what a
libmtp crash or a wedged USB stack does to a sync. Used by the helper process of
``test_phone_helper.py`` through ``module:factory`` backend specs; the phone's folder and
the upload that goes wrong come from the environment the helper inherits."""

from __future__ import annotations

import ctypes
import os
import time
from pathlib import Path

from syncgui.providers.mtp.backend import ObjectInfo, RawDevice
from syncgui.providers.mtp.virtual import VirtualBackend, VirtualDevice

ROOT_ENV = "SYNCGUI_TEST_PHONE"
AFTER_ENV = "SYNCGUI_TEST_FAIL_AFTER"  # the n-th upload goes wrong, half written


class _Failing(VirtualBackend):
    def __init__(self, how: str) -> None:
        super().__init__(Path(os.environ[ROOT_ENV]))
        self.how = how
        self.left = int(os.environ[AFTER_ENV])

    def open(self, raw: RawDevice) -> VirtualDevice:
        device = super().open(raw)
        real = device.upload

        def upload(storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
            self.left -= 1
            if self.left == 0:
                real(storage, parent, name, data[: len(data) // 2])
                if self.how == "crash":
                    ctypes.string_at(0)  # a segfault, as in a C library
                time.sleep(3600)
            return real(storage, parent, name, data)

        device.upload = upload  # type: ignore[method-assign]
        return device


def crash() -> VirtualBackend:
    return _Failing("crash")


def hang() -> VirtualBackend:
    return _Failing("hang")
