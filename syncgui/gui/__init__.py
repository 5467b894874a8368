"""The desktop app (PySide6): main window, partnership wizard, conflict dialog, tray and
auto-sync. The only package that imports Qt; it reaches stores through the service."""
