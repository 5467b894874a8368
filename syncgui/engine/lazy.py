"""Public names of a package loaded from their modules when first used (PEP 562): the
package's ``__getattr__``. ``syncgui.engine`` and ``syncgui.service`` list their names this
way, so that a command that needs a few of them does not import every module."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``homes`` maps each public name to the
    module that defines it; a name once loaded is kept in ``namespace`` (the package's
    ``globals()``), so it is looked up only once."""

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's own name)
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    return __getattr__
