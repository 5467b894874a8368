"""The end-to-end tests' X session (Xvfb with a tray host) and where their screenshots go:
$SYNCGUI_ARTIFACTS when set (CI keeps them), else the test's temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gui_e2e.xsession import XSession, x_session


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SYNCGUI_ARTIFACTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def session(tmp_path: Path) -> Iterator[XSession]:
    with x_session(tmp_path / "x", size="1600x900x24") as x:  # balloons clear of the window
        yield x
