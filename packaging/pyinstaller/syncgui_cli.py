"""The frozen ``syncgui-cli`` executable: the command-line tool."""

from frozen_main import run

from syncgui.cli import run as run_cli

run(run_cli)
