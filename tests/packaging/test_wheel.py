"""The wheel, installed as pipx would (a fresh venv of its own): `syncgui-cli --version`,
`syncgui-cli demo`, the desktop app's command, and the resources the app reads (icon,
guide) found in the venv's share/ rather than in a checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.packaging.installs import APP_ID, VERSION, Dist, run, user_env

PROBE = (
    "from syncgui.gui.resources import ICON_SVG, guide_path, resource_path\n"
    "print(resource_path(ICON_SVG)); print(guide_path())\n"
)


def test_wheel_in_a_fresh_venv_gives_working_commands(dist: Dist, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(dist.wheel)]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    home = tmp_path / "home"
    env = user_env(home) | {"QT_QPA_PLATFORM": "offscreen"}
    cli, app = str(venv / "bin" / "syncgui-cli"), str(venv / "bin" / "syncgui")
    assert run([cli, "--version"], env).stdout.strip() == f"syncgui-cli {VERSION}"
    assert run([app, "--version"], env).stdout.strip() == f"syncgui {VERSION}"
    demo = run([cli, "demo", "--dir", str(tmp_path / "demo")], env)
    assert "Conflict" in demo.stdout, demo.stdout

    python = str(venv / "bin" / "python")
    found = subprocess.run(
        [python, "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, check=True, env=env
    ).stdout.split()
    share = venv / "share"
    icon = share / "syncgui" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert found == [str(icon), str(share / "doc" / "syncgui" / "guide.md")]
    assert (venv / "share" / "applications" / f"{APP_ID}.desktop").is_file()
