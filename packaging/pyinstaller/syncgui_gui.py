"""The frozen ``syncgui`` executable: the desktop app."""

from frozen_main import run

from syncgui.gui.app import main

run(main)
