"""Fixtures for the service tests: the MTP test guest's image, for the test that runs the
CLI with its data folder on a 9p share (tests/service/test_sqlite_journal.py)."""

from __future__ import annotations

from tests.mtp_guest.fixtures import mtp_guest_image

__all__ = ["mtp_guest_image"]
