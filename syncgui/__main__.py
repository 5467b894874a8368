"""``python -m syncgui``: the desktop app (the command-line tool is ``syncgui-cli``)."""

from __future__ import annotations

from syncgui.gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
