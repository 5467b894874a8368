"""``python -m syncgui.cli``: the same as ``syncgui-cli``."""

from __future__ import annotations

import sys

from syncgui.cli import main

if __name__ == "__main__":
    sys.exit(main())
