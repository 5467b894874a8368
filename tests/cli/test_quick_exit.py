"""The CLI ends without tearing the interpreter down, and loses nothing by it: all its
output reaches the pipe and the log file, exit handlers run, the exit status is the
command's, and a thread still working is waited for."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.cli.conftest import card

SYNCGUI_CLI = Path(sys.executable).with_name("syncgui-cli")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_a_sync_run_as_the_installed_program_writes_its_output_and_its_log(
    tmp_path: Path,
) -> None:
    assert SYNCGUI_CLI.exists(), f"syncgui-cli is not installed beside {sys.executable}"
    book = tmp_path / "book"
    book.mkdir()
    (book / "ann.vcf").write_text(card("ann", "Ann Example"), newline="")
    dirs = ["--config-dir", str(tmp_path / "config"), "--data-dir", str(tmp_path / "data")]
    export = tmp_path / "export.vcf"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SYNCGUI_CLI), *dirs, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}").returncode == 0
    done = cli("sync", "p")
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout
        == "p: synced: A 0 added, 0 changed, 0 deleted; B 1 added, 0 changed, 0 deleted\n"
    )
    assert b"Ann Example" in export.read_bytes()
    logs = "".join(p.read_text() for p in (tmp_path / "data").rglob("*.log"))
    assert "p: ok in" in logs  # the log's last line was flushed before the process ended
    missing = cli("sync", "nosuch")
    assert missing.returncode == 2
    assert "no partnership named 'nosuch'" in missing.stderr


def test_buffered_output_and_exit_handlers_are_not_lost() -> None:
    done = _python(
        """
        import atexit
        from syncgui.cli import exit_now
        atexit.register(print, "handler ran")
        print("buffered, no newline", end="")
        exit_now(3)
        print("never")
        """
    )
    assert done.returncode == 3
    assert done.stdout == "buffered, no newlinehandler ran\n"


def test_a_thread_still_working_is_waited_for() -> None:
    done = _python(
        """
        import threading, time
        from syncgui.cli import exit_now
        def work():
            time.sleep(0.3)
            print("thread finished")
        threading.Thread(target=work).start()
        exit_now(4)
        """
    )
    assert done.returncode == 4
    assert done.stdout == "thread finished\n"
