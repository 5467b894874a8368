"""Pytest fixtures for tests that run commands in the MTP guest.

Import them into a ``conftest.py``: ``from tests.mtp_guest.fixtures import mtp_guest_image``.
The image is built (or loaded from the cache) once per session. Where QEMU or the kernel
cannot be had, the tests fail when ``CI`` is set (they are required there) and are skipped
otherwise, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from .build import GuestImage, GuestUnavailable, ensure_image
from .guest import GuestResult, check_host, run_in_guest


def guest_unavailable(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"the MTP guest is required in CI but cannot run: {reason}", pytrace=False)
    pytest.skip(f"MTP guest unavailable: {reason}")


@dataclass(frozen=True, slots=True)
class Guest:
    """Runs commands in the guest with one work directory; see :func:`run_in_guest`."""

    image: GuestImage
    workdir: Path

    def run(
        self,
        command: str,
        *,
        device_dirs: Sequence[tuple[Path, str]] = (),
        env: Mapping[str, str] | None = None,
        timeout: float = 300.0,
        readonly_devices: bool = False,
    ) -> GuestResult:
        return run_in_guest(
            command,
            workdir=self.workdir,
            device_dirs=device_dirs,
            env=env,
            timeout=timeout,
            readonly_devices=readonly_devices,
            image=self.image,
        )


@pytest.fixture(scope="session")
def mtp_guest_image() -> GuestImage:
    try:
        check_host()
        return ensure_image()
    except GuestUnavailable as exc:
        guest_unavailable(str(exc))


@pytest.fixture
def mtp_guest(mtp_guest_image: GuestImage, tmp_path: Path) -> Guest:
    """A guest whose work directory is the test's ``tmp_path``."""
    return Guest(mtp_guest_image, tmp_path)
