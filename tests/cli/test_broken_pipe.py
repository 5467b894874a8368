"""Output cut short by its reader (``syncgui-cli conflicts | head -8``) ends quietly.

These run the installed ``syncgui-cli`` as a real process whose stdout is a pipe, with
Python's stdout buffered (as usual) and unbuffered (``PYTHONUNBUFFERED``, set by many IDEs
and CI runners): a buffered writer meets the closed pipe in the middle of a command when
its output is larger than the pipe holds, or only in the interpreter's last flush when it
is small; both must end without a traceback and with exit status 141, as ls and git do.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncgui.cli import EXIT_PIPE_CLOSED, main
from tests.cli.conftest import card

SYNCGUI_CLI = Path(sys.executable).with_name("syncgui-cli")
CONTACTS = 80
LONG_NAME = "x" * 3000  # 80 contacts named this print far more than a pipe holds (64 kB)


def _run_in_process(root: Path, *args: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return main(["--config-dir", str(root / "config"), "--data-dir", str(root / "data"), *args])


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A partnership whose history and conflicts list each hold 80 long-named contacts."""
    root = tmp_path_factory.mktemp("pipe")
    book, export = root / "book", root / "export.vcf"
    book.mkdir()
    for i in range(CONTACTS):
        text = card(f"c{i}", f"Contact {i} {LONG_NAME}", "NOTE:base")
        (book / f"c{i}.vcf").write_text(text, newline="")
    assert _run_in_process(root, "partnership", "add", "p", f"vdir:{book}", f"vcf:{export}") == 0
    assert _run_in_process(root, "sync", "p") == 0
    export.write_bytes(export.read_bytes().replace(b"NOTE:base", b"NOTE:one"))
    assert _run_in_process(root, "sync", "p") == 0  # overwrites A: 80 history entries
    export.write_bytes(export.read_bytes().replace(b"NOTE:one", b"NOTE:theirs"))
    for path in book.glob("*.vcf"):
        path.write_bytes(path.read_bytes().replace(b"NOTE:one", b"NOTE:ours"))
    assert _run_in_process(root, "sync", "p") == 3  # 80 conflicts
    return root


def _cut_short(root: Path, args: tuple[str, ...], unbuffered: bool, lines: int) -> tuple[int, str]:
    """Run syncgui-cli into a pipe whose reader reads ``lines`` lines and then closes it;
    return the exit status and what it wrote on stderr."""
    assert SYNCGUI_CLI.exists(), f"syncgui-cli is not installed beside {sys.executable}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    command = [str(SYNCGUI_CLI), "--config-dir", str(root / "config")]
    command += ["--data-dir", str(root / "data"), *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    for _ in range(lines):
        assert proc.stdout.readline()
    proc.stdout.close()
    try:
        stderr = proc.stderr.read().decode("utf-8", errors="replace")
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.stderr.close()
    return code, stderr


BUFFERING = pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])


@BUFFERING
@pytest.mark.parametrize(
    "args",
    [("conflicts",), ("conflicts", "--json"), ("history",), ("history", "p", "--json")],
    ids=" ".join,
)
def test_long_output_read_in_part_ends_quietly(
    root: Path, args: tuple[str, ...], unbuffered: bool
) -> None:
    code, stderr = _cut_short(root, args, unbuffered, lines=1)
    assert stderr == ""
    assert code == EXIT_PIPE_CLOSED


@BUFFERING
@pytest.mark.parametrize(
    "args",
    [("partnership", "list"), ("partnership", "list", "--json"), ("sync", "p", "--json"),
     ("sync", "--all"), ("devices",)],
    ids=" ".join,
)  # fmt: skip
def test_output_nobody_reads_ends_quietly(
    root: Path, args: tuple[str, ...], unbuffered: bool
) -> None:
    code, stderr = _cut_short(root, args, unbuffered, lines=0)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert code == EXIT_PIPE_CLOSED


@BUFFERING
def test_help_nobody_reads_ends_quietly(root: Path, unbuffered: bool) -> None:
    code, stderr = _cut_short(root, ("--help",), unbuffered, lines=0)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert code in (0, EXIT_PIPE_CLOSED)  # argparse itself ignores a failed write


def test_exit_status_is_documented() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    assert "141 output cut short" in out.getvalue()
