"""Test-suite settings. In CI (``CI`` set) Hypothesis runs derandomized: the same examples
every time, so a red build always means a change broke something; random exploration with
new seeds is for development runs (``pytest --hypothesis-seed=N``)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
