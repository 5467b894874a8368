"""Compiled dataclass methods kept between runs, beside syncgui's own bytecode.

Python keeps a module's compiled code in ``__pycache__``, but not the methods the
``dataclass`` decorator writes: at every import it generates ``__init__``, ``__repr__``,
``__eq__``, ``__hash__`` (and ``__setattr__``/``__delattr__`` for a frozen class) as source
text and compiles each with ``exec``. syncgui's values are frozen dataclasses; compiling their
methods was a quarter of the imports of a ``syncgui-cli sync`` on Python 3.11 (about 25 ms
of a 0.2 s no-op sync), and the app pays it too.

:func:`install` gives the :mod:`dataclasses` module an ``exec`` of its own (a module
global, which shadows the builtin there and nowhere else). It compiles each distinct source
text once, exactly as ``exec`` would (file name ``"<string>"``, no inherited ``__future__``
flags), and runs the code object; the texts and their code are saved at exit in one
:mod:`marshal` file where Python keeps syncgui's ``.pyc`` files (so ``PYTHONPYCACHEPREFIX``
is honoured, and ``PYTHONDONTWRITEBYTECODE`` means read only). The key is the whole source
text, so a changed class simply compiles afresh; the file is tied to the interpreter by its
cache tag and bytecode magic number, and anything unreadable in it is ignored. Like a
``.pyc``, it is trusted as much as the folder it lies in.

Nothing else changes: the decorator still builds every class itself, with the same methods;
only their compilation is remembered. A frozen app (PyInstaller) has no cache.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import os
import sys
from collections.abc import Mapping
from importlib.util import MAGIC_NUMBER, cache_from_source
from types import CodeType
from typing import Any

# Past this many texts (left by earlier versions of syncgui) the file keeps only this run's.
MAX_ENTRIES = 3000


class MethodCache:
    """Source text → code object, loaded from and saved to one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.codes: dict[str, CodeType] = self._load()
        self.used: set[str] = set()
        self.compiled = 0  # texts compiled by this process (misses)

    def _load(self) -> dict[str, CodeType]:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return {}
        if not data.startswith(MAGIC_NUMBER):
            return {}
        try:
            codes = marshal.loads(data[len(MAGIC_NUMBER) :])
        except (EOFError, ValueError, TypeError):
            return {}
        if not isinstance(codes, dict) or not all(
            isinstance(k, str) and isinstance(v, CodeType) for k, v in codes.items()
        ):
            return {}
        return codes

    def code(self, source: str) -> CodeType:
        """The code of ``source`` as ``exec(source)`` would compile it in dataclasses."""
        code = self.codes.get(source)
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.codes[source] = code
            self.compiled += 1
        self.used.add(source)
        return code

    def exec(
        self,
        source: str | CodeType,
        globals: dict[str, Any] | None = None,
        locals: Mapping[str, object] | None = None,
    ) -> None:
        if isinstance(source, str):
            source = self.code(source)
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        """Write the file if this run compiled anything; never fails (it is a cache)."""
        if not self.compiled or sys.dont_write_bytecode:
            return
        codes = self.codes
        if len(codes) > MAX_ENTRIES:
            codes = {text: codes[text] for text in self.used}
        temp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temp, "wb") as f:
                f.write(MAGIC_NUMBER + marshal.dumps(codes))
            os.replace(temp, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(temp)


def cache_path() -> str | None:
    """Where the cache lies: the ``__pycache__`` of this package (or its place under
    ``PYTHONPYCACHEPREFIX``); None where Python keeps no bytecode for it."""
    try:
        beside = cache_from_source(os.path.join(os.path.dirname(__file__), "__init__.py"))
    except NotImplementedError:  # no cache tag: this interpreter writes no bytecode
        return None
    tag = sys.implementation.cache_tag
    return os.path.join(os.path.dirname(beside), f"dataclass-methods.{tag}.bin")


def installed() -> MethodCache | None:
    """The cache :func:`install` gave :mod:`dataclasses` in this process, if any."""
    import dataclasses

    shadow = vars(dataclasses).get("exec")
    owner = getattr(shadow, "__self__", None)
    return owner if isinstance(owner, MethodCache) else None


def install() -> MethodCache | None:
    """Give :mod:`dataclasses` the caching ``exec`` (once per process); the cache, or None
    where there is none (a frozen app, an interpreter that keeps no bytecode)."""
    if getattr(sys, "frozen", False):
        return None
    if (cache := installed()) is not None:
        return cache
    path = cache_path()
    if path is None:
        return None
    import atexit
    import dataclasses

    cache = MethodCache(path)
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]  # a module global, on purpose
    atexit.register(cache.save)
    return cache
