"""One app per data folder: a second ``syncgui`` for the same profile asks the running one to
show its window, then ends (two trays and two auto-syncs over one profile would race).

The running app holds a :class:`QLockFile` in the profile's data folder and listens on a
local socket named after that folder. A lock left by a crashed app is stale: QLockFile sees
that its process is gone and takes it over."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

__all__ = ["SingleInstance", "server_name"]

log = logging.getLogger(__name__)

LOCK_NAME = "syncgui-app.lock"
SHOW = b"show\n"
#: a lock is stale only when its process is gone (QLockFile checks the PID and the program
#: name). An age limit would let a second start take the lock of a first one that has run
#: longer than that, so none is set.
STALE_MS = 0


def server_name(data_dir: Path) -> str:
    """The local socket's name for ``data_dir`` (short: socket paths have a length limit)."""
    key = os.path.abspath(data_dir)
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(f"{user}:{key}".encode()).hexdigest()[:16]
    return f"syncgui-{digest}"


class SingleInstance(QObject):
    """The app's claim on ``data_dir``. :meth:`acquire` first; then :meth:`listen` (the
    first app) or :meth:`ask_to_show` (a second start)."""

    show_requested = Signal()  # a second start asked to show the window

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.name = server_name(data_dir)
        self._lock = QLockFile(str(data_dir / LOCK_NAME))
        self._lock.setStaleLockTime(STALE_MS)
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True if this is the only app for the folder now (a stale lock is taken over)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._lock.tryLock(100):
            return True
        error = self._lock.error()
        if error is not QLockFile.LockError.LockFailedError:
            log.warning("cannot lock %s (%s): starting anyway", self.data_dir, error)
            return True  # an unwritable folder must not keep the app from starting
        return False

    def listen(self) -> None:
        """Take show requests from later starts."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.name)  # a crashed app's socket (we hold the lock)
        if not server.listen(self.name):
            log.warning("a second start cannot reach this app: %s", server.errorString())
            return
        server.newConnection.connect(self._on_new_connection)
        self._server = server

    def ask_to_show(self, timeout: float = 5.0) -> bool:
        """Ask the running app to show its window; False if it did not answer in time (it
        may be starting: its lock comes just before its socket)."""
        deadline = time.monotonic() + timeout
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(500):
                socket.write(SHOW)
                sent = socket.waitForBytesWritten(1000)
                socket.disconnectFromServer()
                return sent
            if time.monotonic() > deadline:
                log.warning("the running app did not answer: %s", socket.errorString())
                return False
            time.sleep(0.1)

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    @Slot()
    def _on_new_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_message(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._on_message(socket)

    def _on_message(self, socket: QLocalSocket) -> None:
        if SHOW.strip() in bytes(socket.readAll().data()):
            log.info("another start asked to show the window")
            self.show_requested.emit()
