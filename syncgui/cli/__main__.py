"""``python -m syncgui.cli``: the same as ``syncgui-cli``."""

from __future__ import annotations

from syncgui.cli import run

if __name__ == "__main__":
    run()
