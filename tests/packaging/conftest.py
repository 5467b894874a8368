"""The install tests use the packages in dist/: scripts/package makes them once when dist/
lacks the current version's (SYNCGUI_PACKAGING_NO_BUILD=1 skips instead). The measurements
they take (sizes, start times) are printed at the end of the run and written to
artifacts/packaging/measurements.json for benchmarks/README.md; no test asserts a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gui_e2e.xsession import XSession, x_session
from tests.packaging.installs import ROOT, VERSION, Dist

MEASURED: dict[str, Any] = {}
REPORT = ROOT / "artifacts" / "packaging" / "measurements.json"


@pytest.fixture(scope="session")
def dist() -> Dist:
    if not sys.platform.startswith("linux"):
        pytest.skip("the packages are built and installed on Linux only")
    built = Dist(ROOT / "dist")
    missing = built.missing()
    if missing:
        if os.environ.get("SYNCGUI_PACKAGING_NO_BUILD"):
            names = ", ".join(p.name for p in missing)
            pytest.skip(f"dist/ lacks {names} and SYNCGUI_PACKAGING_NO_BUILD is set")
        subprocess.run([str(ROOT / "scripts" / "package")], check=True, timeout=1800)
        missing = built.missing()
        assert not missing, f"scripts/package did not make {missing}"
    return built


@pytest.fixture(scope="session")
def measured() -> Iterator[dict[str, Any]]:
    yield MEASURED
    if MEASURED:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps({"version": VERSION, **MEASURED}, indent=2) + "\n")


@pytest.fixture
def x(tmp_path: Path) -> Iterator[XSession]:
    with x_session(tmp_path / "x") as session:
        yield session


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not MEASURED:
        return
    terminalreporter.section("packaging measurements")
    for key, value in MEASURED.items():
        terminalreporter.write_line(f"{key}: {json.dumps(value)}")
    terminalreporter.write_line(f"(written to {REPORT.relative_to(ROOT)})")


HERE = Path(__file__).resolve().parent


def _asked_for(config: pytest.Config) -> bool:
    """The run names this folder (or a test in it) on the command line."""
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A plain `pytest` leaves these tests out (they build the packages and install the
    .deb system-wide): they run when named, `pytest tests/packaging`, as scripts/test does
    after the main suite."""
    if _asked_for(config):
        return
    skip = pytest.mark.skip(
        reason="install tests: run `scripts/package`, then `pytest tests/packaging` "
        "(scripts/test does both after the main suite)"
    )
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(skip)
