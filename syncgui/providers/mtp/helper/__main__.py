"""``python -m syncgui.providers.mtp.helper``: the device helper process (:mod:`.server`)."""

from __future__ import annotations

import sys

from syncgui.providers.mtp.helper.server import main

sys.exit(main())
