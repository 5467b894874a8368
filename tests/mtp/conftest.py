"""MTP integration tests: our libmtp backend and mtp-tools against QEMU's emulated MTP device,
inside the guest of :mod:`tests.mtp_guest` (required in CI, skipped elsewhere if QEMU or the
kernel cannot be had). The ``mtp`` marker is registered in pyproject.toml."""

from __future__ import annotations

from tests.mtp_guest.fixtures import mtp_guest, mtp_guest_image

__all__ = ["mtp_guest", "mtp_guest_image"]
