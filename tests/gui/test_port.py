"""The GUI's tests drive it against a fake of the service's own Protocol, ``SyncPort``: the
fake must stay what the real facade is (mypy checks ``SyncService`` against it in
``syncgui.service``, and here the fake, whose module ends with the same check)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_the_fake_service_is_a_sync_port_for_mypy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the project's mypy settings, and its packages on the path
    out, err, status = api.run(["--no-error-summary", "tests/gui/fake_service.py"])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 0 and not errors, out + err


def test_the_port_module_of_the_gui_is_gone() -> None:
    """One Protocol, the service's: the GUI keeps no copy of its own."""
    assert not (ROOT / "syncgui" / "gui" / "port.py").exists()
