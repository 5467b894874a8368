"""What the app says when libmtp cannot be loaded: the package to install on Linux and
macOS, and on Windows (where libmtp does not exist) what to do instead."""

from __future__ import annotations

from syncgui.providers.mtp.native.libmtp import install_hint


def test_linux_and_macos_are_told_which_package_to_install() -> None:
    for platform in ("linux", "darwin"):
        hint = install_hint(platform)
        assert "libmtp9 package (Debian/Ubuntu)" in hint and "Homebrew (macOS)" in hint


def test_windows_is_told_that_phones_over_usb_are_not_available_and_what_to_do() -> None:
    hint = install_hint("win32")
    assert "Linux and macOS only" in hint
    assert "export the phone's contacts to a .vcf file and sync that file" in hint
