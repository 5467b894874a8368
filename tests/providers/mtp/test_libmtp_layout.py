"""Every ctypes Structure of our libmtp binding against the installed ``libmtp.h``.

A C program, generated from the Python definitions (so a new field or a new Structure is
checked without touching this test), is compiled at test time and prints ``sizeof`` and
``offsetof`` of every field; the Python layout must equal it field by field. This is the
check that would have caught pymtp's 96-byte ``LIBMTP_mtpdevice_t`` (112 in libmtp 1.1.20).
Skipped only where there is no C compiler or no ``libmtp.h``; CI installs both.
"""

from __future__ import annotations

import ctypes
import platform
import shlex
import shutil
import subprocess

import pytest

from syncgui.providers.mtp.native import libmtp_types

STRUCTURES = sorted(
    (
        value
        for value in vars(libmtp_types).values()
        if isinstance(value, type)
        and issubclass(value, ctypes.Structure)
        and value.__module__ == libmtp_types.__name__
    ),
    key=lambda struct: struct.__name__,
)


def _python_layout(struct: type[ctypes.Structure]) -> dict[str, int]:
    layout = {"sizeof": ctypes.sizeof(struct)}
    for field in struct._fields_:
        descriptor = getattr(struct, field[0])
        layout[f"{field[0]}.offset"] = descriptor.offset
        layout[f"{field[0]}.size"] = descriptor.size
    return layout


def _probe_source() -> str:
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include <libmtp.h>", "int main(void) {"]
    for struct in STRUCTURES:
        name = struct.__name__
        lines.append(f'  printf("{name} sizeof %zu\\n", sizeof({name}));')
        for field in struct._fields_:
            member = field[0]
            lines.append(f'  printf("{name} {member}.offset %zu\\n", offsetof({name}, {member}));')
            lines.append(
                f'  printf("{name} {member}.size %zu\\n", sizeof((({name} *)0)->{member}));'
            )
    lines += ["  return 0;", "}", ""]
    return "\n".join(lines)


def _pkg_config_cflags() -> list[str]:
    if shutil.which("pkg-config") is None:
        return []
    done = subprocess.run(
        ["pkg-config", "--cflags", "libmtp"], capture_output=True, text=True, check=False
    )
    return shlex.split(done.stdout) if done.returncode == 0 else []


@pytest.fixture(scope="module")
def c_layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, int]]:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (gcc) to build the layout probe; CI installs it")
    cflags = _pkg_config_cflags()
    has_header = subprocess.run(
        [compiler, *cflags, "-E", "-x", "c", "-", "-o", "/dev/null"],
        input="#include <libmtp.h>\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if has_header.returncode != 0:
        pytest.skip("libmtp.h is not installed (Debian/Ubuntu: apt install libmtp-dev)")
    folder = tmp_path_factory.mktemp("libmtp-layout")
    source, program = folder / "probe.c", folder / "probe"
    source.write_text(_probe_source())
    built = subprocess.run(
        [compiler, *cflags, "-Wall", "-o", str(program), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, f"the layout probe did not compile:\n{built.stderr}"
    output = subprocess.run([str(program)], capture_output=True, text=True, check=True).stdout
    layouts: dict[str, dict[str, int]] = {}
    for line in output.splitlines():
        struct, key, value = line.split()
        layouts.setdefault(struct, {})[key] = int(value)
    return layouts


@pytest.mark.parametrize("struct", STRUCTURES, ids=lambda struct: struct.__name__)
def test_structure_matches_header(
    struct: type[ctypes.Structure], c_layouts: dict[str, dict[str, int]]
) -> None:
    assert _python_layout(struct) == c_layouts[struct.__name__]


def test_the_structures_the_binding_needs_are_all_checked() -> None:
    names = {struct.__name__ for struct in STRUCTURES}
    assert {
        "LIBMTP_raw_device_t",
        "LIBMTP_device_entry_t",
        "LIBMTP_mtpdevice_t",
        "LIBMTP_devicestorage_t",
        "LIBMTP_file_t",
        "LIBMTP_error_t",
    } <= names


@pytest.mark.skipif(
    platform.machine() not in ("x86_64", "AMD64") or ctypes.sizeof(ctypes.c_void_p) != 8,
    reason="the 112-byte figure is for x86_64",
)
def test_mtpdevice_is_112_bytes_on_x86_64() -> None:
    """Without a compiler too: pymtp's layout was 96 bytes and read ``next`` at 88."""
    assert ctypes.sizeof(libmtp_types.LIBMTP_mtpdevice_t) == 112
    assert libmtp_types.LIBMTP_mtpdevice_t.next.offset == 104


def test_probe_source_names_every_field() -> None:
    source = _probe_source()
    for struct in STRUCTURES:
        for field in struct._fields_:
            assert f"offsetof({struct.__name__}, {field[0]})" in source
