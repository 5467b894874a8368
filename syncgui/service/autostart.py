"""Start at login: the freedesktop autostart entry
``$XDG_CONFIG_HOME/autostart/io.github.syncgui.SyncGui.desktop``.

The app is started with ``--background`` (in the tray, without showing its window) by the
command the GUI gives (the installed ``syncgui`` where there is one). Other systems get the
same file, which does nothing there (macOS and Windows have their own mechanisms; the file
keeps the user's choice visible to :func:`autostart_enabled`). An entry under the name
versions before 0.9 wrote (``syncgui.desktop``) still counts, and goes when the user
switches Start at login off or on again."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from syncgui import APP_ID
from syncgui.service.errors import ConfigError
from syncgui.service.files import write_atomically

log = logging.getLogger(__name__)

FILE_NAME = f"{APP_ID}.desktop"
OLD_FILE_NAME = "syncgui.desktop"  # before 0.9
BACKGROUND = "--background"
# Characters that make the Desktop Entry spec quote an argument, and those escaped inside
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = '"`$\\'


def autostart_file(env: Mapping[str, str] | None = None, name: str = FILE_NAME) -> Path:
    """Where the entry goes: ``$XDG_CONFIG_HOME/autostart`` (a relative or empty
    ``XDG_CONFIG_HOME`` is ignored, as the Base Directory spec says), else ``~/.config``."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "autostart" / name


def autostart_enabled(env: Mapping[str, str] | None = None) -> bool:
    """True when our entry is there and not switched off (``Hidden`` or
    ``X-GNOME-Autostart-enabled=false``, as a desktop's settings may write)."""
    path = autostart_file(env)
    if not path.exists():
        path = autostart_file(env, OLD_FILE_NAME)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return False
    except OSError as err:
        log.warning("%s cannot be read: %s", path, err)
        return False
    keys = dict(
        (key.strip(), value.strip().lower())
        for key, sep, value in (line.partition("=") for line in text.splitlines())
        if sep
    )
    return keys.get("Hidden") != "true" and keys.get("X-GNOME-Autostart-enabled") != "false"


def set_autostart(
    enabled: bool, command: Sequence[str], env: Mapping[str, str] | None = None
) -> None:
    """Write the entry running ``command`` (its program made absolute, ``--background``
    added), or remove it; either way an entry of an older version goes."""
    path = autostart_file(env)
    if enabled:
        write_atomically(path, desktop_entry(command))
        log.info("syncgui starts at login: %s", path)
    for gone in [autostart_file(env, OLD_FILE_NAME)] + ([] if enabled else [path]):
        with contextlib.suppress(FileNotFoundError):
            gone.unlink()


def desktop_entry(command: Sequence[str]) -> str:
    """The text of the autostart entry for ``command``."""
    argv = [_absolute(command), *command[1:]] if command else []
    if not argv:
        raise ConfigError("start at login needs the command that starts syncgui")
    if BACKGROUND not in argv:
        argv.append(BACKGROUND)
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Name=syncgui",
        "Comment=Keep contacts in step; starts in the tray",
        f"Exec={exec_line(argv)}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        # the tray must be there: KDE starts the entry after its panel (the app also
        # waits up to 30 s for a tray when started with --background)
        "X-KDE-autostart-after=panel",
    ]
    return "\n".join(lines) + "\n"


def exec_line(argv: Sequence[str]) -> str:
    """``argv`` as the value of an ``Exec`` key: arguments with reserved characters in
    double quotes (``"`$\\`` escaped inside), ``%`` doubled (it starts field codes), then
    backslashes doubled again and control characters escaped (the key's value is itself
    an escaped string)."""
    words = []
    for arg in argv:
        word = arg.replace("%", "%%")
        if not word or any(c in _RESERVED for c in word):
            word = '"' + "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in word) + '"'
        words.append(word)
    line = " ".join(words).replace("\\", "\\\\")
    return line.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _absolute(command: Sequence[str]) -> str:
    program = command[0]
    if os.path.isabs(program):
        return program
    if os.sep in program or (os.altsep and os.altsep in program):
        return os.path.abspath(program)
    found = shutil.which(program)
    if found is None:
        raise ConfigError(f"{program!r} is not a program on the PATH; give its full path")
    return os.path.abspath(found)
